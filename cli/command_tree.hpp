#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace sota::cli {

/// The direct subcommand of `app` with this name, or nullptr.
const CLI::App* find_subcommand(const CLI::App& app, std::string_view name);

/// Names of the subcommands users see (hidden ones, such as __complete, left out).
std::vector<std::string> visible_subcommand_names(const CLI::App& app);

/// The option spelled `word` ("--json", "-h") on `app` or any command above it, or nullptr.
const CLI::Option* find_option_in_scope(const CLI::App& app, std::string_view word);

/// Every long option name ("--json") usable at `app`: its own and those of commands above it.
std::vector<std::string> option_names_in_scope(const CLI::App& app);

/// True if the option takes a value (is not a plain flag).
bool takes_value(const CLI::Option& option);

/// "sota config set": the command's full name from the root.
std::string command_path(const CLI::App& app);

}  // namespace sota::cli
