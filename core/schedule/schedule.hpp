#pragma once

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "core/schedule/cron.hpp"

namespace sota::core::schedule {

/// What to do with runs that were due while the daemon was down (or the machine asleep).
enum class Missed { once, skip };
std::string to_string(Missed missed);
std::optional<Missed> missed_from_string(const std::string& text);

/// A sota command that sotad runs on a cron expression in a time zone.
struct Schedule {
    std::string id;    ///< "sch_..."
    std::string name;  ///< optional, unique; commands accept it in place of the id
    std::string cron;
    std::string tz;                    ///< an IANA zone name
    std::vector<std::string> command;  ///< the words after `sota`: {"refresh", "--older-than", ...}
    std::string cwd;  ///< the directory the command runs in (where it was added); "" = sotad's
    Missed missed = Missed::once;
    bool paused = false;
    WallTime created_at{};
    WallTime next_run_at{};  ///< the next time the cron names (kept while paused)
};

/// How one run (or skipped run) of a schedule went.
struct ScheduleRun {
    std::int64_t id = 0;
    std::string schedule_id;
    std::string trigger;  ///< "cron", "missed" (catching up) or "manual" (run-now)
    WallTime scheduled_for{};
    WallTime started_at{};
    std::optional<WallTime> ended_at;
    /// "running", "succeeded", "failed", "interrupted", "skipped_busy" (the previous run was
    /// still going) or "skipped_missed" (due while sotad was down; schedule skips those).
    std::string outcome;
    int exit_code = 0;
    std::int64_t pid = 0;
    std::string log;  ///< the file holding the run's stdout and stderr
    /// The batch the run's jobs joined ("" if it queued none). The run gets it as
    /// SOTA_BATCH_ID, which `sota batch` and `sota refresh` use for their batch.
    std::string batch_id;
};

/// The environment variable naming the batch a scheduled run's jobs join.
inline constexpr const char* k_batch_id_variable = "SOTA_BATCH_ID";

/// The command as a shell line: "sota refresh --older-than 90d", quoting words that need it.
std::string command_line(const std::vector<std::string>& words);

/// The commands a schedule may run.
const std::vector<std::string>& schedulable_commands();

/// Checks a new schedule's fields (not the command's flags, which `sota` checks): a valid cron,
/// a command that is one of schedulable_commands(), and no --key flag (a schedule would keep the
/// secret in the job database). Errors are ErrorKind::usage naming the field and the fix.
Status check_schedule(const Schedule& schedule);

/// What the timer does with a schedule at `now`.
enum class Fire {
    none,         ///< not due (or paused)
    run,          ///< start a run
    skip_busy,    ///< due, but the previous run is still going: record and skip
    skip_missed,  ///< due long ago (sotad was down) and the schedule skips missed runs
};

struct Decision {
    Fire fire = Fire::none;
    std::string trigger;  ///< "cron" or "missed"
    WallTime scheduled_for{};
    WallTime next_run_at{};  ///< the schedule's next run after this decision
};

/// Runs later than `grace` past their time count as missed.
inline constexpr std::chrono::seconds k_missed_grace{90};

/// Decides a schedule's due run. Several runs missed in a row collapse into one decision: the
/// next run is the first after `now`.
Decision decide(const Schedule& schedule, const CronExpr& cron, const TimeZone& zone, WallTime now,
                bool previous_running);

nlohmann::json to_json(const ScheduleRun& run);
/// A schedule as clients see it, with its zone's local time of the next run and its last run.
nlohmann::json schedule_view(const Schedule& schedule, const TimeZone& zone,
                             const std::optional<ScheduleRun>& last_run, bool running);

}  // namespace sota::core::schedule
