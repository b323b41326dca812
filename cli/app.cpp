#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/command_tree.hpp"
#include "cli/commands/analyze.hpp"
#include "cli/commands/batch.hpp"
#include "cli/commands/breakers.hpp"
#include "cli/commands/cache.hpp"
#include "cli/commands/complete.hpp"
#include "cli/commands/config.hpp"
#include "cli/commands/daemon.hpp"
#include "cli/commands/doctor.hpp"
#include "cli/commands/help.hpp"
#include "cli/commands/jobs.hpp"
#include "cli/commands/keys.hpp"
#include "cli/commands/publish_queue.hpp"
#include "cli/commands/refresh.hpp"
#include "cli/commands/run.hpp"
#include "cli/commands/schedule.hpp"
#include "cli/commands/workflow.hpp"
#include "cli/help_format.hpp"
#include "cli/output.hpp"
#include "core/suggest.hpp"
#include "core/version.hpp"

namespace sota::cli {
namespace {

void apply_recursively(CLI::App& app) {
    app.allow_extras();
    // Global flags work after a command too.
    app.fallthrough();
    for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        apply_recursively(*sub);
    }
}

// The deepest command the parser selected.
CLI::App* selected_command(CLI::App& root) {
    CLI::App* at = &root;
    for (;;) {
        const auto parsed = at->get_subcommands();
        if (parsed.empty()) {
            return at;
        }
        at = parsed.front();
    }
}

// The first argument no command or option claimed, searching from the selected command up.
std::optional<std::string> first_leftover(CLI::App& root) {
    for (CLI::App* at = selected_command(root); at; at = at->get_parent()) {
        for (const auto& word : at->remaining(false)) {
            if (word != "--") {  // the parser keeps the positional mark among the extras
                return word;
            }
        }
    }
    return std::nullopt;
}

}  // namespace

CliApp::CliApp()
    : m_app(std::make_unique<CLI::App>("sota turns keywords into publish-ready, "
                                       "SEO-checked articles.",
                                       "sota")) {
    auto& app = *m_app;
    app.formatter(make_help_formatter());  // before any subcommand: each copies it
    app.set_version_flag("--version", std::string("sota ") + core::k_version);
    app.footer(
        "Run `sota help COMMAND` for a command's options; `man sota` for exit codes, "
        "files and environment.");
    app.add_option("--log-level", m_globals.log_level,
                   "Log level: trace, debug, info, warn, error, off")
        ->group("Global options");
    app.add_option("--log-format", m_globals.log_format, "Log format on stderr: text or json")
        ->group("Global options");
    app.add_option("--color", m_globals.color, "Colour: auto, always or never")
        ->group("Global options");
    app.add_option("--set", m_globals.set,
                   "Override a config key for this run: KEY=VALUE (repeatable)")
        ->group("Global options")
        ->allow_extra_args(false);
    app.add_option("--key", m_globals.keys,
                   "Use this API key for this run: NAME=VALUE or NAME=@FILE (repeatable; "
                   "beats the keys file and the environment)")
        ->group("Global options")
        ->allow_extra_args(false);

    setup_run(app, m_table);
    setup_jobs(app, m_table);
    setup_batch(app, m_table);
    setup_schedule(app, m_table);
    setup_refresh(app, m_table);
    setup_publish_queue(app, m_table);
    setup_daemon(app, m_table);
    setup_config(app, m_table);
    setup_keys(app, m_table);
    setup_doctor(app, m_table);
    setup_breakers(app, m_table);
    setup_cache(app, m_table);
    setup_workflow(app, m_table);
    setup_analyze(app, m_table);
    setup_help(app, m_table);
    setup_complete(app, m_table);
    apply_recursively(app);
}

CliApp::~CliApp() = default;

int CliApp::check(const std::vector<std::string>& words) {
    std::vector<const char*> argv = {"sota"};
    for (const auto& w : words) {
        argv.push_back(w.c_str());
    }
    m_check_only = true;
    return run(static_cast<int>(argv.size()), argv.data(), {});
}

int CliApp::usage_error(const std::string& message, const CLI::App& at) {
    const std::string path = command_path(at);
    std::string hint = path == "sota" ? "sota --help" : "sota help" + path.substr(4);
    print_error(
        core::Error{core::ErrorKind::usage, "cli.usage", message + " (see `" + hint + "`)"});
    return core::to_int(core::ExitCode::usage);
}

int CliApp::run(int argc, const char* const* argv, core::EnvMap env) {
    auto& app = *m_app;
    // `help` and `__complete` take the rest of the line as data: the parser would read command
    // names in it ("help config set") as commands to run.
    for (int i = 1; i < argc; ++i) {
        const std::string word = argv[i];
        if (word.starts_with("-")) {
            const auto* opt = find_option_in_scope(app, word.substr(0, word.find('=')));
            if (opt && takes_value(*opt) && word.find('=') == std::string::npos) {
                ++i;
            }
            continue;
        }
        if (const auto* raw = m_table.find_raw(word)) {
            std::vector<std::string> words(argv + i + 1, argv + argc);
            if (!words.empty() && words.front() == "--") {
                words.erase(words.begin());
            }
            return (*raw)(words);
        }
        break;
    }
    std::optional<std::string> parse_error;
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        parse_error = e.what();
    }
    CLI::App* command = selected_command(app);
    if (const auto leftover = first_leftover(app)) {
        if (leftover->starts_with("-")) {
            std::string message =
                "unknown flag '" + *leftover + "' for `" + command_path(*command) + "`";
            const std::string flag = leftover->substr(0, leftover->find('='));
            if (const auto near = core::closest_match(flag, option_names_in_scope(*command))) {
                message += "; did you mean '" + *near + "'?";
            }
            return usage_error(message, *command);
        }
        const auto subs = visible_subcommand_names(*command);
        if (!subs.empty() && command->get_subcommands().empty()) {
            std::string message =
                "'" + *leftover + "' is not a command of `" + command_path(*command) + "`";
            if (const auto near = core::closest_match(*leftover, subs)) {
                message += "; did you mean '" + *near + "'?";
            }
            return usage_error(message, *command);
        }
        return usage_error(
            "unexpected argument '" + *leftover + "' for `" + command_path(*command) + "`",
            *command);
    }
    if (parse_error) {
        std::string message = *parse_error;
        const auto subs = visible_subcommand_names(*command);
        if (command->get_subcommands().empty() && !subs.empty() && command != &app) {
            std::string list;
            for (const auto& s : subs) {
                list += (list.empty() ? "" : ", ") + s;
            }
            message = "`" + command_path(*command) + "` needs a subcommand: " + list;
        }
        return usage_error(message, *command);
    }

    const auto* entry = m_table.find(command);
    if (m_check_only) {
        return entry ? 0
                     : usage_error("`" + command_path(*command) + "` needs a subcommand", *command);
    }
    if (!entry) {
        std::cout << command->help();
        return command == &app ? 0 : core::to_int(core::ExitCode::usage);
    }
    if (!entry->needs_context) {
        return entry->run(nullptr);
    }
    auto ctx = Context::load(m_globals, std::move(env));
    if (!ctx) {
        return report_error(ctx.error());
    }
    return entry->run(&*ctx);
}

}  // namespace sota::cli
