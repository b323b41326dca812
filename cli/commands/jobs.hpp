#pragma once

#include <string>
#include <vector>

#include "cli/command_table.hpp"
#include "cli/commands/run.hpp"

namespace sota::cli {

/// Options of the commands that talk to sotad: submit, status, list, cancel, retry, result,
/// wait.
struct JobsOptions {
    RunOptions job;  ///< submit: the job's flags, as for `sota run`
    std::string queue = "standard";
    int priority = 0;
    std::string idempotency_key;
    bool wait = false;
    bool json = false;
    std::vector<std::string> ids;
    std::string status;
    int limit = 50;
    std::string format = "json";
    std::string output;
    int timeout_s = 0;
};

/// Adds submit, status, list, cancel, retry, result, wait, watch and logs.
void setup_jobs(CLI::App& parent, CommandTable& table);

/// `sota submit` and `sota run --daemon`: create the job in sotad; print its id; with --wait,
/// follow it to the end (exit 0 completed, 1 otherwise). Exit 3 if sotad is not running.
int submit_to_daemon(const RunOptions& job, Context& ctx, const JobsOptions* extra = nullptr);

}  // namespace sota::cli
