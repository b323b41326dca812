#include "cli/commands/complete.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cli/command_tree.hpp"
#include "core/config_schema.hpp"

namespace sota::cli {
namespace {

// Values for an option that mirrors a config key of type choice ("--log-format" -> text, json).
std::vector<std::string> option_value_candidates(const CLI::Option& option) {
    for (const auto& l : option.get_lnames()) {
        std::string key = l;
        std::replace(key.begin(), key.end(), '-', '.');
        if (const auto* spec = core::find_key(key)) {
            return {spec->choices.begin(), spec->choices.end()};
        }
    }
    if (std::find(option.get_lnames().begin(), option.get_lnames().end(), "set") !=
        option.get_lnames().end()) {
        auto names = core::config_key_names();
        for (auto& n : names) {
            n += "=";
        }
        return names;
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
