#pragma once

#include <string>
#include <vector>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota help [COMMAND...]`.
struct HelpOptions {
    std::vector<std::string> words;
};

/// Adds `help` (prints the help of the root or of a nested command) to `root`.
void setup_help(CLI::App& root, CommandTable& table);

/// Prints the help of the command named by `options.words`; exit 2 with a suggestion if the
/// words name no command.
int run_help(const HelpOptions& options, CLI::App& root);

}  // namespace sota::cli
