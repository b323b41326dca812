#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <sstream>

#include "cli/app.hpp"
#include "cli/command_tree.hpp"
#include "core/config_schema.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path k_source = SOTA_SOURCE_DIR;

std::map<std::string, std::string> shell_env(const sota::test::TempHome& home) {
    auto env = sota::test::clean_env(home.str());
    env["PATH"] = fs::path(SOTA_BINARY).parent_path().string() + ":" + env["PATH"];
    env["SOTA_HOME"] = home.str();
    return env;
}

std::set<std::string> lines_of(const std::string& text) {
    std::set<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (const auto tab = line.find('\t'); tab != std::string::npos) {
            line = line.substr(0, tab);
        }
        if (!line.empty() && line != "--") {
            out.insert(line);
        }
    }
    return out;
}

std::set<std::string> current_commands() {
    sota::cli::CliApp app;
    const auto names = sota::cli::visible_subcommand_names(app.root());
    return {names.begin(), names.end()};
}

sota::test::ProcessResult shell(const std::string& program, const std::string& script,
                                const sota::test::TempHome& home) {
    return sota::test::run_process(
        {{program, "-c", script}, shell_env(home), "", std::nullopt, std::chrono::seconds(20)});
}

}  // namespace

TEST_CASE("every man page renders with no warnings and every command has a page", "[docs]") {
    sota::test::TempHome home;
    std::size_t pages = 0;
    for (const auto& entry : fs::directory_iterator(k_source / "man")) {
        if (entry.path().extension() != ".1") {
            continue;
        }
        ++pages;
        auto env = sota::test::clean_env(home.str());
        env["MANWIDTH"] = "80";
        env["MAN_KEEP_FORMATTING"] = "0";
        const auto r =
            sota::test::run_process({{"/usr/bin/man", "--warnings=w", "-l", entry.path().string()},
                                     env,
                                     "",
                                     std::nullopt,
                                     std::chrono::seconds(20)});
        INFO(entry.path().string() << "\n" << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        CHECK(r.out.size() > 200);
    }
    CHECK(pages >= 1);
    for (const auto& command : current_commands()) {
        if (command == "help") {
            continue;
        }
        INFO("command " << command);
        CHECK(fs::exists(k_source / "man" / ("sota-" + command + ".1")));
    }
}

TEST_CASE("the bash completion offers the current commands", "[docs][completion]") {
    sota::test::TempHome home;
    const auto r = shell("/bin/bash",
                         "source '" + (k_source / "completions/sota.bash").string() +
                             "'; COMP_WORDS=(sota ''); COMP_CWORD=1; _sota; "
                             "printf '%s\\n' \"${COMPREPLY[@]}\"; "
                             "COMP_WORDS=(sota config s); COMP_CWORD=2; _sota; "
                             "printf '%s\\n' \"${COMPREPLY[@]}\"",
                         home);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto offered = lines_of(r.out);
    for (const auto& command : current_commands()) {
        CHECK(offered.count(command) == 1);
    }
    CHECK(offered.count("show") == 1);
    CHECK(offered.count("set") == 1);
}

TEST_CASE("the zsh completion offers the current commands", "[docs][completion]") {
    sota::test::TempHome home;
    // compadd and compdef are stubbed to print what the script would offer.
    const auto r = shell("/usr/bin/zsh",
                         "compadd() { while [[ $# -gt 0 && $1 != -- ]]; do shift; done; shift; "
                         "printf '%s\\n' \"$@\"; }; compdef() { :; }; "
                         "source '" +
                             (k_source / "completions/_sota").string() +
                             "'; words=(sota ''); CURRENT=2; _sota; "
                             "words=(sota keys ''); CURRENT=3; _sota",
                         home);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto offered = lines_of(r.out);
    for (const auto& command : current_commands()) {
        CHECK(offered.count(command) == 1);
    }
    CHECK(offered.count("list") == 1);
}

TEST_CASE("the fish completion offers the current commands", "[docs][completion]") {
    sota::test::TempHome home;
    const auto r = shell("/usr/bin/fish",
                         "source '" + (k_source / "completions/sota.fish").string() +
                             "'; complete -C 'sota '; complete -C 'sota config g'",
                         home);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto offered = lines_of(r.out);
    for (const auto& command : current_commands()) {
        CHECK(offered.count(command) == 1);
    }
    CHECK(offered.count("get") == 1);
}

TEST_CASE("every config key is documented in sota-config(1)", "[docs]") {
    std::string page = sota::test::read_text(k_source / "man" / "sota-config.1");
    // roff escapes hyphens; compare with them unescaped.
    for (std::size_t pos; (pos = page.find("\\-")) != std::string::npos;) {
        page.erase(pos, 1);
    }
    for (const auto& key : sota::core::config_key_names()) {
        INFO(key);
        CHECK(page.find(".B " + key + "\n") != std::string::npos);
    }
}
