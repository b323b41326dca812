#include "cli/command_tree.hpp"

#include <CLI/CLI.hpp>

namespace sota::cli {

const CLI::App* find_subcommand(const CLI::App& app, std::string_view name) {
    const auto subs = app.get_subcommands([](const CLI::App*) { return true; });
    for (const auto* sub : subs) {
        if (sub->get_name() == name) {
            return sub;
        }
    }
    return nullptr;
}

std::vector<std::string> visible_subcommand_names(const CLI::App& app) {
    std::vector<std::string> names;
    const auto subs =
        app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
    for (const auto* sub : subs) {
        if (!sub->get_name().empty()) {
            names.push_back(sub->get_name());
        }
    }
    return names;
}

const CLI::Option* find_option_in_scope(const CLI::App& app, std::string_view word) {
    for (const CLI::App* at = &app; at; at = at->get_parent()) {
        if (const auto* opt = at->get_option_no_throw(std::string(word))) {
            return opt;
        }
    }
    return nullptr;
}

std::vector<std::string> option_names_in_scope(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* at = &app; at; at = at->get_parent()) {
        for (const auto* opt : at->get_options()) {
            if (opt->get_positional() || opt->get_group().empty()) {
                continue;
            }
            for (const auto& l : opt->get_lnames()) {
                names.push_back("--" + l);
            }
        }
    }
    return names;
}

bool takes_value(const CLI::Option& option) {
    return option.get_type_size_max() > 0;
}

std::string command_path(const CLI::App& app) {
    std::string path;
    for (const CLI::App* at = &app; at; at = at->get_parent()) {
        path = at->get_name() + (path.empty() ? "" : " " + path);
    }
    return path;
}

}  // namespace sota::cli
