// Every flag of every command is in its man page, and the completion scripts offer option
// values and job ids in each shell.
#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include "cli/app.hpp"
#include "cli/command_tree.hpp"
#include "tests/integration/sotad_harness.hpp"

namespace fs = std::filesystem;
using namespace sota;

namespace {

const fs::path k_source = SOTA_SOURCE_DIR;

/// A man page's text as a reader sees the words: roff's escaped hyphens and font changes gone.
std::string page_words(const fs::path& page) {
    std::string text = test::read_text(page);
    text = std::regex_replace(text, std::regex(R"(\\f[BIRP])"), "");
    text = std::regex_replace(text, std::regex(R"(\\-)"), "-");
    return text;
}

/// Whether `flag` ("--dry-run", "-k") is named in `text` as a whole word.
bool names_flag(const std::string& text, const std::string& flag) {
    const std::regex word("(^|[^A-Za-z0-9-])" + flag + "($|[^A-Za-z0-9-])");
    return std::regex_search(text, word);
}

/// Every flag spelling of the options of `app` itself ("--older-than", "-w"), help left out.
std::vector<std::string> flags_of(const CLI::App& app) {
    std::vector<std::string> flags;
    for (const auto* option : app.get_options()) {
        if (option->get_name() == "--help" || option->get_name().find("-h,") == 0 ||
            option->get_positional()) {
            continue;
        }
        for (const auto& l : option->get_lnames()) {
            if (l != "help") {
                flags.push_back("--" + l);
            }
        }
        for (const auto& s : option->get_snames()) {
            if (s != "h") {
                flags.push_back("-" + s);
            }
        }
    }
    return flags;
}

/// Calls `visit` for each command under `app`, with the top-level command it belongs to.
void walk(const CLI::App& app, const std::string& top,
          const std::function<void(const CLI::App&, const std::string&)>& visit) {
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->get_group().empty()) {
            continue;  // hidden (__complete)
        }
        const std::string owner = top.empty() ? sub->get_name() : top;
        visit(*sub, owner);
        walk(*sub, owner, visit);
    }
}

std::set<std::string> lines_of(const std::string& text) {
    std::set<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (const auto tab = line.find('\t'); tab != std::string::npos) {
            line = line.substr(0, tab);
        }
        if (!line.empty()) {
            out.insert(line);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("every flag of every command is in the command's man page", "[docs]") {
    cli::CliApp app;
    std::size_t checked = 0;
    const std::string root_page = page_words(k_source / "man/sota.1");
    for (const auto& flag : flags_of(app.root())) {
        INFO("sota " << flag << " in man/sota.1");
        CHECK(names_flag(root_page, flag));
        ++checked;
    }
    walk(app.root(), "", [&](const CLI::App& command, const std::string& top) {
        if (top == "help") {
            return;
        }
        const fs::path page = k_source / "man" / ("sota-" + top + ".1");
        const std::string text = page_words(page);
        for (const auto& flag : flags_of(command)) {
            INFO(cli::command_path(command) << " " << flag << " in " << page.filename().string());
            CHECK(names_flag(text, flag));
            ++checked;
        }
    });
    CHECK(checked > 60);

    // sotad's own flags, as its --help lists them, in sotad(1).
    auto help = test::run_process({{SOTAD_BINARY, "--help"},
                                   test::clean_env("/tmp"),
                                   "",
                                   std::nullopt,
                                   std::chrono::seconds(10)});
    REQUIRE(help.exit_code == 0);
    const std::string sotad_page = page_words(k_source / "man/sotad.1");
    std::smatch m;
    std::string rest = help.out;
    std::size_t sotad_flags = 0;
    while (std::regex_search(rest, m, std::regex(R"(--[a-z][a-z-]*)"))) {
        if (m.str() != "--help") {
            INFO("sotad " << m.str() << " in man/sotad.1");
            CHECK(names_flag(sotad_page, m.str()));
            ++sotad_flags;
        }
        rest = m.suffix();
    }
    CHECK(sotad_flags >= 3);
}

TEST_CASE("completions offer option values and job ids in bash, zsh and fish",
          "[docs][completion][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    auto env = world_env(home, world);
    env["PATH"] = fs::path(SOTA_BINARY).parent_path().string() + ":" + env["PATH"];
    // A job in the job database, as `sota run` or sotad leave them: its id is offered.
    const auto made = test::run_sota(home, env, {"run", "--keyword", test::k_keyword});
    INFO(made.err);
    REQUIRE(made.exit_code == 0);
    std::smatch m;
    REQUIRE(std::regex_search(made.err, m, std::regex(R"(job_[0-9]+_[0-9a-f]+)")));
    const std::string job_id = m.str();

    // What each shell offers after these words (the last is being typed).
    const std::vector<std::pair<std::string, std::set<std::string>>> cases = {
        {"run --workflow ", {"standard", "refresh"}},
        {"run --publish ", {"draft", "publish"}},
        {"run --mode ", {"generate", "refresh"}},
        {"result x --format ", {"json", "md", "html"}},
        {"submit --queue ", {"standard", "priority"}},
        {"schedule add --missed ", {"once", "skip"}},
        {"cache clear --kind ", {"serp", "keywords"}},
        {"status ", {job_id}},
        {"logs ", {job_id}},
    };
    for (const auto& [typed, expected] : cases) {
        std::vector<std::string> words;
        std::istringstream in(typed);
        for (std::string w; in >> w;) {
            words.push_back(w);
        }
        words.emplace_back();  // the word being typed: empty
        std::string bash_words = "sota";
        std::string zsh_words = "sota";
        for (const auto& w : words) {
            bash_words += " '" + w + "'";
            zsh_words += " '" + w + "'";
        }
        const std::string cword = std::to_string(words.size());
        const std::map<std::string, std::vector<std::string>> shells = {
            {"bash",
             {"/bin/bash", "-c",
              "source '" + (k_source / "completions/sota.bash").string() + "'; COMP_WORDS=(" +
                  bash_words + "); COMP_CWORD=" + cword +
                  "; _sota; printf '%s\\n' \"${COMPREPLY[@]}\""}},
            {"zsh",
             {"/usr/bin/zsh", "-c",
              "compadd() { while [[ $# -gt 0 && $1 != -- ]]; do shift; done; shift; "
              "printf '%s\\n' \"$@\"; }; compdef() { :; }; source '" +
                  (k_source / "completions/_sota").string() + "'; words=(" + zsh_words +
                  "); CURRENT=" + std::to_string(words.size() + 1) + "; _sota"}},
            {"fish",
             {"/usr/bin/fish", "-c",
              "source '" + (k_source / "completions/sota.fish").string() + "'; complete -C 'sota " +
                  typed + "'"}},
        };
        for (const auto& [shell, argv] : shells) {
            const auto r = test::run_process({argv, env, "", home.str(), std::chrono::seconds(20)});
            INFO(shell << ": sota " << typed << "\n" << r.out << r.err);
            REQUIRE(r.exit_code == 0);
            const auto offered = lines_of(r.out);
            for (const auto& value : expected) {
                CHECK(offered.count(value) == 1);
            }
        }
    }
}
