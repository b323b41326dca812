#include "cli/commands/help.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/command_tree.hpp"
#include "cli/output.hpp"
#include "core/exit_codes.hpp"
#include "core/suggest.hpp"

namespace sota::cli {

void setup_help(CLI::App& root, CommandTable& table) {
    auto* help = root.add_subcommand("help", "Show help for sota or for one command");
    table.add_raw(help, [&root](const std::vector<std::string>& words) {
        return run_help(HelpOptions{words}, root);
    });
    table.add_completer(help, [&root](const std::vector<std::string>& before) {
        const CLI::App* at = &root;
        for (const auto& word : before) {
            at = find_subcommand(*at, word);
            if (!at) {
                return std::vector<std::string>{};
            }
        }
        return visible_subcommand_names(*at);
    });
}

int run_help(const HelpOptions& options, CLI::App& root) {
    const CLI::App* at = &root;
    std::string path = "sota";
    for (const auto& word : options.words) {
        const CLI::App* next = find_subcommand(*at, word);
        if (!next) {
            std::string message = "'" + word + "' is not a command of " + path;
            if (const auto near = core::closest_match(word, visible_subcommand_names(*at))) {
                message += "; did you mean '" + *near + "'?";
            }
            message += " (`" + path + " --help` lists them)";
            print_error(core::Error{core::ErrorKind::usage, "cli.unknown_command", message});
            return core::to_int(core::ExitCode::usage);
        }
        at = next;
        path += " " + word;
    }
    // Format `at` itself: App::help() would describe the `help` command parsed below the root.
    std::cout << at->get_formatter()->make_help(at, command_path(*at), CLI::AppFormatMode::Normal);
    return 0;
}

}  // namespace sota::cli
