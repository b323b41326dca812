#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/command_table.hpp"
#include "cli/context.hpp"
#include "core/paths.hpp"

namespace CLI {
class App;
}

namespace sota::cli {

/// The `sota` command tree: global flags, every command, and the dispatch from parsed command
/// line to handler, with exit codes for usage errors.
class CliApp {
  public:
    CliApp();
    ~CliApp();

    /// Parses argv, loads the context if the command needs one, runs it, and returns the exit
    /// code. Unknown commands and flags exit 2 with a suggestion; nothing here throws for bad
    /// input.
    int run(int argc, const char* const* argv, core::EnvMap env);

    /// Parses `sota WORDS...` as run() would and runs nothing: 0 if it is a valid command line,
    /// else the usage error is printed and its exit code returned.
    int check(const std::vector<std::string>& words);

    /// The root of the command tree (for completion and tests).
    CLI::App& root() { return *m_app; }
    const CommandTable& table() const { return m_table; }

  private:
    int usage_error(const std::string& message, const CLI::App& at);

    std::unique_ptr<CLI::App> m_app;
    GlobalOptions m_globals;
    CommandTable m_table;
    bool m_check_only = false;
};

}  // namespace sota::cli
