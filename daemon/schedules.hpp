#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "adapters/sqlite_store.hpp"
#include "core/schedule/schedule.hpp"

namespace sota::daemon {

/// Keeps the schedules in the job database and runs them: a timer thread wakes every
/// `tick`, starts each due schedule's command as a `sota` child process (its own process
/// group, stdin from /dev/null, stdout and stderr into a log file per run), reaps finished
/// runs, and records every run or skipped run. A run due while the previous one is still
/// going is skipped and logged; runs missed while sotad was down are run once or skipped, as
/// the schedule says. Thread-safe: the API calls its methods from any thread.
class ScheduleKeeper {
  public:
    struct Options {
        std::string sota_program = "sota";  ///< the `sota` executable the runs start
        std::filesystem::path log_dir;      ///< run logs go here (created 0700)
        core::schedule::Missed missed = core::schedule::Missed::once;  ///< the default
        std::chrono::milliseconds tick{500};
        std::chrono::seconds stop_grace{10};  ///< SIGTERM to SIGKILL when stopping
    };

    ScheduleKeeper(adapters::SqliteStore& store, Options options);
    ~ScheduleKeeper();

    /// The default for schedules added from now on that do not say (schedule.missed).
    void set_default_missed(core::schedule::Missed missed);

    /// Marks runs a dead sotad left "running" as interrupted and starts the timer.
    void start();
    /// Stops the timer and the runs in progress (SIGTERM to each run's process group, SIGKILL
    /// after stop_grace); they are recorded as interrupted.
    void stop();

    // The API's schedule routes. Errors are usage (400), not_found (404) or conflict (409).
    /// {"cron", "command": [...], "tz"?, "name"?, "missed"?: "once"|"skip", "paused"?: bool,
    /// "cwd"?: the directory to run in}
    core::Expected<nlohmann::json> add(const nlohmann::json& body);
    nlohmann::json list();
    /// The schedule with its last 20 runs.
    core::Expected<nlohmann::json> get(const std::string& id_or_name);
    core::Expected<nlohmann::json> remove(const std::string& id_or_name);
    /// Resuming recomputes the next run from now: runs due while paused are not made up.
    core::Expected<nlohmann::json> set_paused(const std::string& id_or_name, bool paused);
    /// Starts a run now (409 "schedule.busy" if one is going); the next cron run is unchanged.
    core::Expected<nlohmann::json> run_now(const std::string& id_or_name);

  private:
    void loop();
    void tick(core::WallTime now);
    void reap();
    core::Expected<core::schedule::ScheduleRun> launch(const core::schedule::Schedule& schedule,
                                                       const std::string& trigger,
                                                       core::WallTime scheduled_for);
    core::Expected<core::schedule::Schedule> find(const std::string& id_or_name);
    const core::schedule::TimeZone& zone(const std::string& name);
    nlohmann::json view(const core::schedule::Schedule& schedule);

    adapters::SqliteStore& m_store;
    Options m_options;
    std::mutex m_mutex;  // m_running, m_zones, and the order of store writes
    std::condition_variable m_wake;
    bool m_stop = false;
    std::map<std::string, core::schedule::ScheduleRun> m_running;  // runs going, by schedule id
    std::map<std::string, std::unique_ptr<core::schedule::TimeZone>> m_zones;
    std::thread m_thread;
};

}  // namespace sota::daemon
