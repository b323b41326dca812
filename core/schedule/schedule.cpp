#include "core/schedule/schedule.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace sota::core::schedule {

using nlohmann::json;

std::string to_string(Missed missed) {
    return missed == Missed::once ? "once" : "skip";
}

std::optional<Missed> missed_from_string(const std::string& text) {
    if (text == "once") {
        return Missed::once;
    }
    if (text == "skip") {
        return Missed::skip;
    }
    return std::nullopt;
}

std::string command_line(const std::vector<std::string>& words) {
    std::string line = "sota";
    for (const auto& w : words) {
        if (!w.empty() && w.find_first_of(" \t\"'\\$`*?;&|<>()") == std::string::npos) {
            line += " " + w;
            continue;
        }
        line += " '";
        for (char c : w) {
            line += c == '\'' ? std::string("'\\''") : std::string(1, c);
        }
        line += "'";
    }
    return line;
}

const std::vector<std::string>& schedulable_commands() {
    static const std::vector<std::string> commands = {"refresh", "batch", "run", "submit"};
    return commands;
}

Status check_schedule(const Schedule& schedule) {
    if (auto cron = CronExpr::parse(schedule.cron); !cron) {
        return fail(cron.error());
    }
    const auto& allowed = schedulable_commands();
    if (schedule.command.empty() ||
        std::find(allowed.begin(), allowed.end(), schedule.command.front()) == allowed.end()) {
        return fail(
            ErrorKind::usage, "schedule.command",
            "a schedule runs one of: refresh, batch, run, submit, given after `--` "
            "(sota schedule add --cron \"0 3 * * 1\" -- refresh --older-than 90d)" +
                std::string(schedule.command.empty() ? ""
                                                     : "; got '" + schedule.command.front() + "'"));
    }
    for (const auto& word : schedule.command) {
        if (word == "--help" || word == "-h" || word == "--version") {
            return fail(ErrorKind::usage, "schedule.command",
                        "a schedule's command cannot be " + word + "; give the command to run");
        }
        if (word == "--key" || word.starts_with("--key=")) {
            return fail(ErrorKind::usage, "schedule.secret",
                        "a schedule's command cannot carry --key: it would keep the key in the "
                        "job database; store it with `sota keys set` instead");
        }
    }
    if (schedule.name.size() > 64 || schedule.name.starts_with("sch_") ||
        schedule.name.find_first_of("/ \t\r\n?#") != std::string::npos) {
        return fail(ErrorKind::usage, "schedule.name",
                    "--name takes up to 64 characters without spaces, '/', '?' or '#' and not "
                    "starting with sch_; got '" +
                        schedule.name + "'");
    }
    return {};
}

Decision decide(const Schedule& schedule, const CronExpr& cron, const TimeZone& zone, WallTime now,
                bool previous_running) {
    Decision d;
    if (schedule.paused || now < schedule.next_run_at) {
        return d;
    }
    d.scheduled_for = schedule.next_run_at;
    // A cron that never runs again (a 30th of February) leaves the schedule idle far ahead.
    d.next_run_at = cron.next(now, zone).value_or(now + std::chrono::hours(24 * 365 * 10));
    const bool missed = now - schedule.next_run_at > k_missed_grace;
    d.trigger = missed ? "missed" : "cron";
    if (missed && schedule.missed == Missed::skip) {
        d.fire = Fire::skip_missed;
    } else if (previous_running) {
        d.fire = Fire::skip_busy;
    } else {
        d.fire = Fire::run;
    }
    return d;
}

json to_json(const ScheduleRun& run) {
    json j = {{"id", run.id},
              {"schedule_id", run.schedule_id},
              {"trigger", run.trigger},
              {"scheduled_for", iso8601_utc(run.scheduled_for)},
              {"started_at", iso8601_utc(run.started_at)},
              {"outcome", run.outcome},
              {"exit_code", run.exit_code},
              {"pid", run.pid},
              {"log", run.log}};
    if (run.ended_at) {
        j["ended_at"] = iso8601_utc(*run.ended_at);
    }
    if (!run.batch_id.empty()) {
        j["batch_id"] = run.batch_id;
    }
    return j;
}

json schedule_view(const Schedule& schedule, const TimeZone& zone,
                   const std::optional<ScheduleRun>& last_run, bool running) {
    const CivilTime local = zone.to_local(schedule.next_run_at);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d", local.year, local.month, local.day,
                  local.hour, local.minute);
    json j = {{"id", schedule.id},
              {"name", schedule.name},
              {"cron", schedule.cron},
              {"tz", schedule.tz},
              {"command", schedule.command},
              {"cwd", schedule.cwd},
              {"missed", to_string(schedule.missed)},
              {"paused", schedule.paused},
              {"running", running},
              {"created_at", iso8601_utc(schedule.created_at)},
              {"next_run", iso8601_utc(schedule.next_run_at)},
              {"next_run_local", std::string(buf)}};
    if (last_run) {
        j["last_run"] = to_json(*last_run);
    }
    return j;
}

}  // namespace sota::core::schedule
