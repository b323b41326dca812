// Live progress on terminals of different widths: `sota run`, `sota batch`, `sota watch` and
// `sota submit --wait` run in a pseudo-terminal, and what they wrote is replayed on a screen.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/integration/sotad_harness.hpp"
#include "tests/support/terminal.hpp"

using namespace sota;
using nlohmann::json;

namespace {

const std::vector<std::string> k_steps = {"semantic_keywords", "gap_analysis", "blueprint",
                                          "generate",          "auto_fix",     "references",
                                          "internal_links",    "validate"};

test::ProcessSpec sota_spec(const test::TempHome& home, std::map<std::string, std::string> env,
                            std::vector<std::string> args) {
    test::ProcessSpec spec;
    spec.argv = {SOTA_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    env["TERM"] = "xterm-256color";
    spec.env = std::move(env);
    spec.cwd = home.str();
    spec.timeout = std::chrono::seconds(60);
    return spec;
}

std::string joined(const std::vector<std::string>& lines) {
    std::ostringstream out;
    for (const auto& line : lines) {
        out << "|" << line << "\n";
    }
    return out.str();
}

/// No line drawn in place went past the terminal's edge, and the final screen (scrolled-off
/// rows included) has one row for each step.
void check_screen(const test::TerminalRun& run) {
    const auto screen = run.screen();
    const auto lines = screen.lines();
    INFO("final screen, " << screen.columns() << " columns:\n" << joined(lines));
    CHECK(screen.wraps() == 0);
    for (const auto& step : k_steps) {
        INFO("step " << step);
        CHECK(test::step_rows(lines, step) == 1);
    }
}

}  // namespace

TEST_CASE("the screen model wraps, moves, erases and reflows as a terminal does", "[terminal]") {
    test::Screen printed(10, 5);
    printed.write("0123456789ab\r\n");  // printed once: the terminal wraps it
    CHECK(printed.wraps() == 0);
    CHECK(printed.wrapped_lines() == std::vector<std::string>{"0123456789ab"});
    printed.write("\x1b[2K0123456789ab\r\n");  // drawn in place: counted
    CHECK(printed.wraps() == 1);

    test::Screen screen(10, 5);
    screen.write("0123456789ab\r\n");
    screen.write("x\xE2\x9C\x93y\r\n\x1b[1Fnew\x1b[K\r\n\x1b[J");
    CHECK(screen.lines() == std::vector<std::string>{"0123456789", "ab", "new"});
    screen.resize(5);
    CHECK(screen.lines() == std::vector<std::string>{"01234", "56789", "ab", "new"});
    screen.write("\x1b[2Fz");
    CHECK(screen.lines() == std::vector<std::string>{"01234", "56789", "zb", "new"});
    CHECK(test::step_rows({" \xE2\x9C\x93 blueprint  done", " . blueprint_x", "blueprint"},
                          "blueprint") == 1);

    // A frame laid out before a resize reached the program is drawn at the new width: its
    // lines past the edge count apart; from the second frame begun after the resize, each
    // counts.
    test::TerminalRun run;
    run.columns = 20;
    const std::string before = "\x1b[2K" + std::string(15, 'a') + "\r\n";
    auto frame = [](char c) { return "\x1b[1F\x1b[2K" + std::string(15, c) + "\r\n"; };
    run.result.out = before + frame('b') + frame('c');
    run.resizes = {{before.size(), 10}};
    CHECK(run.screen().resize_wraps() == 1);
    CHECK(run.screen().wraps() == 1);
}

TEST_CASE("sota run's live block fits 40, 80 and 120 columns", "[terminal][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = test::world_env(home, world);
    world.section_delay_ms->store(300);
    for (const int columns : {40, 80, 120}) {
        auto run = test::run_in_terminal(
            sota_spec(home, env, {"run", "-k", "best espresso grinder " + std::to_string(columns)}),
            columns);
        INFO(columns << " columns; exit " << run.result.exit_code);
        CHECK(run.result.exit_code == 0);
        check_screen(run);
    }
}

TEST_CASE("sota run's live block survives a resize from 120 to 40 to 100 columns",
          "[terminal][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = test::world_env(home, world);
    world.section_delay_ms->store(300);
    // Narrower, then wider again, while the job runs: the program gets SIGWINCH each time.
    std::vector<int> widths = {40, 100};
    auto run = test::run_in_terminal(sota_spec(home, env, {"run", "-k", "quiet coffee grinder"}),
                                     120, [&](const std::string&, test::TerminalControl& terminal) {
                                         const int sections =
                                             test::prompts_seen(world.llm_server)["write_section"];
                                         if (widths.size() == 2 && sections > 0) {
                                             terminal.resize(widths.front());
                                             widths.erase(widths.begin());
                                         } else if (widths.size() == 1 && sections > 4) {
                                             terminal.resize(widths.front());
                                             widths.clear();
                                         }
                                     });
    CHECK(run.result.exit_code == 0);
    CHECK(run.resizes.size() == 2);
    check_screen(run);
}

TEST_CASE("Ctrl-C during sota run leaves each step on the screen once", "[terminal][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = test::world_env(home, world);
    world.section_delay_ms->store(3000);
    bool typed = false;
    auto run = test::run_in_terminal(
        sota_spec(home, env, {"run", "-k", "best espresso grinder"}), 60,
        [&](const std::string&, test::TerminalControl& terminal) {
            if (!typed && test::prompts_seen(world.llm_server)["write_section"] > 0) {
                terminal.type("\x03");
                typed = true;
            }
        });
    CHECK(typed);
    CHECK(run.result.exit_code == 130);
    check_screen(run);
    const auto text = joined(run.screen().lines());
    CHECK(text.find("Interrupted: stopping the running steps") != std::string::npos);
    CHECK(text.find("sota run --resume job_") != std::string::npos);
}

TEST_CASE("an inline batch's board fits the terminal and names the row that failed",
          "[terminal][integration][batch]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = test::world_env(home, world);
    world.section_delay_ms->store(200);
    test::write_text(home.path() / "k.csv",
                     "keyword,mode,url\n"
                     "best espresso grinder,,\n"
                     "espresso grinder refresh,refresh,http://home-barista.example/gone\n"
                     "best burr grinder,,\n");
    for (const int columns : {40, 80}) {
        auto run = test::run_in_terminal(
            sota_spec(home, env, {"batch", "k.csv", "--parallel", "2"}), columns);
        const auto screen = run.screen();
        const auto lines = screen.lines();
        const auto text = joined(lines);
        INFO(columns << " columns:\n" << text);
        CHECK(run.result.exit_code == 4);
        CHECK(screen.wraps() == 0);
        // As it fails, and again in the summary: its line, its keyword, and why.
        CHECK(text.find("k.csv:3: espresso grinder") != std::string::npos);
        CHECK(text.find("Rows that did not complete:") != std::string::npos);
        CHECK(text.find("home-barista.example/gone") != std::string::npos);
        CHECK(text.find("2 completed, 1 failed") != std::string::npos);
    }
}

TEST_CASE("sota watch and sota submit --wait fit 40, 80 and 120 columns",
          "[terminal][integration][daemon]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = test::world_env(home, world);
    auto daemon = test::start_daemon(home, env);
    world.section_delay_ms->store(200);
    for (const int columns : {40, 80, 120}) {
        const std::string keyword = "espresso grinder " + std::to_string(columns);
        auto submitted = test::run_sota(home, env, {"submit", "-k", keyword});
        REQUIRE(submitted.exit_code == 0);
        const std::string id = test::first_line(submitted.out);
        auto watched = test::run_in_terminal(sota_spec(home, env, {"watch", id}), columns);
        INFO(columns << " columns; " << daemon->log());
        CHECK(watched.result.exit_code == 0);
        check_screen(watched);

        auto waited = test::run_in_terminal(
            sota_spec(home, env, {"submit", "--wait", "-k", "burr " + keyword}), columns);
        const auto screen = waited.screen();
        INFO(joined(screen.lines()));
        CHECK(waited.result.exit_code == 0);
        // The events are broken at the width; only the closing "job ID completed" line may be
        // wrapped by the terminal, as any line printed once.
        for (const auto& line : screen.wrapped_lines()) {
            CHECK(line.rfind("job job_", 0) == 0);
        }
        CHECK(joined(screen.lines()).find("completed") != std::string::npos);
    }
}
