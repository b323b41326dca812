// Schedules kept by the real sotad, driven by sota schedule.
#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.hpp"
#include "core/text.hpp"
#include "tests/integration/sotad_harness.hpp"

using namespace sota;
using nlohmann::json;
using test::first_line;
using test::k_keyword;
using test::k_no_cache;
namespace fs = std::filesystem;

namespace {

/// A schedule as `sota schedule show --json` prints it.
json show_schedule(const test::TempHome& home, const std::map<std::string, std::string>& env,
                   const std::string& id) {
    auto shown = run_sota(home, env, {"schedule", "show", id, "--json"});
    INFO(shown.err);
    REQUIRE(shown.exit_code == 0);
    return json::parse(shown.out);
}

/// Waits up to 20 s for the schedule's newest run to have `outcome`; returns the runs.
json wait_for_run(const test::TempHome& home, const std::map<std::string, std::string>& env,
                  const std::string& id, const std::string& outcome) {
    json runs;
    for (int i = 0; i < 100; ++i) {
        runs = show_schedule(home, env, id)["runs"];
        if (!runs.empty() && runs[0].value("outcome", "") == outcome) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return runs;
}

/// Moves a schedule's next run to `when` in the job database, as if that time had come.
void set_next_run(const test::TempHome& home, const std::string& id, core::WallTime when) {
    SQLite::Database db((home.path() / "state" / "sota.db").string(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    SQLite::Statement q(db, "UPDATE schedules SET next_run_at = ? WHERE id = ? OR name = ?");
    q.bind(1, static_cast<std::int64_t>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch())
                      .count()));
    q.bind(2, id);
    q.bind(3, id);
    REQUIRE(q.exec() == 1);
}

/// Adds a schedule of `sota run` that comes due once a year, starts a run of it now, and returns
/// the schedule's id.
std::string start_yearly_run(const test::TempHome& home,
                             const std::map<std::string, std::string>& env) {
    const std::string id = first_line(
        run_sota(home, env,
                 {"schedule", "add", "--cron", "0 0 1 1 *", "--", "run", "--keyword", k_keyword})
            .out);
    REQUIRE(run_sota(home, env, {"schedule", "run-now", id}).exit_code == 0);
    return id;
}

}  // namespace

TEST_CASE("sotad keeps schedules: add checks the command, run-now runs it, pause and remove",
          "[daemon][schedule][integration]") {
    test::TempHome home;
    auto env = test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    test::write_text(home.path() / "k.csv", "keyword\nburr grinder review\n");
    auto daemon = start_daemon(home, env);

    auto bad_flag = run_sota(
        home, env, {"schedule", "add", "--cron", "0 3 * * 1", "--", "refresh", "--older", "90d"});
    CHECK(bad_flag.exit_code == 2);
    CHECK(bad_flag.err.find("did you mean '--older-than'") != std::string::npos);
    CHECK(bad_flag.err.find("nothing was scheduled") != std::string::npos);
    CHECK(
        run_sota(home, env, {"schedule", "add", "--cron", "0 3 * * 1", "--", "doctor"}).exit_code ==
        2);
    auto bad_cron = run_sota(
        home, env, {"schedule", "add", "--cron", "0 3 * *", "--", "batch", "k.csv", "--dry-run"});
    CHECK(bad_cron.exit_code == 2);
    CHECK(bad_cron.err.find("5 fields") != std::string::npos);
    CHECK(run_sota(home, env,
                   {"schedule", "add", "--cron", "@daily", "--tz", "Mars/Base", "--", "batch",
                    "k.csv", "--dry-run"})
              .exit_code == 2);
    auto none = run_sota(home, env, {"schedule", "list", "--json"});
    CHECK(json::parse(none.out).empty());  // nothing was added

    auto added = run_sota(home, env,
                          {"schedule", "add", "--cron", "0 3 * * *", "--tz", "Europe/Berlin",
                           "--name", "nightly", "--", "batch", "k.csv", "--dry-run"});
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
    const std::string id = first_line(added.out);
    CHECK(id.starts_with("sch_"));
    CHECK(run_sota(
              home, env,
              {"schedule", "add", "--cron", "@daily", "--name", "nightly", "--", "batch", "k.csv"})
              .err.find("exists") != std::string::npos);

    const json listed = json::parse(run_sota(home, env, {"schedule", "list", "--json"}).out);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["tz"] == "Europe/Berlin");
    CHECK(listed[0]["next_run_local"].get<std::string>().ends_with(" 03:00"));
    CHECK(listed[0]["cwd"] == home.str());
    CHECK(listed[0]["command"] == json({"batch", "k.csv", "--dry-run"}));

    // run-now runs the command in the directory it was added from (k.csv is relative).
    auto ran = run_sota(home, env, {"schedule", "run-now", "nightly", "--wait"});
    INFO(ran.out << ran.err);
    CHECK(ran.exit_code == 0);
    CHECK(ran.out.find("burr grinder review") != std::string::npos);
    const json runs = show_schedule(home, env, id)["runs"];
    REQUIRE(runs.size() == 1);
    CHECK(runs[0]["trigger"] == "manual");
    CHECK(runs[0]["outcome"] == "succeeded");
    CHECK(fs::exists(runs[0]["log"].get<std::string>()));
    CHECK_FALSE(runs[0].contains("batch_id"));  // a dry run queues nothing

    CHECK(json::parse(run_sota(home, env, {"schedule", "pause", id, "--json"}).out)["paused"] ==
          true);
    CHECK(json::parse(run_sota(home, env, {"schedule", "resume", id, "--json"}).out)["paused"] ==
          false);
    // Added paused, as JSON; the plain list names both and marks it.
    auto paused = run_sota(home, env,
                           {"schedule", "add", "--cron", "@weekly", "--paused", "--json", "--",
                            "batch", "k.csv", "--dry-run"});
    REQUIRE(paused.exit_code == 0);
    CHECK(json::parse(paused.out)["paused"] == true);
    const std::string plain = run_sota(home, env, {"schedule", "list"}).out;
    CHECK(plain.find(id + " (nightly)  0 3 * * *  Europe/Berlin  next ") != std::string::npos);
    CHECK(plain.find("  paused") != std::string::npos);
    CHECK(plain.find("last: succeeded (manual, exit 0)") != std::string::npos);
    CHECK(run_sota(home, env, {"schedule", "remove", "nightly"}).exit_code == 0);
    CHECK(run_sota(home, env, {"schedule", "show", id}).err.find("no schedule") !=
          std::string::npos);
}

TEST_CASE("a schedule's run records the batch its jobs joined, sent to sotad or run inline",
          "[daemon][schedule][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = test::world_env(home, world);
    test::write_text(home.path() / "k.csv", "keyword\n" + k_keyword + "\n");
    // Another row (a category makes it one) for the inline run, so it does not join the job
    // the first run made.
    test::write_text(home.path() / "k2.csv", "keyword,category\n" + k_keyword + ",Coffee\n");
    auto daemon = start_daemon(home, env);
    for (const bool on_daemon : {true, false}) {
        INFO((on_daemon ? "batch --daemon" : "inline batch"));
        std::vector<std::string> add = {"schedule",
                                        "add",
                                        "--cron",
                                        "0 0 1 1 *",
                                        "--",
                                        "batch",
                                        on_daemon ? "k.csv" : "k2.csv"};
        if (on_daemon) {
            add.push_back("--daemon");
        }
        const std::string id = first_line(run_sota(home, env, add).out);
        REQUIRE(id.starts_with("sch_"));
        auto ran = run_sota(home, env, {"schedule", "run-now", id, "--wait"});
        INFO(ran.out << ran.err);
        REQUIRE(ran.exit_code == 0);
        const json runs = show_schedule(home, env, id)["runs"];
        REQUIRE(runs.size() == 1);
        REQUIRE(runs[0].contains("batch_id"));
        const std::string batch = runs[0]["batch_id"];
        CHECK(batch.starts_with("batch_"));
        CHECK(ran.out.find(batch) != std::string::npos);  // the batch printed the same id
        CHECK(ran.out.find("SOTA_BATCH_ID") == std::string::npos);
        auto status = run_sota(home, env, {"batch", "status", batch, "--json"});
        INFO(status.err);
        REQUIRE(status.exit_code == 0);
        CHECK(json::parse(status.out)["total"] == 1);
        CHECK(run_sota(home, env, {"schedule", "show", id}).out.find("  batch " + batch) !=
              std::string::npos);
    }
}

TEST_CASE("a schedule skips a run while the previous is going, and catches up missed runs",
          "[daemon][schedule][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    test::write_text(home.path() / "k.csv", "keyword\nburr grinder review\n");
    world.section_delay_ms->store(8000);
    auto daemon = start_daemon(home, env);

    // A long run (the model is slow): run-now again is refused, and a due cron run is skipped.
    const std::string slow = start_yearly_run(home, env);
    auto again = run_sota(home, env, {"schedule", "run-now", slow});
    CHECK(again.exit_code != 0);
    CHECK(again.err.find("is running") != std::string::npos);
    set_next_run(home, slow, std::chrono::system_clock::now() - std::chrono::seconds(1));
    json runs = wait_for_run(home, env, slow, "skipped_busy");
    REQUIRE(runs.size() == 2);
    CHECK(runs[0]["outcome"] == "skipped_busy");
    CHECK(runs[1]["outcome"] == "running");
    CHECK(daemon->log().find("is skipped: the previous run") != std::string::npos);

    // Two more schedules; sotad goes down (stopping the slow run) and misses their runs.
    const std::string once = first_line(
        run_sota(home, env,
                 {"schedule", "add", "--cron", "0 0 1 1 *", "--", "batch", "k.csv", "--dry-run"})
            .out);
    const std::string skip =
        first_line(run_sota(home, env,
                            {"schedule", "add", "--cron", "0 0 1 1 *", "--missed", "skip", "--",
                             "batch", "k.csv", "--dry-run"})
                       .out);
    CHECK(daemon->stop(SIGTERM) == 0);
    for (const auto& id : {once, skip}) {
        set_next_run(home, id, std::chrono::system_clock::now() - std::chrono::hours(5));
    }
    world.section_delay_ms->store(0);
    daemon = start_daemon(home, env);
    CHECK(show_schedule(home, env, slow)["runs"][1]["outcome"] == "interrupted");
    runs = wait_for_run(home, env, once, "succeeded");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0]["trigger"] == "missed");
    runs = wait_for_run(home, env, skip, "skipped_missed");
    REQUIRE(runs.size() == 1);
    for (const auto& id : {once, skip}) {
        const json s = show_schedule(home, env, id);
        CHECK(s["next_run"].get<std::string>() >
              core::iso8601_utc(std::chrono::system_clock::now()));
    }
}

TEST_CASE("a run left going by a killed sotad is stopped when sotad starts again",
          "[daemon][schedule][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    world.section_delay_ms->store(8000);
    auto daemon = start_daemon(home, env);
    const std::string slow = start_yearly_run(home, env);
    json runs = wait_for_run(home, env, slow, "running");
    REQUIRE(runs.size() == 1);
    const auto pid = runs[0]["pid"].get<pid_t>();
    REQUIRE(pid > 0);

    // A process is gone once /proc no longer has it, or it is a zombie nobody reaped yet.
    auto gone = [](pid_t p) {
        std::ifstream stat("/proc/" + std::to_string(p) + "/stat");
        std::string line;
        if (!std::getline(stat, line)) {
            return true;
        }
        const auto paren = line.rfind(')');
        return paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'Z';
    };
    CHECK(daemon->stop(SIGKILL) == 128 + SIGKILL);
    CHECK_FALSE(gone(pid));  // the run outlived its sotad

    daemon = start_daemon(home, env);
    bool stopped = false;
    for (int i = 0; i < 100 && !stopped; ++i) {
        stopped = gone(pid);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!stopped) {
        ::kill(-pid, SIGKILL);  // the test cleans up what it started
    }
    CHECK(stopped);
    runs = show_schedule(home, env, slow)["runs"];
    REQUIRE(runs.size() == 1);
    CHECK(runs[0]["outcome"] == "interrupted");
    CHECK(daemon->log().find("was still going after its sotad ended; stopped it") !=
          std::string::npos);
}
