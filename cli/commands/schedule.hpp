#pragma once

#include <string>
#include <vector>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of the `sota schedule` commands.
struct ScheduleOptions {
    std::string expression;  ///< next: the cron expression; add: --cron
    std::string tz;          ///< "" = the system's zone
    std::string from;        ///< "2026-03-08T00:00:00Z" (UTC) or "2026-03-08 00:00" (in tz)
    int count = 5;
    bool json = false;
    std::string name;
    std::string missed;  ///< "" = schedule.missed
    bool paused = false;
    bool wait = false;
    std::string id;                    ///< a schedule's id or name
    std::vector<std::string> command;  ///< add: the words after `--`
};

/// Adds `schedule next` (checking a cron expression before trusting it) and the schedules
/// sotad keeps: add, list, show, remove, pause, resume, run-now.
void setup_schedule(CLI::App& parent, CommandTable& table);

/// Prints the next run times of a cron expression in a zone.
int run_schedule_next(const ScheduleOptions& options, Context& ctx);

}  // namespace sota::cli
