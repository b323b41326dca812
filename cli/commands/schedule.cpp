#include "cli/commands/schedule.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/private_files.hpp"
#include "adapters/time_zone.hpp"
#include "cli/app.hpp"
#include "cli/commands/jobs.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/schedule/cron.hpp"
#include "core/schedule/schedule.hpp"
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

/// run-now: prints the run; with --wait, polls until it ends, prints its log, and returns its
/// exit code.
int follow_run(adapters::DaemonClient& client, const json& run, const ScheduleOptions& o) {
    const std::string log = run.value("log", "");
    if (!o.wait) {
        if (o.json) {
            std::printf("%s\n", run.dump(2).c_str());
        } else {
            std::printf("%lld\n", static_cast<long long>(run.value("id", std::int64_t{0})));
            std::fprintf(stderr, "started run %lld (pid %lld); log %s\n",
                         static_cast<long long>(run.value("id", std::int64_t{0})),
                         static_cast<long long>(run.value("pid", std::int64_t{0})), log.c_str());
        }
        return 0;
    }
    const auto id = run.value("id", std::int64_t{0});
    json ended;
    while (ended.is_null()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        auto shown = daemon_request(client, "GET", "/v1/schedules/" + o.id);
        if (!shown) {
            return report_daemon_error(shown.error());
        }
        for (const auto& r : shown->value("runs", json::array())) {
            if (r.value("id", std::int64_t{0}) == id && r.value("outcome", "") != "running") {
                ended = r;
            }
        }
    }
    if (auto text = adapters::read_file(log)) {
        std::fputs(text->c_str(), stdout);
    }
    if (o.json) {
        std::printf("%s\n", ended.dump(2).c_str());
    }
    std::fprintf(stderr, "run %lld %s (exit %d)\n", static_cast<long long>(id),
                 ended.value("outcome", "").c_str(), ended.value("exit_code", 0));
    return ended.value("exit_code", 1);
}

int run_schedule_add(const ScheduleOptions& o, Context& ctx) {
    core::schedule::Schedule draft;
    draft.cron = o.expression;
    draft.command = o.command;
    draft.name = o.name;
    if (auto ok = core::schedule::check_schedule(draft); !ok) {
        return report_error(ok.error());
    }
    // The command's own flags are checked here, by the parser that will run it.
    if (const int code = CliApp().check(o.command); code != 0) {
        std::fprintf(stderr, "nothing was scheduled: fix the command after `--`\n");
        return code;
    }
    json body = {{"cron", o.expression},
                 {"command", o.command},
                 {"paused", o.paused},
                 {"cwd", std::filesystem::current_path().string()}};
    if (!o.tz.empty()) {
        body["tz"] = o.tz;
    }
    if (!o.name.empty()) {
        body["name"] = o.name;
    }
    if (!o.missed.empty()) {
        body["missed"] = o.missed;
    }
    auto client = client_for(ctx);
    auto added = daemon_request(client, "POST", "/v1/schedules", body.dump());
    if (!added) {
        return report_daemon_error(added.error());
    }
    if (o.json) {
        std::printf("%s\n", added->dump(2).c_str());
        return 0;
    }
    std::printf("%s\n", added->value("id", "").c_str());
    std::fprintf(stderr, "scheduled: %s, %s %s; next run %s %s\n",
                 core::schedule::command_line(o.command).c_str(), o.expression.c_str(),
                 added->value("tz", "").c_str(), added->value("next_run_local", "").c_str(),
                 added->value("paused", false) ? "(paused)" : "");
    return 0;
}

void print_schedule(const json& s) {
    const std::string name = s.value("name", "");
    std::printf("%s%s  %s  %s  next %s%s%s\n", s.value("id", "").c_str(),
                name.empty() ? "" : (" (" + name + ")").c_str(), s.value("cron", "").c_str(),
                s.value("tz", "").c_str(), s.value("next_run_local", "").c_str(),
                s.value("paused", false) ? "  paused" : "",
                s.value("running", false) ? "  running" : "");
    const std::string cwd = s.value("cwd", "");
    std::printf("    %s%s\n",
                core::schedule::command_line(
                    s.value("command", json::array()).get<std::vector<std::string>>())
                    .c_str(),
                cwd.empty() ? "" : ("   (in " + cwd + ")").c_str());
    if (s.contains("last_run")) {
        const json& r = s["last_run"];
        std::printf("    last: %s (%s, exit %d) at %s; log %s\n", r.value("outcome", "").c_str(),
                    r.value("trigger", "").c_str(), r.value("exit_code", 0),
                    r.value("started_at", "").c_str(), r.value("log", "").c_str());
    }
}

int run_schedule_list(const ScheduleOptions& o, Context& ctx) {
    auto client = client_for(ctx);
    auto list = daemon_request(client, "GET", "/v1/schedules");
    if (!list) {
        return report_daemon_error(list.error());
    }
    if (o.json) {
        std::printf("%s\n", (*list)["schedules"].dump(2).c_str());
        return 0;
    }
    const json items = list->value("schedules", json::array());
    if (items.empty()) {
        std::fprintf(stderr, "no schedules (add one with `sota schedule add --cron ... -- ...`)\n");
    }
    for (const auto& s : items) {
        print_schedule(s);
    }
    return 0;
}

/// show, remove, pause, resume and run-now: one request about one schedule.
int run_schedule_action(const std::string& action, const ScheduleOptions& o, Context& ctx) {
    auto client = client_for(ctx);
    const std::string path = "/v1/schedules/" + o.id;
    core::Expected<json> answer = action == "show" ? daemon_request(client, "GET", path)
                                  : action == "remove"
                                      ? daemon_request(client, "DELETE", path)
                                      : daemon_request(client, "POST", path + "/" + action);
    if (!answer) {
        return report_daemon_error(answer.error());
    }
    if (action == "run-now") {
        return follow_run(client, *answer, o);
    }
    if (o.json) {
        std::printf("%s\n", answer->dump(2).c_str());
        return 0;
    }
    print_schedule(*answer);
    if (action == "show") {
        for (const auto& r : answer->value("runs", json::array())) {
            const std::string batch = r.value("batch_id", "");
            std::printf("    run %lld  %s  %s  due %s  exit %d  %s%s\n",
                        static_cast<long long>(r.value("id", std::int64_t{0})),
                        r.value("outcome", "").c_str(), r.value("trigger", "").c_str(),
                        r.value("scheduled_for", "").c_str(), r.value("exit_code", 0),
                        r.value("log", "").c_str(),
                        batch.empty() ? "" : ("  batch " + batch).c_str());
        }
    } else {
        std::fprintf(stderr, "%s: %s\n",
                     (action == "remove" ? std::string("removed") : action + "d").c_str(),
                     answer->value("id", "").c_str());
    }
    return 0;
}

}  // namespace

void setup_schedule(CLI::App& parent, CommandTable& table) {
    auto* schedule = parent.add_subcommand(
        "schedule", "Schedules sotad runs (refresh, batch, run, submit) and cron checks");
    schedule->require_subcommand(1);
    auto o = std::make_shared<ScheduleOptions>();
    auto* next = schedule->add_subcommand("next", "The next run times of a cron expression");
    next->add_option("expression", o->expression, "Five fields, or @daily-style macros")
        ->required();
    next->add_option("--tz", o->tz, "IANA time zone (default: the system's)");
    next->add_option("--from", o->from,
                     "List runs at or after this time: a run at FROM itself counts (default: now)");
    next->add_option("--count", o->count, "How many run times (1-100)")->check(CLI::Range(1, 100));
    next->add_flag("--json", o->json, "Print JSON");
    table.add(next, [o](Context* ctx) { return run_schedule_next(*o, *ctx); });

    auto* add = schedule->add_subcommand(
        "add", "Have sotad run a sota command on a cron schedule: add --cron EXPR -- COMMAND...");
    add->add_option("--cron", o->expression, "Five fields, or @daily-style macros")->required();
    add->add_option("--tz", o->tz, "IANA time zone the cron is read in (default: the system's)");
    add->add_option("--name", o->name, "A name to use in place of the id");
    add->add_option("--missed", o->missed,
                    "Runs missed while sotad was down: once or skip (default: schedule.missed)")
        ->check(CLI::IsMember({"once", "skip"}));
    add->add_flag("--paused", o->paused, "Add it paused");
    add->add_flag("--json", o->json, "Print the schedule as JSON");
    add->add_option("command", o->command,
                    "After --: the sota command to run (refresh, batch, run or submit)");
    add->footer(
        "Example: sota schedule add --cron \"0 3 * * 1\" --tz Europe/Berlin -- refresh "
        "--older-than 90d --daemon");
    table.add(add, [o](Context* ctx) { return run_schedule_add(*o, *ctx); });

    auto* list = schedule->add_subcommand("list", "Every schedule with its next and last run");
    list->add_flag("--json", o->json, "Print JSON");
    table.add(list, [o](Context* ctx) { return run_schedule_list(*o, *ctx); });

    const std::vector<std::pair<std::string, std::string>> actions = {
        {"show", "A schedule and its last 20 runs"},
        {"remove", "Remove a schedule (a run in progress goes on)"},
        {"pause", "Stop a schedule's cron runs"},
        {"resume", "Start a paused schedule's cron runs again, from now on"},
        {"run-now", "Run a schedule's command now"}};
    for (const auto& [action, help] : actions) {
        auto* sub = schedule->add_subcommand(action, help);
        sub->add_option("schedule", o->id, "The schedule's id or name")->required();
        sub->add_flag("--json", o->json, "Print JSON");
        if (action == "run-now") {
            sub->add_flag("--wait", o->wait,
                          "Wait for the run, show its log, and exit with its exit code");
        }
        table.add(sub,
                  [o, name = action](Context* ctx) { return run_schedule_action(name, *o, *ctx); });
    }
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
        after = *from - std::chrono::seconds(1);  // a run at FROM itself counts (cron is by minute)
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
