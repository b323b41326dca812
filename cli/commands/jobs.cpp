#include "cli/commands/jobs.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/daemon_client.hpp"
#include "adapters/environment.hpp"
#include "adapters/private_files.hpp"
#include "adapters/sqlite_store.hpp"
#include "cli/commands/daemon.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "core/api/protocol.hpp"
#include "core/exit_codes.hpp"
#include "core/paths.hpp"
#include "core/pipeline/workflow.hpp"

namespace sota::cli {

using nlohmann::json;

int report_daemon_error(const core::Error& error) {
    print_error(error);
    if (error.code == "daemon.unreachable") {
        return core::to_int(core::ExitCode::daemon_unreachable);
    }
    return core::to_int(core::exit_code_for(error.kind));
}

core::Error reply_error(const adapters::DaemonReply& reply) {
    const json body = json::parse(reply.body, nullptr, false);
    core::Error e{core::ErrorKind::provider, "daemon.error",
                  "sotad answered " + std::to_string(reply.status)};
    if (body.is_object() && body.contains("error")) {
        e.code = body["error"].value("code", e.code);
        e.message = body["error"].value("message", e.message);
    }
    if (reply.status == 400 || reply.status == 405 || reply.status == 413) {
        e.kind = core::ErrorKind::usage;
    } else if (reply.status == 404) {
        e.kind = core::ErrorKind::not_found;
    }
    return e;
}

core::Expected<json> daemon_request(adapters::DaemonClient& client, const std::string& method,
                                    const std::string& path, const std::string& body,
                                    const std::map<std::string, std::string>& headers) {
    auto reply = client.call(method, path, body, headers);
    if (!reply) {
        return core::fail(reply.error());
    }
    if (reply->status < 200 || reply->status >= 300) {
        return core::fail(reply_error(*reply));
    }
    const json doc = json::parse(reply->body, nullptr, false);
    return doc.is_discarded() ? json(reply->body) : doc;
}

adapters::DaemonClient client_for(Context& ctx) {
    if (ctx.config().get(core::Key<bool>{"daemon.autostart"})) {
        if (auto started = start_daemon(ctx, true); !started) {
            print_error(started.error());
        }
    }
    return adapters::DaemonClient(ctx.paths().socket_file());
}

namespace {

std::string absolute(const std::string& path) {
    if (path.empty() || path.find("://") != std::string::npos) {
        return path;
    }
    return std::filesystem::absolute(path).string();
}

/// Sends a job's events (all so far, then new ones if `follow`) to `reporter`, or prints them
/// as JSON lines; returns the job's status at the end. `saw_end` (if given) tells whether the
/// reporter was handed the job's last change of state, which says how it ended.
core::Expected<std::string> replay_events(adapters::DaemonClient& client, const std::string& id,
                                          bool follow, bool as_json,
                                          core::pipeline::Reporter& reporter,
                                          bool* saw_end = nullptr) {
    std::string last_state;
    auto streamed = client.stream(
        "/v1/jobs/" + id + "/events" + (follow ? "?follow=1" : ""), [&](std::string_view line) {
            if (as_json) {
                std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
                std::fflush(stdout);
                return true;
            }
            const json e = json::parse(line, nullptr, false);
            if (e.is_object()) {
                const auto event = core::pipeline::event_from_json(e);
                if (event.type == core::pipeline::EventType::status_change) {
                    last_state = event.data.value("state", "");
                }
                reporter.on_event(event);
            }
            return true;
        });
    if (!streamed) {
        return core::fail(streamed.error());
    }
    auto job = daemon_request(client, "GET", "/v1/jobs/" + id);
    if (!job) {
        return core::fail(job.error());
    }
    std::string status = job->value("status", "");
    if (saw_end) {
        *saw_end = !last_state.empty() && last_state == status;
    }
    return status;
}

/// Follows a job to its end with plain lines on stderr; says how it ended once (the job's last
/// event says it, unless the stream ended before it).
core::Expected<std::string> follow(adapters::DaemonClient& client, const std::string& id,
                                   bool as_json) {
    PlainProgress plain(stderr);
    bool saw_end = false;
    auto status = replay_events(client, id, true, as_json, plain, &saw_end);
    if (status && !as_json && !saw_end) {
        std::fprintf(stderr, "job %s %s\n", id.c_str(), status->c_str());
    }
    return status;
}

/// "k/N name": the step a job is in, as `status` and `list` both show it.
std::string step_text(const json& j) {
    std::string text =
        std::to_string(j.value("step", 0)) + "/" + std::to_string(j.value("total_steps", 0));
    const std::string name = j.value("step_name", "");
    return name.empty() ? text : text + " " + name;
}

/// What the steps done so far used: "3 done, 5210 tokens, $0.0011".
std::string usage_text(const json& j) {
    char cost[32];
    std::snprintf(cost, sizeof cost, "$%.4f", j.value("cost_usd", 0.0));
    return std::to_string(j.value("steps_done", 0)) + " done, " +
           std::to_string(j.value("tokens", std::int64_t{0})) + " tokens, " + cost;
}

void print_job(const json& j) {
    std::printf("%s  %s  %s  step %s (%s)  attempts %d\n", j.value("id", "").c_str(),
                j.value("status", "").c_str(), j.value("keyword", "").c_str(), step_text(j).c_str(),
                usage_text(j).c_str(), j.value("attempts", 0));
    if (j.value("status", "") == "waiting" && j.contains("retry_at")) {
        const std::string on = j.value("waiting_for", "");
        std::printf("  waiting%s, next try at %s: %s\n", on.empty() ? "" : (" on " + on).c_str(),
                    j.value("retry_at", "").c_str(),
                    j.contains("error") ? j["error"].value("message", "").c_str() : "");
    } else if (j.contains("error")) {
        std::printf("  error: %s\n", j["error"].value("message", "").c_str());
    }
    if (j.contains("result")) {
        std::printf("  result: %s (score %d)\n", j["result"].value("directory", "").c_str(),
                    j["result"].value("score", 0));
    }
}

int run_status(const JobsOptions& o, Context& ctx) {
    auto client = client_for(ctx);
    if (o.ids.empty()) {
        auto health = daemon_request(client, "GET", "/v1/health");
        if (!health) {
            return report_daemon_error(health.error());
        }
        auto stats = daemon_request(client, "GET", "/v1/stats");
        if (!stats) {
            return report_daemon_error(stats.error());
        }
        if (o.json) {
            std::printf("%s\n", json{{"health", *health}, {"stats", *stats}}.dump(2).c_str());
            return 0;
        }
        std::printf("sotad %s: %s, pid %d, %d/%d workers busy\n",
                    health->value("version", "").c_str(), health->value("status", "").c_str(),
                    health->value("pid", 0), health->value("busy", 0), health->value("workers", 0));
        for (const auto& [state, n] : (*stats)["jobs"].items()) {
            std::printf("  %-12s %lld\n", state.c_str(),
                        static_cast<long long>(n.get<std::int64_t>()));
        }
        return 0;
    }
    int code = 0;
    for (const auto& id : o.ids) {
        auto job = daemon_request(client, "GET", "/v1/jobs/" + id);
        if (!job) {
            code = report_daemon_error(job.error());
            continue;
        }
        if (o.json) {
            std::printf("%s\n", job->dump().c_str());
        } else {
            print_job(*job);
        }
    }
    return code;
}

int run_list(const JobsOptions& o, Context& ctx) {
    auto client = client_for(ctx);
    std::string path = "/v1/jobs?limit=" + std::to_string(o.limit);
    if (!o.status.empty()) {
        path += "&status=" + o.status;
    }
    auto jobs = daemon_request(client, "GET", path);
    if (!jobs) {
        return report_daemon_error(jobs.error());
    }
    if (o.json) {
        std::printf("%s\n", jobs->dump(2).c_str());
        return 0;
    }
    std::vector<std::vector<std::string>> rows = {{"ID", "STATUS", "STEP", "PROGRESS", "KEYWORD"}};
    for (const auto& j : (*jobs)["jobs"]) {
        std::string status = j.value("status", "");
        if (status == "waiting" && j.contains("retry_at")) {
            status += " (next try " + j.value("retry_at", "") + ")";
        }
        rows.push_back(
            {j.value("id", ""), status, step_text(j), usage_text(j), j.value("keyword", "")});
    }
    print_table(rows);
    return 0;
}

int run_post(const JobsOptions& o, Context& ctx, const char* action) {
    auto client = client_for(ctx);
    int code = 0;
    for (const auto& id : o.ids) {
        auto job = daemon_request(client, "POST", "/v1/jobs/" + id + "/" + action);
        if (!job) {
            code = report_daemon_error(job.error());
            continue;
        }
        std::printf("%s %s\n", id.c_str(), job->value("status", "").c_str());
    }
    return code;
}

int run_result(const JobsOptions& o, Context& ctx) {
    auto client = client_for(ctx);
    auto reply = client.call("GET", "/v1/jobs/" + o.ids.front() + "/result?format=" + o.format);
    if (!reply) {
        return report_daemon_error(reply.error());
    }
    if (reply->status != 200) {
        return report_daemon_error(reply_error(*reply));
    }
    if (o.output.empty() || o.output == "-") {
        std::fwrite(reply->body.data(), 1, reply->body.size(), stdout);
        return 0;
    }
    if (auto ok = adapters::write_file_atomically(o.output, reply->body, 0644); !ok) {
        return report_daemon_error(ok.error());
    }
    std::fprintf(stderr, "wrote %s\n", o.output.c_str());
    return 0;
}

int run_wait(const JobsOptions& o, Context& ctx) {
    auto client = client_for(ctx);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
    bool all_completed = true;
    for (const auto& id : o.ids) {
        while (true) {
            auto job = daemon_request(client, "GET", "/v1/jobs/" + id);
            if (!job) {
                return report_daemon_error(job.error());
            }
            const std::string status = job->value("status", "");
            if (core::pipeline::ended(status)) {
                std::printf("%s %s\n", id.c_str(), status.c_str());
                all_completed = all_completed && status == "completed";
                break;
            }
            if (o.timeout_s > 0 && std::chrono::steady_clock::now() > deadline) {
                std::fprintf(stderr, "%s still %s after %d s\n", id.c_str(), status.c_str(),
                             o.timeout_s);
                return core::to_int(core::ExitCode::job_failed);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
    }
    return all_completed ? 0 : core::to_int(core::ExitCode::job_failed);
}

int run_watch(const JobsOptions& o, Context& ctx) {
    auto client = client_for(ctx);
    const std::string id = o.ids.front();
    auto job = daemon_request(client, "GET", "/v1/jobs/" + id);
    if (!job) {
        return report_daemon_error(job.error());
    }
    core::pipeline::Workflow workflow;
    for (const auto& step : job->value("steps", json::array())) {
        core::pipeline::StepSpec spec;
        spec.id = step.get<std::string>();
        workflow.steps.push_back(std::move(spec));
    }
    std::unique_ptr<core::pipeline::Reporter> progress;
    TtyProgress* tty = nullptr;
    if (!o.json && is_tty(2)) {
        auto t = std::make_unique<TtyProgress>(stderr, use_color(ctx, 2), workflow);
        tty = t.get();
        progress = std::move(t);
    } else {
        progress = std::make_unique<PlainProgress>(stderr);
    }
    bool saw_end = false;
    auto status = replay_events(client, id, true, o.json, *progress, &saw_end);
    if (tty) {
        tty->finish();
    }
    if (!status) {
        return report_daemon_error(status.error());
    }
    if (o.json || tty || !saw_end) {  // plain lines said how it ended already
        std::fprintf(stderr, "job %s %s\n", id.c_str(), status->c_str());
    }
    return *status == "completed" ? 0 : core::to_int(core::ExitCode::job_failed);
}

/// A job's log: each event on a line of its own after the time it happened (UTC), or as JSON
/// lines with --json.
int run_logs(const JobsOptions& o, Context& ctx) {
    auto client = client_for(ctx);
    if (auto job = daemon_request(client, "GET", "/v1/jobs/" + o.ids.front()); !job) {
        return report_daemon_error(job.error());  // no such job, or no daemon
    }
    auto streamed =
        client.stream("/v1/jobs/" + o.ids.front() + "/events", [&](std::string_view line) {
            if (o.json) {
                std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
                return true;
            }
            const json e = json::parse(line, nullptr, false);
            if (e.is_object()) {
                std::printf("%s  %s\n", e.value("time", "").c_str(),
                            describe_event(core::pipeline::event_from_json(e)).c_str());
            }
            return true;
        });
    if (!streamed) {
        return report_daemon_error(streamed.error());
    }
    std::fflush(stdout);
    return 0;
}

/// Job ids to complete: the newest jobs in the job database (read directly, so it works
/// whether or not sotad runs), at most 50; none for a command that takes one id and has it.
std::vector<std::string> job_ids(const std::vector<std::string>& before, bool many) {
    std::vector<std::string> ids;
    if (!many && !before.empty()) {
        return ids;
    }
    const auto paths =
        core::resolve_paths(adapters::snapshot_environment(), adapters::current_uid());
    std::error_code ec;
    if (!paths || !std::filesystem::exists(paths->database_file(), ec)) {
        return ids;
    }
    auto store = adapters::SqliteStore::open(paths->database_file());
    if (!store) {
        return ids;
    }
    for (const auto& job : (*store)->recent_jobs(50)) {
        ids.push_back(job.id);
    }
    return ids;
}

}  // namespace

int submit_to_daemon(const RunOptions& job, Context& ctx, const JobsOptions* extra) {
    auto spec = spec_from_options(job);
    if (!spec) {
        return report_daemon_error(spec.error());
    }
    core::api::CreateJob create;
    create.spec = std::move(*spec);
    create.spec.out = absolute(create.spec.out);
    create.spec.file = absolute(create.spec.file);
    create.site_pages = absolute(job.site_pages);
    std::map<std::string, std::string> headers;
    if (extra) {
        create.queue = extra->queue;
        create.priority = extra->priority;
        if (!extra->idempotency_key.empty()) {
            headers["Idempotency-Key"] = extra->idempotency_key;
        }
    }
    if (auto ok = core::pipeline::validate_spec(create.spec); !ok) {
        return report_daemon_error(ok.error());
    }
    auto client = client_for(ctx);
    auto created =
        daemon_request(client, "POST", "/v1/jobs", core::api::to_json(create).dump(), headers);
    if (!created) {
        return report_daemon_error(created.error());
    }
    const std::string id = created->value("id", "");
    const bool wait = !extra || extra->wait || job.daemon;
    const bool as_json = extra ? extra->json : job.json;
    if (!as_json || !wait) {
        std::printf("%s\n", id.c_str());
        std::fflush(stdout);
    }
    if (!wait) {
        return 0;
    }
    auto status = follow(client, id, as_json);
    if (!status) {
        return report_daemon_error(status.error());
    }
    return *status == "completed" ? 0 : core::to_int(core::ExitCode::job_failed);
}

void setup_jobs(CLI::App& parent, CommandTable& table) {
    auto o = std::make_shared<JobsOptions>();
    auto* submit = parent.add_subcommand("submit", "Hand a job to sotad; print its id");
    add_job_flags(submit, o->job);
    submit->add_option("--queue", o->queue, "standard (default) or priority")
        ->check(CLI::IsMember({"standard", "priority"}));
    submit->add_option("--priority", o->priority, "-100..100, higher first within a queue");
    submit->add_option("--idempotency-key", o->idempotency_key,
                       "Submitting the same key again returns the same job");
    submit->add_flag("--wait", o->wait, "Follow the job until it ends");
    submit->add_flag("--json", o->json, "With --wait, print events as JSON lines");
    table.add(submit, [o](Context* ctx) { return submit_to_daemon(o->job, *ctx, o.get()); });

    auto* status = parent.add_subcommand("status", "sotad's state, or jobs' status");
    status->add_option("ids", o->ids, "Job ids");
    status->add_flag("--json", o->json, "Print JSON");
    table.add(status, [o](Context* ctx) { return run_status(*o, *ctx); });
    table.add_completer(
        status, [](const std::vector<std::string>& before) { return job_ids(before, true); });

    auto* list = parent.add_subcommand("list", "Jobs in sotad, newest first");
    list->add_option("--status", o->status, "Only jobs in this state");
    list->add_option("--limit", o->limit, "At most this many (1-500)")->check(CLI::Range(1, 500));
    list->add_flag("--json", o->json, "Print JSON");
    table.add(list, [o](Context* ctx) { return run_list(*o, *ctx); });

    auto* cancel = parent.add_subcommand("cancel", "Cancel queued or running jobs");
    cancel->add_option("ids", o->ids, "Job ids")->required();
    table.add(cancel, [o](Context* ctx) { return run_post(*o, *ctx, "cancel"); });
    table.add_completer(
        cancel, [](const std::vector<std::string>& before) { return job_ids(before, true); });

    auto* retry = parent.add_subcommand("retry", "Queue failed jobs again from their last step");
    retry->add_option("ids", o->ids, "Job ids")->required();
    table.add(retry, [o](Context* ctx) { return run_post(*o, *ctx, "retry"); });
    table.add_completer(
        retry, [](const std::vector<std::string>& before) { return job_ids(before, true); });

    auto* result = parent.add_subcommand("result", "A finished job's article or result");
    result->add_option("id", o->ids, "Job id")->required()->expected(1);
    result->add_option("--format", o->format, "json (default), md or html")
        ->check(CLI::IsMember({"json", "md", "html"}));
    result->add_option("-o,--output", o->output, "Write to this file instead of stdout");
    table.add(result, [o](Context* ctx) { return run_result(*o, *ctx); });
    table.add_completer(
        result, [](const std::vector<std::string>& before) { return job_ids(before, false); });

    auto* wait = parent.add_subcommand("wait", "Wait for jobs to end; exit 0 if all completed");
    wait->add_option("ids", o->ids, "Job ids")->required();
    wait->add_option("--timeout", o->timeout_s, "Give up after this many seconds (exit 1)");
    table.add(wait, [o](Context* ctx) { return run_wait(*o, *ctx); });
    table.add_completer(
        wait, [](const std::vector<std::string>& before) { return job_ids(before, true); });

    auto* watch = parent.add_subcommand("watch", "Follow a job live until it ends");
    watch->add_option("id", o->ids, "Job id")->required()->expected(1);
    watch->add_flag("--json", o->json, "Print events as JSON lines");
    table.add(watch, [o](Context* ctx) { return run_watch(*o, *ctx); });
    table.add_completer(
        watch, [](const std::vector<std::string>& before) { return job_ids(before, false); });

    auto* logs = parent.add_subcommand("logs", "A job's events so far, one line each");
    logs->add_option("id", o->ids, "Job id")->required()->expected(1);
    logs->add_flag("--json", o->json, "Print events as JSON lines");
    table.add(logs, [o](Context* ctx) { return run_logs(*o, *ctx); });
    table.add_completer(
        logs, [](const std::vector<std::string>& before) { return job_ids(before, false); });
}

}  // namespace sota::cli
