#include <catch2/catch.hpp>

#include "core/schedule/cron.hpp"
#include "core/text.hpp"

using namespace sota::core;
using namespace sota::core::schedule;

namespace {

std::vector<std::string> runs(const std::string& expr, const CivilTime& from, int count,
                              const TimeZone& zone = UtcZone()) {
    auto cron = CronExpr::parse(expr);
    REQUIRE(cron);
    WallTime after = zone.from_local(from).front() - std::chrono::seconds(1);
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
        auto next = cron->next(after, zone);
        REQUIRE(next);
        out.push_back(iso8601_utc(*next));
        after = *next;
    }
    return out;
}

}  // namespace

TEST_CASE("cron fields: ranges, steps, lists, names and macros", "[cron]") {
    CHECK(runs("*/20 9-10 * * *", {2026, 11, 24, 0, 0}, 4) ==
          std::vector<std::string>{"2026-11-24T09:00:00Z", "2026-11-24T09:20:00Z",
                                   "2026-11-24T09:40:00Z", "2026-11-24T10:00:00Z"});
    CHECK(runs("0 3 * * MON", {2026, 11, 24, 0, 0}, 2) ==
          std::vector<std::string>{"2026-11-30T03:00:00Z", "2026-12-07T03:00:00Z"});
    CHECK(runs("0 0 1 jan,jul *", {2026, 11, 24, 0, 0}, 2) ==
          std::vector<std::string>{"2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"});
    CHECK(runs("@weekly", {2026, 11, 24, 0, 0}, 1) ==
          std::vector<std::string>{"2026-11-29T00:00:00Z"});  // Sunday
    CHECK(runs("0 12 * * 7", {2026, 11, 24, 0, 0}, 1) ==
          std::vector<std::string>{"2026-11-29T12:00:00Z"});  // 7 is Sunday too
    CHECK(runs("5/30 * * * *", {2026, 11, 24, 0, 0}, 2) ==
          std::vector<std::string>{"2026-11-24T00:05:00Z", "2026-11-24T00:35:00Z"});
}

TEST_CASE("cron across month ends and leap years", "[cron]") {
    CHECK(runs("0 0 31 * *", {2026, 1, 31, 12, 0}, 3) ==
          std::vector<std::string>{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z",
                                   "2026-07-31T00:00:00Z"});
    CHECK(runs("0 0 29 2 *", {2026, 1, 1, 0, 0}, 2) ==
          std::vector<std::string>{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"});
    CHECK(runs("59 23 31 12 *", {2026, 12, 31, 23, 59}, 1) ==
          std::vector<std::string>{"2026-12-31T23:59:00Z"});
    CHECK(days_in_month(2100, 2) == 28);
    CHECK(days_in_month(2000, 2) == 29);
}

TEST_CASE("day of month and day of week: either, when both are restricted", "[cron]") {
    // The 13th of each month, and every Friday.
    CHECK(runs("0 0 13 * FRI", {2026, 11, 1, 0, 0}, 4) ==
          std::vector<std::string>{"2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z",
                                   "2026-11-20T00:00:00Z", "2026-11-27T00:00:00Z"});
    // Only one restricted: both must hold (every day in the range).
    CHECK(runs("0 0 * * MON-FRI", {2026, 11, 27, 0, 0}, 2) ==
          std::vector<std::string>{"2026-11-27T00:00:00Z", "2026-11-30T00:00:00Z"});
    CHECK(weekday(2026, 11, 24) == 2);  // a Tuesday
}

TEST_CASE("bad cron expressions name the field", "[cron]") {
    CHECK(CronExpr::parse("61 * * * *").error().message == "minute: '61' is outside 0-59");
    CHECK(CronExpr::parse("* * * *").error().message.find("5 fields") != std::string::npos);
    CHECK(CronExpr::parse("* * * foo *").error().message.rfind("month:", 0) == 0);
    CHECK(CronExpr::parse("*/0 * * * *").error().message.find("positive") != std::string::npos);
    CHECK(CronExpr::parse("@often").error().message.find("unknown macro") != std::string::npos);
    CHECK(CronExpr::parse("5-1 * * * *").error().message.find("outside") != std::string::npos);
}
