#include "cli/commands/schedule.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "adapters/time_zone.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/schedule/cron.hpp"
#include "core/text.hpp"

namespace sota::cli {

using core::schedule::CivilTime;
using nlohmann::json;

namespace {

/// "2026-03-08T00:00:00Z" as UTC, or "2026-03-08 00:00" / "2026-03-08" in `zone`.
core::Expected<core::WallTime> parse_from(const std::string& text,
                                          const core::schedule::TimeZone& zone) {
    CivilTime c;
    int second = 0;
    char sep = 0, z = 0;
    const int n = std::sscanf(text.c_str(), "%d-%d-%d%c%d:%d:%d%c", &c.year, &c.month, &c.day, &sep,
                              &c.hour, &c.minute, &second, &z);
    const bool date_only = n == 3;
    if (!(date_only || n >= 6) || c.month < 1 || c.month > 12 || c.day < 1 ||
        c.day > core::schedule::days_in_month(c.year, c.month)) {
        return core::fail(core::ErrorKind::usage, "schedule.bad_from",
                          "--from takes 2026-03-08, \"2026-03-08 01:30\" (in --tz) or "
                          "2026-03-08T01:30:00Z (UTC), got '" +
                              text + "'");
    }
    if (z == 'Z') {
        return core::schedule::UtcZone().from_local(c).front() + std::chrono::seconds(second);
    }
    auto instants = zone.from_local(c);
    if (instants.empty()) {
        return core::fail(core::ErrorKind::usage, "schedule.bad_from",
                          "--from " + text + " does not exist in " + zone.name() +
                              " (clocks skip it); pick another time");
    }
    return instants.front();
}

std::string format_utc(core::WallTime t) {
    return core::iso8601_utc(t);
}

std::string format_local(const CivilTime& c) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour,
                  c.minute);
    return buf;
}

}  // namespace

void setup_schedule(CLI::App& parent, CommandTable& table) {
    auto* schedule = parent.add_subcommand("schedule", "Check cron expressions for schedules");
    schedule->require_subcommand(1);
    auto o = std::make_shared<ScheduleOptions>();
    auto* next = schedule->add_subcommand("next", "The next run times of a cron expression");
    next->add_option("expression", o->expression, "Five fields, or @daily-style macros")
        ->required();
    next->add_option("--tz", o->tz, "IANA time zone (default: the system's)");
    next->add_option("--from", o->from, "Start after this time (default: now)");
    next->add_option("--count", o->count, "How many run times (1-100)")->check(CLI::Range(1, 100));
    next->add_flag("--json", o->json, "Print JSON");
    table.add(next, [o](Context* ctx) { return run_schedule_next(*o, *ctx); });
}

int run_schedule_next(const ScheduleOptions& options, Context&) {
    auto cron = core::schedule::CronExpr::parse(options.expression);
    if (!cron) {
        return report_error(cron.error());
    }
    auto zone = adapters::load_time_zone(options.tz);
    if (!zone) {
        return report_error(zone.error());
    }
    core::WallTime after = std::chrono::system_clock::now();
    if (!options.from.empty()) {
        auto from = parse_from(options.from, **zone);
        if (!from) {
            return report_error(from.error());
        }
        after = *from - std::chrono::seconds(1);  // --from itself may be a run time
    }
    json runs = json::array();
    for (int i = 0; i < options.count; ++i) {
        const auto next = cron->next(after, **zone);
        if (!next) {
            break;
        }
        const CivilTime local = (*zone)->to_local(*next);
        runs.push_back({{"local", format_local(local)}, {"utc", format_utc(*next)}});
        after = *next;
    }
    if (options.json) {
        std::printf("%s\n",
                    json{{"expression", cron->text()}, {"tz", (*zone)->name()}, {"runs", runs}}
                        .dump(2)
                        .c_str());
        return 0;
    }
    if (runs.empty()) {
        std::fprintf(stderr, "'%s' never runs in the next 10 years\n", cron->text().c_str());
        return 0;
    }
    for (const auto& r : runs) {
        std::printf("%s %s  (%s)\n", r["local"].get<std::string>().c_str(), (*zone)->name().c_str(),
                    r["utc"].get<std::string>().c_str());
    }
    return 0;
}

}  // namespace sota::cli
