#pragma once

#include <string>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota schedule next`.
struct ScheduleOptions {
    std::string expression;
    std::string tz;    ///< "" = the system's zone
    std::string from;  ///< "2026-03-08T00:00:00Z" (UTC) or "2026-03-08 00:00" (in tz)
    int count = 5;
    bool json = false;
};

/// Adds `schedule next` (checking a cron expression before trusting it).
void setup_schedule(CLI::App& parent, CommandTable& table);

/// Prints the next run times of a cron expression in a zone.
int run_schedule_next(const ScheduleOptions& options, Context& ctx);

}  // namespace sota::cli
