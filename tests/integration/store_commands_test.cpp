#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "adapters/sqlite_store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;
using namespace std::chrono_literals;

namespace {
struct Cli {
    test::TempHome home;
    std::map<std::string, std::string> env = test::clean_env(home.str());
    Cli() { env["SOTA_HOME"] = home.str(); }
    test::ProcessResult run(std::vector<std::string> args) const {
        args.insert(args.begin(), SOTA_BINARY);
        return test::run_process({args, env, "", std::nullopt, std::chrono::seconds(20)});
    }
    std::filesystem::path db() const { return home.path() / "state" / "sota.db"; }
};
}  // namespace

TEST_CASE("sota breakers shows a persisted open breaker and reset closes it", "[store][cli]") {
    Cli cli;
    {
        auto store = adapters::SqliteStore::open(cli.db());
        REQUIRE(store);
        core::resilience::BreakerSnapshot s;
        s.name = "service:serper";
        s.state = core::resilience::BreakerState::open;
        s.total_failures = 5;
        s.opened_at = std::chrono::system_clock::now();
        s.retry_at = std::chrono::system_clock::now() + 10min;
        (*store)->save_breaker(s);
    }
    auto listed = cli.run({"breakers", "--json"});
    REQUIRE(listed.exit_code == 0);
    bool found = false;
    for (const auto& b : nlohmann::json::parse(listed.out)) {
        if (b["name"] == "service:serper") {
            found = true;
            CHECK(b["state"] == "open");
            CHECK(b["failures"] == 5);
            CHECK_FALSE(b["next_try_at"].is_null());
        }
    }
    CHECK(found);
    CHECK(cli.run({"breakers"}).out.find("in 5") != std::string::npos);  // "in 599 s" or "in 600 s"

    CHECK(cli.run({"breakers", "reset", "service:serper"}).exit_code == 0);
    for (const auto& b : nlohmann::json::parse(cli.run({"breakers", "--json"}).out)) {
        if (b["name"] == "service:serper") {
            CHECK(b["state"] == "closed");
        }
    }
    auto unknown = cli.run({"breakers", "reset", "service:serpr"});
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.err.find("did you mean 'service:serper'") != std::string::npos);
}

TEST_CASE("sota cache stats, prune and clear", "[store][cli]") {
    Cli cli;
    {
        auto store = adapters::SqliteStore::open(cli.db());
        REQUIRE(store);
        const auto now = std::chrono::system_clock::now();
        (*store)->cache_put("serp", "a", {"x", now, now + 1h});
        (*store)->cache_put("serp", "b", {"y", now - 2h, now - 1h});
        (*store)->cache_put("gaps", "c", {"z", now, now + 1h});
        (*store)->add_cache_counts({{"serp", {3, 0, 1, 0, 0}}});
    }
    auto stats = cli.run({"cache", "stats", "--json"});
    REQUIRE(stats.exit_code == 0);
    const auto doc = nlohmann::json::parse(stats.out);
    REQUIRE(doc.size() == 2);
    CHECK(doc[1]["kind"] == "serp");
    CHECK(doc[1]["entries"] == 2);
    CHECK(doc[1]["expired"] == 1);
    CHECK(doc[1]["hit_ratio"].get<double>() == Approx(0.75));
    CHECK(cli.run({"cache", "prune"}).out == "removed 1 expired entries\n");
    CHECK(cli.run({"cache", "clear", "--kind", "gaps"}).out == "removed 1 entries of kind gaps\n");
    CHECK(cli.run({"cache", "clear"}).out == "removed 1 entries\n");
}
