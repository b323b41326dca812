#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace sota::cli {

class Context;

/// Runs a leaf command. Receives the loaded context, or nullptr for commands registered as not
/// needing one (help, completion). Returns the process exit code.
using Handler = std::function<int(Context*)>;

/// Runs a command that takes the rest of the command line as raw words (help, completion).
using RawHandler = std::function<int(const std::vector<std::string>& words)>;

/// Offers candidates for a command's next positional argument, given the positionals before it.
using Completer = std::function<std::vector<std::string>(const std::vector<std::string>& before)>;

/// Maps each leaf command of the tree to its handler and its positional completer.
class CommandTable {
  public:
    /// Registers the handler for `command`. `needs_context` false: it gets nullptr.
    void add(CLI::App* command, Handler run, bool needs_context = true);

    /// Registers a command whose words after its name are data, not commands or flags to parse.
    void add_raw(CLI::App* command, RawHandler run);

    /// The raw handler of the top-level command with this name, or nullptr.
    const RawHandler* find_raw(const std::string& name) const;

    /// Registers how to complete `command`'s positional arguments.
    void add_completer(CLI::App* command, Completer completer);

    struct Entry {
        Handler run;
        bool needs_context = true;
    };

    /// The handler for a command, or nullptr if it has none (a group such as `config`).
    const Entry* find(const CLI::App* command) const;

    /// The completer for a command, or nullptr.
    const Completer* completer(const CLI::App* command) const;

  private:
    std::map<const CLI::App*, Entry> m_handlers;
    std::map<const CLI::App*, Completer> m_completers;
    std::map<std::string, RawHandler> m_raw;
};

}  // namespace sota::cli
