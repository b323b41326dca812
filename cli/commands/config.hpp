#pragma once

#include <string>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota config show|get|set|unset|path`.
struct ConfigOptions {
    std::string key;
    std::string value;
    bool json = false;
    bool system = false;
};

/// Adds `config` and its subcommands to `parent` and registers their handlers.
void setup_config(CLI::App& parent, CommandTable& table);

/// `config show`: every key, its value and the layer that set it.
int run_config_show(const ConfigOptions& options, Context& ctx);
/// `config get KEY`.
int run_config_get(const ConfigOptions& options, Context& ctx);
/// `config set KEY VALUE`: edits the user file in place.
int run_config_set(const ConfigOptions& options, Context& ctx);
/// `config unset KEY`: removes the key from the user file.
int run_config_unset(const ConfigOptions& options, Context& ctx);
/// `config path`: the user (or with --system the system) config file.
int run_config_path(const ConfigOptions& options, Context& ctx);

}  // namespace sota::cli
