#include <catch2/catch.hpp>

#include "adapters/time_zone.hpp"
#include "core/text.hpp"

using namespace sota;
using namespace sota::core::schedule;

namespace {

std::vector<std::string> runs(const std::string& expr, const std::string& tz, const CivilTime& from,
                              int count) {
    auto zone = adapters::load_time_zone(tz);
    REQUIRE(zone);
    auto cron = CronExpr::parse(expr);
    REQUIRE(cron);
    core::WallTime after = (*zone)->from_local(from).front();
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
        const auto next = cron->next(after, **zone);
        REQUIRE(next);
        out.push_back(core::iso8601_utc(*next));
        after = *next;
    }
    return out;
}

}  // namespace

TEST_CASE("a run in the spring-forward gap happens when the gap ends", "[cron][tz]") {
    // New York skips 02:00-03:00 on 2026-03-08.
    CHECK(runs("30 2 * * *", "America/New_York", {2026, 3, 7, 3, 0}, 2) ==
          std::vector<std::string>{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"});
    // Berlin skips 02:00-03:00 on 2026-03-29; 03:00 daily is unaffected.
    CHECK(runs("0 3 * * *", "Europe/Berlin", {2026, 3, 28, 12, 0}, 2) ==
          std::vector<std::string>{"2026-03-29T01:00:00Z", "2026-03-30T01:00:00Z"});
}

TEST_CASE("a run in the repeated fall-back hour happens once", "[cron][tz]") {
    // New York repeats 01:00-02:00 on 2026-11-01: 01:30 runs at its first occurrence only.
    CHECK(runs("30 1 * * *", "America/New_York", {2026, 10, 31, 12, 0}, 2) ==
          std::vector<std::string>{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"});
    // An hourly job runs once for the repeated 02:00 hour (00:00Z), not twice.
    CHECK(runs("0 * * * *", "Europe/Berlin", {2026, 10, 25, 1, 30}, 3) ==
          std::vector<std::string>{"2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z",
                                   "2026-10-25T03:00:00Z"});
}

TEST_CASE("unknown zones are refused with the expected form", "[cron][tz]") {
    auto zone = adapters::load_time_zone("Mars/Olympus_Mons");
    REQUIRE_FALSE(zone);
    CHECK(zone.error().message.find("Europe/Berlin") != std::string::npos);
    CHECK(adapters::load_time_zone("UTC"));
}
