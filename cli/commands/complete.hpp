#pragma once

#include <string>
#include <vector>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Adds the hidden `sota __complete -- WORD...` used by the shell completion scripts: WORDs
/// are the words after "sota", the last one being completed (possibly empty).
void setup_complete(CLI::App& root, CommandTable& table);

/// The candidates for the last of `words` (commands, options, option values, positionals),
/// filtered by what has been typed of it.
std::vector<std::string> complete_words(const CLI::App& root, const CommandTable& table,
                                        const std::vector<std::string>& words);

}  // namespace sota::cli
