#include "cli/commands/batch.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/batch_file.hpp"
#include "adapters/daemon_client.hpp"
#include "adapters/environment.hpp"
#include "adapters/job_runner.hpp"
#include "adapters/private_files.hpp"
#include "adapters/services.hpp"
#include "adapters/sqlite_store.hpp"
#include "cli/commands/jobs.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "core/api/batch_rows.hpp"
#include "core/api/protocol.hpp"
#include "core/exit_codes.hpp"
#include "core/pipeline/step.hpp"

namespace sota::cli {

using nlohmann::json;

namespace {

using Planned = PlannedJob;

/// What happened to each row, for the summary and the results file.
struct Outcome {
    std::size_t line = 0;
    std::string keyword;
    std::string job_id;
    std::string status;
    int score = 0;
    double cost = 0;
    std::int64_t tokens = 0;
    std::string directory;
    std::string error;
};

std::string csv_field(const std::string& value) {
    if (value.find_first_of(",\"\r\n") == std::string::npos) {
        return value;
    }
    std::string out = "\"";
    for (char c : value) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return out + "\"";
}

core::Status write_results(const std::string& path, const std::vector<Outcome>& outcomes) {
    std::string text;
    if (path.size() > 5 && path.substr(path.size() - 5) == ".json") {
        json rows = json::array();
        for (const auto& o : outcomes) {
            rows.push_back({{"line", o.line},
                            {"keyword", o.keyword},
                            {"job_id", o.job_id},
                            {"status", o.status},
                            {"score", o.score},
                            {"cost_usd", o.cost},
                            {"tokens", o.tokens},
                            {"directory", o.directory},
                            {"error", o.error}});
        }
        text = rows.dump(2) + "\n";
    } else {
        text = "line,keyword,job_id,status,score,cost_usd,tokens,directory,error\r\n";
        for (const auto& o : outcomes) {
            text += std::to_string(o.line) + "," + csv_field(o.keyword) + "," + o.job_id + "," +
                    o.status + "," + std::to_string(o.score) + "," + std::to_string(o.cost) + "," +
                    std::to_string(o.tokens) + "," + csv_field(o.directory) + "," +
                    csv_field(o.error) + "\r\n";
        }
    }
    return adapters::write_file_atomically(path, text, 0644);
}

int summarize(const BatchOptions& options, const std::vector<Outcome>& outcomes,
              std::size_t skipped, std::chrono::steady_clock::time_point start) {
    int completed = 0, failed = 0;
    double cost = 0;
    std::int64_t tokens = 0;
    for (const auto& o : outcomes) {
        completed += o.status == "completed";
        failed += o.status != "completed";
        cost += o.cost;
        tokens += o.tokens;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "%d completed, %d failed, %zu skipped; %lld tokens, $%.4f, %.1f s\n",
                 completed, failed, skipped, static_cast<long long>(tokens), cost, seconds);
    if (!options.results.empty()) {
        if (auto ok = write_results(options.results, outcomes); !ok) {
            return report_error(ok.error());
        }
        std::fprintf(stderr, "results: %s\n", options.results.c_str());
    }
    return failed > 0 ? core::to_int(core::ExitCode::batch_partial) : 0;
}

/// Whether another live process (sotad, another batch) is running this job now.
bool run_elsewhere(const core::pipeline::JobRecord& job) {
    return core::pipeline::active(job.state) && job.owner_pid != ::getpid() &&
           adapters::process_alive(job.owner_pid);
}

int run_inline(const BatchOptions& options, Context& ctx, const std::vector<Planned>& rows,
               std::size_t skipped) {
    auto services = ctx.services(true);
    if (!services) {
        return report_error(services.error());
    }
    auto& store = (*services)->store();
    adapters::JobRunner runner(**services, ctx.config(), ctx.paths());
    const auto start = std::chrono::steady_clock::now();
    const std::string batch_id =
        options.resume.empty() ? core::pipeline::new_batch_id(std::chrono::system_clock::now())
                               : options.resume;
    std::fprintf(stderr,
                 "batch %s: %zu jobs, %d at a time (continue it with `sota batch --resume %s`)\n",
                 batch_id.c_str(), rows.size(), options.parallel, batch_id.c_str());
    std::vector<Outcome> outcomes(rows.size());
    std::unique_ptr<BatchProgress> board;
    if (::isatty(STDERR_FILENO)) {
        board = std::make_unique<BatchProgress>(stderr, use_color(ctx, 2), rows.size());
    }
    core::pipeline::FanoutReporter reporter;  // the job's log keeps the events either way
    if (board) {
        reporter.add(board.get());
    }
    std::mutex print;
    std::atomic<int> finished{0};
    core::pipeline::parallel_for(rows.size(), options.parallel, [&](std::size_t i) {
        Outcome& o = outcomes[i];
        o.line = rows[i].line;
        o.keyword = rows[i].job.value("keyword", "");
        core::Expected<core::pipeline::JobRecord> job = core::fail(
            core::ErrorKind::not_found, "job.not_found", "no job " + rows[i].existing_id);
        if (!rows[i].existing_id.empty()) {
            if (auto stored = store.get_job(rows[i].existing_id)) {
                job = std::move(*stored);
            }
        } else {
            json body = rows[i].job;
            body.erase("idempotency_key");
            auto request = core::api::create_job_from_json(body);
            if (!request) {
                o.status = "failed";
                o.error = request.error().message;
                return;
            }
            adapters::JobOptions job_options;
            job_options.idempotency_key = rows[i].job.value("idempotency_key", "");
            job_options.queue = request->queue;
            job_options.priority = request->priority;
            job_options.batch_id = batch_id;
            job_options.run_here = true;
            auto existing = store.find_by_idempotency_key(job_options.idempotency_key);
            job = existing ? core::Expected<core::pipeline::JobRecord>(std::move(*existing))
                           : runner.create(std::move(request->spec), job_options);
        }
        if (!job) {
            o.status = "failed";
            o.error = job.error().message;
            return;
        }
        o.job_id = job->id;
        if (run_elsewhere(*job)) {
            o.status = "running";
            o.error = "being run by process " + std::to_string(job->owner_pid);
        } else if (job->state != core::pipeline::JobState::completed) {
            if (board) {
                board->job_started(job->id, o.keyword);
            } else {
                std::lock_guard lock(print);
                std::fprintf(stderr, "[%zu/%zu] %s started: %s\n",
                             static_cast<std::size_t>(finished) + 1, rows.size(), job->id.c_str(),
                             o.keyword.c_str());
            }
            auto run = runner.run(*job, reporter, {});
            if (run.outcome.error) {
                o.error = run.outcome.error->message;
            }
        }
        const auto stored = store.get_job(job->id);
        if (o.status.empty()) {
            o.status = stored ? core::pipeline::to_string(stored->state) : "failed";
        }
        if (stored && stored->result.is_object()) {
            o.score = stored->result.value("score", 0);
            o.cost = stored->result.value("cost_usd", 0.0);
            o.tokens = stored->result.value("tokens", std::int64_t{0});
            o.directory = stored->result.value("directory", "");
        }
        const std::string line =
            o.keyword + " " + o.status + (o.error.empty() ? "" : ": " + o.error);
        if (board) {
            board->job_ended(o.job_id, line, o.status == "completed", o.tokens, o.cost);
            return;
        }
        std::lock_guard lock(print);
        std::fprintf(stderr, "[%d/%zu] %s\n", ++finished, rows.size(), line.c_str());
    });
    if (board) {
        board->finish();
    }
    return summarize(options, outcomes, skipped, start);
}

/// Waits until every job has ended, then summarizes them (`line_of`: job id -> line).
int wait_for_jobs(const BatchOptions& options, adapters::DaemonClient& client,
                  std::map<std::string, std::size_t> line_of, std::size_t skipped,
                  std::chrono::steady_clock::time_point start) {
    // Until every row's job has ended (rows submitted before may belong to earlier batches).
    std::map<std::string, json> views;
    while (true) {
        bool pending = false;
        for (const auto& [id, line] : line_of) {
            const auto seen = views.find(id);
            if (seen != views.end() && core::pipeline::ended(seen->second.value("status", ""))) {
                continue;
            }
            auto reply = client.call("GET", "/v1/jobs/" + id);
            if (!reply) {
                print_error(reply.error());
                return core::to_int(core::ExitCode::daemon_unreachable);
            }
            views[id] = json::parse(reply->body, nullptr, false);
            pending = pending || !core::pipeline::ended(views[id].value("status", ""));
        }
        if (!pending) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    std::vector<Outcome> outcomes;
    for (const auto& [id, j] : views) {
        Outcome o;
        o.job_id = id;
        o.line = line_of[id];
        o.keyword = j.value("keyword", "");
        o.status = j.value("status", "");
        const json r = j.value("result", json::object());
        o.score = r.value("score", 0);
        o.cost = r.value("cost_usd", 0.0);
        o.tokens = r.value("tokens", std::int64_t{0});
        o.directory = r.value("directory", "");
        o.error = j.value("error", json::object()).value("message", "");
        outcomes.push_back(std::move(o));
    }
    std::sort(outcomes.begin(), outcomes.end(),
              [](const Outcome& a, const Outcome& b) { return a.line < b.line; });
    return summarize(options, outcomes, skipped, start);
}

int run_on_daemon(const BatchOptions& options, Context& ctx, const std::vector<Planned>& rows,
                  std::size_t skipped) {
    adapters::DaemonClient client(ctx.paths().socket_file());
    const auto start = std::chrono::steady_clock::now();
    std::string batch_id;
    std::map<std::string, std::size_t> line_of;  // job id -> line
    constexpr std::size_t k_part = 1000;
    for (std::size_t from = 0; from < rows.size(); from += k_part) {
        json jobs = json::array();
        for (std::size_t i = from; i < std::min(rows.size(), from + k_part); ++i) {
            jobs.push_back(rows[i].job);
        }
        json body = {{"jobs", jobs}};
        if (!batch_id.empty()) {
            body["batch_id"] = batch_id;
        }
        auto reply = client.call("POST", "/v1/batches", body.dump(), {}, std::chrono::minutes(5));
        if (!reply) {
            print_error(reply.error());
            return core::to_int(core::ExitCode::daemon_unreachable);
        }
        const json answer = json::parse(reply->body, nullptr, false);
        if (reply->status != 202 && reply->status != 200) {
            // sotad checks each row's inputs too; name the rows it refused.
            for (const auto& e : answer.value("errors", json::array())) {
                const std::size_t index = from + e.value("index", std::size_t{0});
                std::fprintf(stderr, "%s:%zu: %s\n", options.file.c_str(),
                             index < rows.size() ? rows[index].line : 0,
                             e.value("message", "").c_str());
            }
            print_error(core::Error{core::ErrorKind::usage, "batch.refused",
                                    answer.is_object() && answer.contains("error")
                                        ? answer["error"].value("message", reply->body)
                                        : reply->body});
            return core::to_int(core::ExitCode::usage);
        }
        batch_id = answer.value("batch_id", batch_id);
        const json ids = answer.value("jobs", json::array());
        for (std::size_t k = 0; k < ids.size(); ++k) {
            line_of[ids[k].get<std::string>()] = rows[from + k].line;
        }
    }
    std::printf("%s\n", batch_id.c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "%zu jobs in batch %s\n", rows.size(), batch_id.c_str());
    if (!options.wait) {
        return 0;
    }
    return wait_for_jobs(options, client, line_of, skipped, start);
}

/// Continues a batch: inline, its unfinished jobs run here from their checkpoints; with
/// --daemon, sotad queues its failed, cancelled and interrupted jobs again.
int resume_batch(const BatchOptions& options, Context& ctx) {
    const auto start = std::chrono::steady_clock::now();
    if (options.daemon) {
        auto client = client_for(ctx);
        auto answer = daemon_request(client, "POST", "/v1/batches/" + options.resume + "/retry");
        if (!answer) {
            return report_daemon_error(answer.error());
        }
        std::printf("%s\n", options.resume.c_str());
        std::fflush(stdout);
        std::fprintf(stderr, "batch %s: %d of its %zu jobs queued again in sotad\n",
                     options.resume.c_str(), answer->value("requeued", 0),
                     answer->value("jobs", json::array()).size());
        if (!options.wait) {
            return 0;
        }
        std::map<std::string, std::size_t> line_of;
        std::size_t n = 0;
        for (const auto& id : answer->value("jobs", json::array())) {
            line_of[id.get<std::string>()] = ++n;
        }
        return wait_for_jobs(options, client, line_of, 0, start);
    }
    auto store = adapters::SqliteStore::open(ctx.paths().database_file());
    if (!store) {
        return report_error(store.error());
    }
    const auto jobs = (*store)->batch_jobs(options.resume);
    if (jobs.empty()) {
        return report_error(core::Error{core::ErrorKind::not_found, "batch.not_found",
                                        "no batch " + options.resume + " in " +
                                            ctx.paths().database_file().string() +
                                            " (the batch id is printed when a batch starts)"});
    }
    std::size_t queued = 0;
    std::vector<Planned> rows;
    for (const auto& job : jobs) {
        queued += job.state == core::pipeline::JobState::queued;
        Planned p;
        p.line = rows.size() + 1;
        p.job = {{"keyword", job.spec.keyword}};
        p.existing_id = job.id;
        rows.push_back(std::move(p));
    }
    if (queued > 0) {
        adapters::DaemonClient client(ctx.paths().socket_file());
        auto health = client.call("GET", "/v1/health", "", {}, std::chrono::seconds(2));
        if (health && health->status == 200) {
            return report_error(core::Error{
                core::ErrorKind::usage, "batch.in_daemon",
                std::to_string(queued) + " jobs of batch " + options.resume +
                    " are queued and sotad is running, so it may be running them; continue "
                    "the batch there: sota batch --resume " +
                    options.resume + " --daemon --wait"});
        }
    }
    return run_inline(options, ctx, rows, 0);
}

}  // namespace

void add_pool_flags(CLI::App* command, BatchOptions& o) {
    command->add_flag("--dry-run", o.dry_run, "Check and show the jobs; run nothing");
    command->add_flag("--daemon", o.daemon, "Hand the jobs to sotad; print the batch id");
    command->add_flag("--wait", o.wait, "With --daemon: wait for the jobs and summarize them");
    command->add_option("--parallel", o.parallel, "Inline: jobs at once (default 2)")
        ->check(CLI::Range(1, 64));
    command->add_option("--results", o.results, "Write results to FILE (.csv or .json)");
    command->add_option("-w,--workflow", o.workflow, "Workflow for jobs that name none");
    command->add_option("-m,--model", o.model, "Model for jobs that name none");
}

void setup_batch(CLI::App& parent, CommandTable& table) {
    auto o = std::make_shared<BatchOptions>();
    auto* batch = parent.add_subcommand("batch", "Run many jobs from a CSV or JSON-lines file");
    batch->add_option("file", o->file, "The file (- for stdin)");
    batch->add_option("--resume", o->resume,
                      "Continue batch ID: its unfinished jobs from their checkpoints (with "
                      "--daemon, sotad queues its failed, cancelled and interrupted jobs again)");
    add_pool_flags(batch, *o);
    batch->add_flag("--json", o->json, "With --dry-run: one JSON object per row");
    batch->add_flag("--skip-invalid", o->skip_invalid, "Run the valid rows, skip the rest");
    batch->add_option("--queue", o->queue, "standard or priority, for rows without one")
        ->check(CLI::IsMember({"standard", "priority"}));
    table.add(batch, [o](Context* ctx) { return run_batch(*o, *ctx); });
}

int run_batch(const BatchOptions& options, Context& ctx) {
    if (options.file.empty() == options.resume.empty()) {
        return report_error(core::Error{
            core::ErrorKind::usage, "batch.source",
            options.file.empty()
                ? "sota batch needs a FILE (CSV or JSON lines; - for stdin) or --resume BATCH"
                : "give a FILE or --resume BATCH, not both (running the file again never runs a "
                  "finished row twice)"});
    }
    if (!options.resume.empty()) {
        return resume_batch(options, ctx);
    }
    std::ifstream file;
    std::istream* in = &std::cin;
    const std::string source = options.file == "-" ? "stdin" : options.file;
    if (options.file != "-") {
        file.open(options.file, std::ios::binary);
        if (!file) {
            return report_error(
                core::Error{core::ErrorKind::usage, "batch.file", "cannot read " + options.file});
        }
        in = &file;
    }
    core::api::RowDefaults defaults{options.workflow, options.model, options.queue};
    std::vector<Planned> rows;
    std::vector<core::api::RowProblem> problems;
    auto read = adapters::read_batch(*in, source, [&](adapters::BatchRow row) {
        std::string column;
        auto job = core::api::row_to_job(row.fields, defaults, &column);
        if (!job) {
            problems.push_back({row.line, column, job.error().message});
        } else {
            if (options.dry_run) {
                if (options.json) {
                    std::printf("%s\n", json{{"line", row.line}, {"job", *job}}.dump().c_str());
                } else {
                    std::printf("line %zu: %s (%s)\n", row.line, job->value("keyword", "").c_str(),
                                job->value("workflow", "standard").c_str());
                }
            }
            rows.push_back({row.line, std::move(*job)});
        }
        return true;
    });
    if (!read) {
        return report_error(read.error());
    }
    for (const auto& p : problems) {
        std::fprintf(stderr, "%s:%zu: %s\n", source.c_str(), p.line, p.message.c_str());
    }
    if (!problems.empty() && !options.skip_invalid) {
        std::fprintf(stderr,
                     "%zu of %zu rows are invalid; nothing was submitted (fix them, or pass "
                     "--skip-invalid to run the valid rows)\n",
                     problems.size(), problems.size() + rows.size());
        return core::to_int(core::ExitCode::usage);
    }
    if (options.dry_run) {
        std::fprintf(stderr, "%zu valid rows, %zu invalid; nothing was submitted (dry run)\n",
                     rows.size(), problems.size());
        return problems.empty() || options.skip_invalid ? 0 : core::to_int(core::ExitCode::usage);
    }
    return run_planned(options, ctx, rows, problems.size());
}

int run_planned(const BatchOptions& options, Context& ctx, const std::vector<PlannedJob>& jobs,
                std::size_t skipped) {
    return options.daemon ? run_on_daemon(options, ctx, jobs, skipped)
                          : run_inline(options, ctx, jobs, skipped);
}

}  // namespace sota::cli
