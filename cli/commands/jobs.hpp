#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "adapters/daemon_client.hpp"

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

// Talking to sotad, for every command that does.

/// The client for this user's sotad, started first if daemon.autostart is set.
adapters::DaemonClient client_for(Context& ctx);

/// A request to sotad that must answer 2xx; the body parsed (a non-JSON body as a string).
core::Expected<nlohmann::json> daemon_request(
    adapters::DaemonClient& client, const std::string& method, const std::string& path,
    const std::string& body = "", const std::map<std::string, std::string>& headers = {});

/// A non-2xx answer as an Error from its JSON body (400/405/413 usage, 404 not found).
core::Error reply_error(const adapters::DaemonReply& reply);

/// Prints a failed exchange's error; returns exit 3 for an unreachable daemon, else the
/// error kind's exit code.
int report_daemon_error(const core::Error& error);

}  // namespace sota::cli
