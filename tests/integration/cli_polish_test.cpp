// Small things a user meets on the command line: closed breakers, unknown names with a
// suggestion, refresh's bad input, one error format, the end of a job said once, timestamps in
// `sota logs`, help that fits the terminal, --json on `daemon status` and `refresh --dry-run`,
// and what `schedule next --from` counts.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/integration/sotad_harness.hpp"

using namespace sota;
using nlohmann::json;
using test::first_line;
using test::k_keyword;
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> home_env(const test::TempHome& home) {
    auto env = test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    return env;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("breakers reset on a closed breaker says it is closed, and a typo gets a suggestion",
          "[cli][integration]") {
    test::TempHome home;
    const auto env = home_env(home);
    auto closed = test::run_sota(home, env, {"breakers", "reset", "service:openai"});
    INFO(closed.err);
    CHECK(closed.exit_code == 0);
    CHECK(closed.out == "service:openai is closed: calls go through; nothing to reset\n");
    CHECK(closed.err.find("did you mean") == std::string::npos);

    auto typo = test::run_sota(home, env, {"breakers", "reset", "service:opena"});
    CHECK(typo.exit_code == 1);
    CHECK(typo.err.find("did you mean 'service:openai'?") != std::string::npos);
}

TEST_CASE("cache clear --kind and keys set refuse unknown names with a suggestion",
          "[cli][integration]") {
    test::TempHome home;
    const auto env = home_env(home);
    auto kind = test::run_sota(home, env, {"cache", "clear", "--kind", "serpp"});
    CHECK(kind.exit_code == 2);
    CHECK(kind.err.find("no cache kind 'serpp'; did you mean 'serp'?") != std::string::npos);
    CHECK(kind.out.empty());
    auto known = test::run_sota(home, env, {"cache", "clear", "--kind", "serp"});
    CHECK(known.exit_code == 0);
    CHECK(known.out == "removed 0 entries of kind serp\n");

    test::ProcessSpec set{{SOTA_BINARY, "keys", "set", "opneai"}, env, "sk-test-1\n", home.str()};
    auto unknown = test::run_process(set);
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("did you mean 'openai'?") != std::string::npos);
    set.argv = {SOTA_BINARY, "keys", "set", "openai.2"};  // a pool's second endpoint
    CHECK(test::run_process(set).exit_code == 0);
    auto listed = test::run_sota(home, env, {"keys", "list", "--json"});
    CHECK(listed.out.find("openai.2") != std::string::npos);
    CHECK(listed.out.find("opneai") == std::string::npos);
}

TEST_CASE("bad input to refresh exits 2 before anything is read", "[cli][integration]") {
    test::TempHome home;
    const auto env = home_env(home);
    test::write_text(home.path() / "pages.txt", "https://blog.example/dial-in-espresso/\n");
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"refresh", "--older-than", "soon"}, "--older-than takes a duration"},
        {{"refresh", "--modified-before", "2026-13-01"}, "--modified-before takes a date"},
        {{"refresh", "--older-than", "90d", "--modified-before", "2026-01-01"}, "not both"},
        {{"refresh", "--from", "pages.txt", "--category", "news"}, "choose WordPress posts"},
        {{"refresh", "--from", "pages.txt", "--json"}, "add --dry-run"},
    };
    for (const auto& [args, says] : cases) {
        auto r = test::run_sota(home, env, args);
        INFO(args[1] << " " << args[2] << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.rfind("sota: error: ", 0) == 0);
        CHECK(r.err.find(says) != std::string::npos);
    }

    // --dry-run --json: one JSON object per article.
    auto dry = test::run_sota(home, env, {"refresh", "--from", "pages.txt", "--dry-run", "--json"});
    INFO(dry.err);
    REQUIRE(dry.exit_code == 0);
    const json row = json::parse(first_line(dry.out));
    CHECK(row["url"] == "https://blog.example/dial-in-espresso/");
    CHECK(row["post_id"].is_null());
    CHECK(row["job"]["mode"] == "refresh");
}

TEST_CASE("every error has one format, with no log timestamp, unless --log-format json",
          "[cli][integration]") {
    test::TempHome home;
    const auto env = home_env(home);
    const std::regex timestamp(R"(^\d{4}-\d\d-\d\dT)");
    // Errors found while parsing, and errors found once the configuration is loaded.
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"runn"}, std::vector<std::string>{"status", "job_1_abc"},
          std::vector<std::string>{"cache", "clear", "--kind", "nope"},
          std::vector<std::string>{"breakers", "reset", "nothing"}}) {
        auto r = test::run_sota(home, env, args);
        INFO(args[0] << ": " << r.err);
        CHECK(r.exit_code != 0);
        REQUIRE_FALSE(r.err.empty());
        for (const auto& line : lines_of(r.err)) {
            CHECK(line.rfind("sota: error: ", 0) == 0);
            CHECK_FALSE(std::regex_search(line, timestamp));
        }
    }
    auto as_json =
        test::run_sota(home, env, {"--log-format", "json", "cache", "clear", "--kind", "nope"});
    CHECK(as_json.exit_code == 2);
    const json line = json::parse(first_line(as_json.err));
    CHECK(line["level"] == "error");
    CHECK(line["message"].get<std::string>().find("no cache kind 'nope'") != std::string::npos);
}

TEST_CASE("help text wraps at the terminal width", "[cli][integration]") {
    test::TempHome home;
    auto env = home_env(home);
    env["COLUMNS"] = "60";
    auto narrow = test::run_sota(home, env, {"run", "--help"});
    REQUIRE(narrow.exit_code == 0);
    INFO(narrow.out);
    for (const auto& line : lines_of(narrow.out)) {
        CHECK(line.size() <= 60);
    }
    // Nothing is lost: the long description is all there, continued under its column.
    const std::string joined = std::regex_replace(narrow.out, std::regex(R"(\n +)"), " ");
    CHECK(joined.find("Workflow: a built-in name, a name in the workflows dir, or a .toml file") !=
          std::string::npos);
    CHECK(narrow.out.find("\n" + std::string(30, ' ') + "name in the workflows dir") !=
          std::string::npos);
    env["COLUMNS"] = "200";
    auto wide = test::run_sota(home, env, {"run", "--help"});
    CHECK(wide.out.find("Workflow: a built-in name, a name in the workflows dir, or a .toml "
                        "file\n") != std::string::npos);
    env["COLUMNS"] = "60";
    auto via_help = test::run_sota(home, env, {"help", "schedule", "next"});
    for (const auto& line : lines_of(via_help.out)) {
        CHECK(line.size() <= 60);
    }
}

TEST_CASE("schedule next --from counts a run at FROM itself, as its help says",
          "[cli][integration][schedule]") {
    test::TempHome home;
    auto env = home_env(home);
    env["COLUMNS"] = "200";  // the help on one line
    auto help = test::run_sota(home, env, {"schedule", "next", "--help"});
    CHECK(help.out.find("a run at FROM itself counts") != std::string::npos);
    auto r = test::run_sota(home, env,
                            {"schedule", "next", "30 1 * * *", "--tz", "UTC", "--from",
                             "2026-03-08T01:30:00Z", "--count", "2", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json runs = json::parse(r.out)["runs"];
    CHECK(runs[0]["utc"] == "2026-03-08T01:30:00Z");
    CHECK(runs[1]["utc"] == "2026-03-09T01:30:00Z");
    // A minute later, FROM is past that day's run.
    auto later = test::run_sota(home, env,
                                {"schedule", "next", "30 1 * * *", "--tz", "UTC", "--from",
                                 "2026-03-08T01:31:00Z", "--count", "1", "--json"});
    CHECK(json::parse(later.out)["runs"][0]["utc"] == "2026-03-09T01:30:00Z");
}

TEST_CASE("daemon status --json, submit --wait says how the job ended once, and logs carry times",
          "[cli][integration][daemon]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    auto down = test::run_sota(home, env, {"daemon", "status", "--json"});
    CHECK(down.exit_code == 3);
    const json off = json::parse(down.out);
    CHECK(off["running"] == false);
    CHECK(off["pid"].is_null());

    auto daemon = start_daemon(home, env);
    auto up = test::run_sota(home, env, {"daemon", "status", "--json"});
    REQUIRE(up.exit_code == 0);
    const json on = json::parse(up.out);
    CHECK(on["running"] == true);
    CHECK(on["pid"] == daemon->pid());
    CHECK(on["socket"] == test::socket_of(home).string());

    auto waited = test::run_sota(home, env, {"submit", "--keyword", k_keyword, "--wait"});
    INFO(waited.err);
    REQUIRE(waited.exit_code == 0);
    const std::string id = first_line(waited.out);
    CHECK(count_of(waited.err, "job " + id + " completed") == 1);

    auto logs = test::run_sota(home, env, {"logs", id});
    REQUIRE(logs.exit_code == 0);
    const auto lines = lines_of(logs.out);
    REQUIRE(lines.size() > 10);
    const std::regex stamped(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  \S)");
    for (const auto& line : lines) {
        INFO(line);
        CHECK(std::regex_search(line, stamped));
    }
    CHECK(logs.out.find("step 1/8 semantic_keywords started") != std::string::npos);
    auto missing = test::run_sota(home, env, {"logs", "job_1_nope"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("no job job_1_nope") != std::string::npos);
}
