#include <catch2/catch.hpp>

#include "core/schedule/cron.hpp"
#include "core/schedule/schedule.hpp"
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

namespace {

WallTime utc(int y, int mo, int d, int h, int mi, int s = 0) {
    return UtcZone().from_local({y, mo, d, h, mi}).front() + std::chrono::seconds(s);
}

}  // namespace

TEST_CASE("a due schedule runs, waits, skips while busy, and catches up missed runs once",
          "[cron][schedule]") {
    auto cron = CronExpr::parse("0 3 * * *");
    REQUIRE(cron);
    const UtcZone zone;
    Schedule s;
    s.cron = "0 3 * * *";
    s.next_run_at = utc(2026, 11, 24, 3, 0);

    // Not yet due, or paused: nothing.
    CHECK(decide(s, *cron, zone, utc(2026, 11, 24, 2, 59, 59), false).fire == Fire::none);
    s.paused = true;
    CHECK(decide(s, *cron, zone, utc(2026, 11, 24, 3, 0, 1), false).fire == Fire::none);
    s.paused = false;

    // On time (within the grace): a cron run, and the next is tomorrow.
    auto d = decide(s, *cron, zone, utc(2026, 11, 24, 3, 0, 1), false);
    CHECK(d.fire == Fire::run);
    CHECK(d.trigger == "cron");
    CHECK(d.scheduled_for == s.next_run_at);
    CHECK(iso8601_utc(d.next_run_at) == "2026-11-25T03:00:00Z");

    // The previous run is still going: skipped, and the schedule moves on.
    d = decide(s, *cron, zone, utc(2026, 11, 24, 3, 0, 1), true);
    CHECK(d.fire == Fire::skip_busy);
    CHECK(iso8601_utc(d.next_run_at) == "2026-11-25T03:00:00Z");

    // Three days down: one catch-up run (missed = once), then the next after now.
    d = decide(s, *cron, zone, utc(2026, 11, 27, 12, 0), false);
    CHECK(d.fire == Fire::run);
    CHECK(d.trigger == "missed");
    CHECK(iso8601_utc(d.next_run_at) == "2026-11-28T03:00:00Z");
    s.missed = Missed::skip;
    d = decide(s, *cron, zone, utc(2026, 11, 27, 12, 0), false);
    CHECK(d.fire == Fire::skip_missed);
    CHECK(iso8601_utc(d.next_run_at) == "2026-11-28T03:00:00Z");
    // A little late (a busy machine) is not missed.
    CHECK(decide(s, *cron, zone, s.next_run_at + k_missed_grace, false).fire == Fire::run);
}

TEST_CASE("a schedule's command is one of the job commands and carries no key", "[schedule]") {
    Schedule s;
    s.cron = "0 3 * * 1";
    s.command = {"refresh", "--older-than", "90d"};
    CHECK(check_schedule(s));
    s.cron = "0 3 * *";
    CHECK(check_schedule(s).error().message.find("5 fields") != std::string::npos);
    s.cron = "@daily";
    s.command = {"doctor"};
    CHECK(check_schedule(s).error().code == "schedule.command");
    s.command = {};
    CHECK(check_schedule(s).error().code == "schedule.command");
    s.command = {"run", "--keyword", "x", "--key", "openai=sk-123"};
    CHECK(check_schedule(s).error().code == "schedule.secret");
    s.command = {"batch", "k.csv", "--help"};
    CHECK(check_schedule(s).error().code == "schedule.command");
    s.command = {"batch", "k.csv"};
    s.name = "has space";
    CHECK(check_schedule(s).error().code == "schedule.name");
    s.name = "weekly-refresh";
    CHECK(check_schedule(s));
    CHECK(command_line({"refresh", "--search", "it's here"}) ==
          "sota refresh --search 'it'\\''s here'");
}
