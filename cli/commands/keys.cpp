#include "cli/commands/keys.hpp"

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "adapters/keys_file.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/secrets.hpp"
#include "core/suggest.hpp"

namespace sota::cli {
namespace {

// Reads one line from the terminal on stdin with echo off; the prompt goes to stderr.
core::Expected<std::string> prompt_hidden(const std::string& prompt) {
    std::cerr << prompt << std::flush;
    termios saved{};
    const bool have_termios = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (have_termios) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    const bool ok = static_cast<bool>(std::getline(std::cin, line));
    if (have_termios) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    }
    std::cerr << "\n";
    if (!ok) {
        return core::fail(core::ErrorKind::usage, "keys.no_input", "no value was entered");
    }
    return line;
}

core::Expected<std::string> read_secret_value(const std::string& name) {
    std::string value;
    if (is_tty(STDIN_FILENO)) {
        auto line = prompt_hidden("Value for key '" + name + "' (input hidden): ");
        if (!line) {
            return line;
        }
        value = *line;
    } else {
        value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    while (!value.empty() &&
           (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) {
        value.pop_back();
    }
    if (value.empty()) {
        return core::fail(core::ErrorKind::usage, "keys.empty",
                          "no value given for key '" + name +
                              "'; pipe it in (`printf %s \"$KEY\" | sota keys set " + name +
                              "`) or type it at the prompt");
    }
    if (value.find('\n') != std::string::npos) {
        return core::fail(
            core::ErrorKind::usage, "keys.multiline",
            "the value for key '" + name + "' spans several lines; a key is one line");
    }
    return value;
}

std::vector<std::string> name_completer(const std::vector<std::string>& before) {
    std::vector<std::string> names;
    if (before.empty()) {
        for (const auto& spec : core::known_secrets()) {
            names.emplace_back(spec.name);
        }
    }
    return names;
}

/// Refuses a name sota never reads: a known one, or NAME.N for the Nth endpoint of a provider's
/// pool (openai.2), is needed.
core::Status check_used_name(const std::string& name) {
    std::vector<std::string> known;
    for (const auto& spec : core::known_secrets()) {
        known.emplace_back(spec.name);
        if (name == spec.name) {
            return {};
        }
        const std::string pool = std::string(spec.name) + ".";
        if (name.size() > pool.size() && name.rfind(pool, 0) == 0) {
            const std::string n = name.substr(pool.size());
            if (n.find_first_not_of("0123456789") == std::string::npos && n[0] != '0' &&
                n.size() < 4 && std::stoi(n) >= 2) {
                return {};
            }
        }
    }
    std::string message = "sota uses no key named '" + name + "'";
    const std::string base = name.substr(0, name.find('.'));
    if (const auto near = core::closest_match(base, known)) {
        message += "; did you mean '" + *near + name.substr(base.size()) + "'?";
    }
    message +=
        " (names: openai, anthropic, gemini, openai_compatible, serper, wordpress, and NAME.N "
        "for the Nth endpoint of a pool, e.g. openai.2)";
    return core::fail(core::ErrorKind::usage, "keys.unknown_name", message);
}

}  // namespace

void setup_keys(CLI::App& parent, CommandTable& table) {
    auto* keys = parent.add_subcommand("keys", "Store and list API keys (owner-only file)");
    keys->require_subcommand(1);
    auto options = std::make_shared<KeysOptions>();

    auto* set =
        keys->add_subcommand("set", "Store a key; the value is read from stdin or a hidden prompt");
    set->add_option("NAME", options->name,
                    "Key name: openai, anthropic, gemini, openai_compatible, "
                    "serper, wordpress, or NAME.N for a pool's Nth endpoint")
        ->required();
    table.add(set, [options](Context* ctx) { return run_keys_set(*options, *ctx); });
    table.add_completer(set, name_completer);

    auto* list =
        keys->add_subcommand("list", "List key names and which source wins (never values)");
    list->add_flag("--json", options->json, "Print one JSON document");
    table.add(list, [options](Context* ctx) { return run_keys_list(*options, *ctx); });

    auto* remove = keys->add_subcommand("remove", "Remove a key from the keys file");
    remove->add_option("NAME", options->name, "Key name")->required();
    table.add(remove, [options](Context* ctx) { return run_keys_remove(*options, *ctx); });
    table.add_completer(remove, name_completer);

    auto* path = keys->add_subcommand("path", "Print the path of the keys file");
    table.add(path, [options](Context* ctx) { return run_keys_path(*options, *ctx); });
}

int run_keys_set(const KeysOptions& options, Context& ctx) {
    auto valid = core::validate_secret_name(options.name);
    if (!valid) {
        return report_error(valid.error());
    }
    if (auto used = check_used_name(options.name); !used) {
        return report_error(used.error());
    }
    const adapters::KeysFile file(ctx.paths().keys_file());
    auto existing = file.load();
    if (!existing) {
        return report_error(existing.error());
    }
    auto value = read_secret_value(options.name);
    if (!value) {
        return report_error(value.error());
    }
    ctx.redactor()->add_secret(options.name, *value);
    auto status = file.set(options.name, *value);
    if (!status) {
        return report_error(status.error());
    }
    std::cout << "stored key '" << options.name << "' in " << file.path().string() << "\n";
    return 0;
}

int run_keys_list(const KeysOptions& options, Context& ctx) {
    auto secrets = ctx.secrets();
    if (!secrets) {
        return report_error(secrets.error());
    }
    const auto rows = (*secrets)->list();
    auto sources_text = [](const core::SecretListing& row) {
        std::string out;
        for (const auto source : row.present) {
            out += out.empty() ? "" : ", ";
            out += core::to_string(source);
        }
        return out.empty() ? std::string("-") : out;
    };
    if (options.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& row : rows) {
            nlohmann::json present = nlohmann::json::array();
            for (const auto source : row.present) {
                present.push_back(core::to_string(source));
            }
            const auto* spec = core::find_secret(row.name);
            out.push_back({{"name", row.name},
                           {"set", row.winner.has_value()},
                           {"source", row.winner ? nlohmann::json(core::to_string(*row.winner))
                                                 : nlohmann::json()},
                           {"where", row.winner_where},
                           {"present", present},
                           {"env", spec ? nlohmann::json(spec->env_var) : nlohmann::json()}});
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> table{{"NAME", "USED FROM", "FOUND IN", "ENV VAR"}};
    for (const auto& row : rows) {
        const auto* spec = core::find_secret(row.name);
        table.push_back({row.name, row.winner ? core::to_string(*row.winner) : "(not set)",
                         sources_text(row), spec ? std::string(spec->env_var) : "-"});
    }
    print_table(table);
    return 0;
}

int run_keys_remove(const KeysOptions& options, Context& ctx) {
    auto valid = core::validate_secret_name(options.name);
    if (!valid) {
        return report_error(valid.error());
    }
    const adapters::KeysFile file(ctx.paths().keys_file());
    auto status = file.remove(options.name);
    if (!status) {
        return report_error(status.error());
    }
    std::cout << "removed key '" << options.name << "' from " << file.path().string() << "\n";
    return 0;
}

int run_keys_path(const KeysOptions&, Context& ctx) {
    std::cout << ctx.paths().keys_file().string() << "\n";
    return 0;
}

}  // namespace sota::cli
