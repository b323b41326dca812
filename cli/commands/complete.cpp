#include "cli/commands/complete.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "adapters/environment.hpp"
#include "adapters/workflow_file.hpp"
#include "cli/command_tree.hpp"
#include "cli/commands/cache.hpp"
#include "core/config_schema.hpp"
#include "core/paths.hpp"
#include "core/pipeline/workflow.hpp"

namespace sota::cli {
namespace {

// The values a CLI11 IsMember check allows, as its description lists them ("{draft,publish}").
std::vector<std::string> member_values(const CLI::Option& option) {
    const std::string type = option.get_type_name();
    const auto open = type.find('{');
    const auto close = type.find('}', open);
    std::vector<std::string> values;
    if (open == std::string::npos || close == std::string::npos) {
        return values;
    }
    std::string item;
    for (const char c : type.substr(open + 1, close - open - 1)) {
        if (c == ',') {
            values.push_back(item);
            item.clear();
        } else {
            item.push_back(c);
        }
    }
    values.push_back(item);
    return values;
}

// Built-in workflows and the user's workflow files.
std::vector<std::string> workflow_names() {
    std::vector<std::string> names;
    for (const auto& w : core::pipeline::builtin_workflows()) {
        names.push_back(w.name);
    }
    if (auto paths =
            core::resolve_paths(adapters::snapshot_environment(), adapters::current_uid())) {
        for (const auto& w : adapters::list_workflows(paths->config_dir / "workflows", nullptr)) {
            names.push_back(w.name);
        }
    }
    return names;
}

// Values for an option: its IsMember choices, a config key's choices ("--log-format" -> text,
// json), workflow names, config keys for --set.
std::vector<std::string> option_value_candidates(const CLI::Option& option) {
    if (auto values = member_values(option); !values.empty()) {
        return values;
    }
    const auto& names = option.get_lnames();
    const auto named = [&](const char* name) {
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    if (named("workflow")) {
        return workflow_names();
    }
    if (named("kind")) {
        return known_cache_kinds();
    }
    for (const auto& l : names) {
        std::string key = l;
        std::replace(key.begin(), key.end(), '-', '.');
        if (const auto* spec = core::find_key(key)) {
            return {spec->choices.begin(), spec->choices.end()};
        }
    }
    if (named("set")) {
        auto keys = core::config_key_names();
        for (auto& n : keys) {
            n += "=";
        }
        return keys;
    }
    return {};
}

}  // namespace

void setup_complete(CLI::App& root, CommandTable& table) {
    auto* complete = root.add_subcommand("__complete", "Print completion candidates");
    complete->group("");  // hidden
    table.add_raw(complete, [&root, &table](const std::vector<std::string>& typed) {
        auto words = typed;
        if (words.empty()) {
            words.emplace_back();
        }
        for (const auto& c : complete_words(root, table, words)) {
            std::cout << c << "\n";
        }
        return 0;
    });
}

std::vector<std::string> complete_words(const CLI::App& root, const CommandTable& table,
                                        const std::vector<std::string>& words) {
    const CLI::App* at = &root;
    std::vector<std::string> positionals;
    const CLI::Option* pending_value = nullptr;
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
        const std::string& w = words[i];
        pending_value = nullptr;
        if (w == "--") {
            continue;
        }
        if (w.starts_with("-")) {
            const auto eq = w.find('=');
            const auto* opt = find_option_in_scope(*at, w.substr(0, eq));
            if (opt && takes_value(*opt) && eq == std::string::npos) {
                if (i + 2 < words.size()) {
                    ++i;  // skip the option's value
                } else {
                    pending_value = opt;
                }
            }
            continue;
        }
        if (positionals.empty()) {
            if (const auto* sub = find_subcommand(*at, w)) {
                at = sub;
                continue;
            }
        }
        positionals.push_back(w);
    }
    const std::string& current = words.back();
    std::vector<std::string> candidates;
    if (pending_value) {
        candidates = option_value_candidates(*pending_value);
    } else if (current.starts_with("-")) {
        candidates = option_names_in_scope(*at);
    } else {
        if (positionals.empty()) {
            candidates = visible_subcommand_names(*at);
        }
        if (const auto* completer = table.completer(at)) {
            const auto more = (*completer)(positionals);
            candidates.insert(candidates.end(), more.begin(), more.end());
        }
    }
    std::vector<std::string> out;
    for (const auto& c : candidates) {
        if (c.starts_with(current) && std::find(out.begin(), out.end(), c) == out.end()) {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace sota::cli
