#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>

#include "adapters/sqlite_store.hpp"
#include "core/resilience/cache.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;
using namespace sota::core::resilience;
using namespace std::chrono_literals;

TEST_CASE("the store migrates a new file to the latest schema, owner-only", "[store]") {
    test::TempHome home;
    const auto file = home.path() / "state" / "sota.db";
    auto store = adapters::SqliteStore::open(file);
    REQUIRE(store);
    CHECK((*store)->schema_version() == adapters::SqliteStore::latest_version());
    CHECK((std::filesystem::status(file.parent_path()).permissions() &
           std::filesystem::perms::others_all) == std::filesystem::perms::none);
    store->reset();
    auto again = adapters::SqliteStore::open(file);  // re-opening migrates nothing
    REQUIRE(again);
    CHECK((*again)->schema_version() == adapters::SqliteStore::latest_version());
}

TEST_CASE("a database from a newer sota is refused, not touched", "[store]") {
    test::TempHome home;
    const auto file = home.path() / "sota.db";
    {
        SQLite::Database db(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("PRAGMA user_version = 999");
    }
    auto store = adapters::SqliteStore::open(file);
    REQUIRE_FALSE(store);
    CHECK(store.error().code == "store.too_new");
    CHECK(store.error().message.find("999") != std::string::npos);
}

TEST_CASE("cache rows round-trip, prune and clear by kind", "[store]") {
    auto store = adapters::SqliteStore::open(":memory:");
    REQUIRE(store);
    auto& s = **store;
    const auto now = std::chrono::system_clock::now();
    s.cache_put("serp", "k1", {"v1", now, now + 1h});
    s.cache_put("serp", "k2", {std::string("bin\0ary", 7), now - 2h, now - 1h});
    s.cache_put("gaps", "k1", {"g", now, now + 1h});
    CHECK(s.cache_get("serp", "k1")->value == "v1");
    CHECK(s.cache_get("serp", "k2")->value == std::string("bin\0ary", 7));
    s.cache_put("serp", "k1", {"v2", now, now + 1h});
    CHECK(s.cache_get("serp", "k1")->value == "v2");
    const auto stats = s.cache_stats(now);
    REQUIRE(stats.size() == 2);
    CHECK(stats[1].kind == "serp");
    CHECK(stats[1].entries == 2);
    CHECK(stats[1].expired == 1);
    CHECK(s.cache_prune(now) == 1);
    CHECK(s.cache_clear(std::string("gaps")) == 1);
    CHECK(s.cache_clear(std::nullopt) == 1);

    s.add_cache_counts({{"serp", {3, 1, 2, 0, 1}}});
    s.add_cache_counts({{"serp", {1, 0, 0, 0, 0}}});
    CHECK(s.cache_counts().at("serp").l1_hits == 4);
}

TEST_CASE("breaker state survives in the store", "[store]") {
    auto store = adapters::SqliteStore::open(":memory:");
    REQUIRE(store);
    test::FakeClock clock;
    {
        BreakerRegistry registry(clock, store->get());
        auto& b = registry.get("service:serper", {2, 60s, 10s, 1});
        for (int i = 0; i < 2; ++i) {
            REQUIRE_FALSE(b.acquire());
            b.on_failure();
        }
        registry.persist(b);
    }
    const auto rows = (*store)->load_breakers();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].state == BreakerState::open);
    REQUIRE(rows[0].retry_at);
    BreakerRegistry restarted(clock, store->get());
    CHECK(restarted.get("service:serper", {2, 60s, 10s, 1}).acquire());
    CHECK(restarted.reset("service:serper"));
    CHECK((*store)->load_breakers().empty());
}
