#include "cli/commands/config.hpp"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "adapters/config_file.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/suggest.hpp"

namespace sota::cli {
namespace {

nlohmann::json json_value(const core::ConfigEntry& e) {
    if (const auto* b = std::get_if<bool>(&e.value)) {
        return *b;
    }
    if (const auto* d = std::get_if<double>(&e.value)) {
        return *d;
    }
    if (const auto* i = std::get_if<std::int64_t>(&e.value)) {
        return *i;
    }
    return core::format_value(e.spec->type, e.value);
}

int unknown_key(const std::string& key) {
    std::string message = "unknown config key '" + key + "'";
    if (const auto near = core::closest_match(key, core::config_key_names())) {
        message += "; did you mean '" + *near + "'?";
    } else {
        message += "; `sota config show` lists every key";
    }
    print_error(core::Error{core::ErrorKind::usage, "config.unknown_key", message});
    return core::to_int(core::ExitCode::usage);
}

std::string file_state(const std::filesystem::path& p) {
    std::error_code ec;
    return p.string() + (std::filesystem::exists(p, ec) ? "" : " (absent)");
}

std::vector<std::string> key_completer(const std::vector<std::string>& before) {
    return before.empty() ? core::config_key_names() : std::vector<std::string>{};
}

}  // namespace

void setup_config(CLI::App& parent, CommandTable& table) {
    auto* config = parent.add_subcommand("config", "Show and change configuration");
    config->require_subcommand(1);
    auto options = std::make_shared<ConfigOptions>();

    auto* show =
        config->add_subcommand("show", "Print every key, its value and the layer that set it");
    show->add_flag("--json", options->json, "Print one JSON document");
    table.add(show, [options](Context* ctx) { return run_config_show(*options, *ctx); });

    auto* get = config->add_subcommand("get", "Print the effective value of one key");
    get->add_option("KEY", options->key, "Config key, e.g. log.level")->required();
    get->add_flag("--json", options->json, "Print value and origin as JSON");
    table.add(get, [options](Context* ctx) { return run_config_get(*options, *ctx); });
    table.add_completer(get, key_completer);

    auto* set =
        config->add_subcommand("set", "Set a key in the user config file, keeping its comments");
    set->add_option("KEY", options->key, "Config key, e.g. log.level")->required();
    set->add_option("VALUE", options->value, "New value, checked against the key's type")
        ->required();
    table.add(set, [options](Context* ctx) { return run_config_set(*options, *ctx); });
    table.add_completer(set, key_completer);

    auto* unset = config->add_subcommand("unset", "Remove a key from the user config file");
    unset->add_option("KEY", options->key, "Config key, e.g. log.level")->required();
    table.add(unset, [options](Context* ctx) { return run_config_unset(*options, *ctx); });
    table.add_completer(unset, key_completer);

    auto* path = config->add_subcommand("path", "Print the path of the user config file");
    path->add_flag("--system", options->system, "Print the system config file instead");
    table.add(path, [options](Context* ctx) { return run_config_path(*options, *ctx); });
}

int run_config_show(const ConfigOptions& options, Context& ctx) {
    const auto& config = ctx.config();
    if (options.json) {
        nlohmann::json out;
        out["files"] = {{"system", ctx.paths().system_config_file.string()},
                        {"user", ctx.paths().user_config_file().string()}};
        out["keys"] = nlohmann::json::array();
        for (const auto& e : config.entries()) {
            out["keys"].push_back({{"key", e.spec->name},
                                   {"value", json_value(e)},
                                   {"text", core::format_value(e.spec->type, e.value)},
                                   {"type", core::to_string(e.spec->type)},
                                   {"default", e.spec->default_text},
                                   {"layer", core::to_string(e.origin.layer)},
                                   {"origin", e.origin.where},
                                   {"env", core::env_var_for_key(e.spec->name)},
                                   {"help", e.spec->help}});
        }
        out["prices"] = nlohmann::json::object();
        for (const auto& [model, price] : config.prices().rows()) {
            nlohmann::json row = {{"input", price.input},
                                  {"output", price.output},
                                  {"date", price.date},
                                  {"origin", price.origin}};
            if (price.cached_input) {
                row["cached_input"] = *price.cached_input;
            }
            out["prices"][model] = row;
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::cout << "# system file: " << file_state(ctx.paths().system_config_file) << "\n"
              << "# user file:   " << file_state(ctx.paths().user_config_file()) << "\n";
    std::vector<std::vector<std::string>> rows{{"KEY", "VALUE", "LAYER", "ORIGIN"}};
    for (const auto& e : config.entries()) {
        rows.push_back({std::string(e.spec->name), core::format_value(e.spec->type, e.value),
                        core::to_string(e.origin.layer),
                        e.origin.where.empty() ? "-" : e.origin.where});
    }
    print_table(rows);
    std::cout << "\n# prices, USD per million tokens ([prices.\"MODEL\"] in a config file)\n";
    std::vector<std::vector<std::string>> prices{{"MODEL", "INPUT", "OUTPUT", "DATE", "ORIGIN"}};
    for (const auto& [model, price] : config.prices().rows()) {
        prices.push_back({model, core::format_value(core::ValueType::number, price.input),
                          core::format_value(core::ValueType::number, price.output), price.date,
                          price.origin});
    }
    print_table(prices);
    return 0;
}

int run_config_get(const ConfigOptions& options, Context& ctx) {
    if (!core::find_key(options.key)) {
        return unknown_key(options.key);
    }
    const auto& e = ctx.config().entry(options.key);
    if (options.json) {
        std::cout << nlohmann::json{{"key", options.key},
                                    {"value", json_value(e)},
                                    {"layer", core::to_string(e.origin.layer)},
                                    {"origin", e.origin.where}}
                         .dump()
                  << "\n";
    } else {
        std::cout << core::format_value(e.spec->type, e.value) << "\n";
    }
    return 0;
}

int run_config_set(const ConfigOptions& options, Context& ctx) {
    if (!core::find_key(options.key)) {
        return unknown_key(options.key);
    }
    const auto file = ctx.paths().user_config_file();
    auto status = adapters::set_config_file_key(file, options.key, options.value);
    if (!status) {
        return report_error(status.error());
    }
    std::cout << "set " << options.key << " in " << file.string() << "\n";
    const auto& e = ctx.config().entry(options.key);
    if (e.origin.layer == core::Layer::environment || e.origin.layer == core::Layer::flags) {
        spdlog::warn("{} is also set by {} {}, which takes precedence over the user file",
                     options.key, e.origin.layer == core::Layer::environment ? "variable" : "flag",
                     e.origin.where);
    }
    return 0;
}

int run_config_unset(const ConfigOptions& options, Context& ctx) {
    if (!core::find_key(options.key)) {
        return unknown_key(options.key);
    }
    const auto file = ctx.paths().user_config_file();
    auto status = adapters::unset_config_file_key(file, options.key);
    if (!status) {
        return report_error(status.error());
    }
    std::cout << "unset " << options.key << " in " << file.string() << "\n";
    return 0;
}

int run_config_path(const ConfigOptions& options, Context& ctx) {
    std::cout << (options.system ? ctx.paths().system_config_file : ctx.paths().user_config_file())
                     .string()
              << "\n";
    return 0;
}

}  // namespace sota::cli
