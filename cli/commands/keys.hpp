#pragma once

#include <string>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota keys set|list|remove|path`.
struct KeysOptions {
    std::string name;
    bool json = false;
};

/// Adds `keys` and its subcommands to `parent` and registers their handlers.
void setup_keys(CLI::App& parent, CommandTable& table);

/// `keys set NAME`: reads the value from stdin (no-echo prompt on a terminal), never argv.
int run_keys_set(const KeysOptions& options, Context& ctx);
/// `keys list`: names only, with the source that wins and every source present.
int run_keys_list(const KeysOptions& options, Context& ctx);
/// `keys remove NAME`.
int run_keys_remove(const KeysOptions& options, Context& ctx);
/// `keys path`: the keys file.
int run_keys_path(const KeysOptions& options, Context& ctx);

}  // namespace sota::cli
