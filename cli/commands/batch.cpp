#include "cli/commands/batch.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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
#include "cli/commands/batch_report.hpp"
#include "cli/commands/jobs.hpp"
#include "cli/context.hpp"
#include "cli/interrupt.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "core/api/batch_rows.hpp"
#include "core/api/protocol.hpp"
#include "core/exit_codes.hpp"
#include "core/pipeline/step.hpp"
#include "core/schedule/schedule.hpp"

namespace sota::cli {

using nlohmann::json;

namespace {

using Planned = PlannedJob;

/// Whether another live process (sotad, another batch) is running this job now.
bool run_elsewhere(const core::pipeline::JobRecord& job) {
    return core::pipeline::active(job.state) && job.owner_pid != ::getpid() &&
           adapters::process_alive(job.owner_pid);
}

/// The name rows are reported under: the file, "stdin", or "" (rows not from a file).
std::string source_of(const BatchOptions& options) {
    return options.file == "-" ? "stdin" : options.file;
}

/// How to continue a batch that stopped before its end: the same file again (rows done are
/// not run again, and rows never started are), or --resume for a batch without a file.
/// The batch a scheduled run's jobs join (sotad names it in SOTA_BATCH_ID), or "".
std::string scheduled_batch_id() {
    const char* named = std::getenv(core::schedule::k_batch_id_variable);
    const std::string id = named ? named : "";
    const bool plain =
        id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        });
    return plain ? id : "";
}

std::string how_to_continue(const BatchOptions& options, const std::string& batch_id) {
    if (!options.resume.empty() || options.file.empty() || options.file == "-") {
        return "sota batch --resume " + batch_id + (options.daemon ? " --daemon" : "");
    }
    return "sota batch " + options.file + (options.daemon ? " --daemon" : "");
}

int run_inline(const BatchOptions& options, Context& ctx, const std::vector<Planned>& rows,
               std::size_t skipped) {
    auto services = ctx.services(true);
    if (!services) {
        return report_error(services.error());
    }
    if (auto source = announce_answer_source(**services, ctx.config()); !source) {
        return report_error(source.error());
    }
    auto& store = (*services)->store();
    adapters::JobRunner runner(**services, ctx.config(), ctx.paths());
    const auto start = std::chrono::steady_clock::now();
    const std::string source = source_of(options);
    std::string batch_id = options.resume.empty() ? scheduled_batch_id() : options.resume;
    if (batch_id.empty()) {
        batch_id = core::pipeline::new_batch_id(std::chrono::system_clock::now());
    }
    // The id on stdout at once, so a script has it even if the batch stops halfway.
    std::printf("%s\n", batch_id.c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "batch %s: %zu jobs, %d at a time (if it stops, `%s` continues it)\n",
                 batch_id.c_str(), rows.size(), options.parallel,
                 how_to_continue(options, batch_id).c_str());
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
    core::CancelToken cancel;
    InterruptWatch interrupt(cancel,
                             board ? std::function<void(const std::string&)>(
                                         [&board](const std::string& text) { board->note(text); })
                                   : nullptr);
    core::pipeline::parallel_for(rows.size(), options.parallel, [&](std::size_t i) {
        Outcome& o = outcomes[i];
        o.line = rows[i].line;
        o.keyword = rows[i].job.value("keyword", "");
        if (cancel.cancelled()) {
            o.status = "not started";
            return;
        }
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
            o.joined = existing.has_value();
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
            auto run = runner.run(*job, reporter, cancel);
            if (run.outcome.error) {
                o.error = run.outcome.error->message;
            }
        }
        const auto stored = store.get_job(job->id);
        if (o.status.empty()) {
            o.status = stored ? core::pipeline::to_string(stored->state) : "failed";
        }
        if (stored) {
            const Outcome kept = outcome_of(*stored, o.line);
            o.score = kept.score;
            o.cost = kept.cost;
            o.tokens = kept.tokens;
            o.directory = kept.directory;
            if (o.error.empty() && o.status != "completed") {
                o.error = kept.error;
            }
        }
        // A row that fails says so at once: where it is, its keyword and why.
        const std::string line = row_label(source, o.line) + ": " + o.keyword + ": " + o.status +
                                 (o.error.empty() ? "" : ": " + o.error);
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
    const int code = summarize(options, source, outcomes, skipped, start);
    if (interrupt.interrupted()) {
        std::size_t left = 0;
        for (const auto& o : outcomes) {
            left += o.status != "completed";
        }
        std::fprintf(
            stderr,
            "batch %s stopped with %zu of %zu rows not done; continue it with (rows done are not "
            "run again):\n  %s\n",
            batch_id.c_str(), left, rows.size(), how_to_continue(options, batch_id).c_str());
        return core::to_int(core::ExitCode::interrupted);
    }
    return code;
}

/// Waits until every job has ended, then summarizes them (`line_of`: job id -> line).
int wait_for_jobs(const BatchOptions& options, adapters::DaemonClient& client,
                  std::map<std::string, std::size_t> line_of, std::size_t skipped,
                  std::chrono::steady_clock::time_point start, const std::string& batch_id) {
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
                std::fprintf(stderr,
                             "the jobs go on in sotad; see them with `sota batch status %s`, and "
                             "write their results later with `sota batch results %s -o FILE`\n",
                             batch_id.c_str(), batch_id.c_str());
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
        Outcome o = outcome_of_view(j, line_of[id]);
        o.job_id = id;
        outcomes.push_back(std::move(o));
    }
    std::sort(outcomes.begin(), outcomes.end(),
              [](const Outcome& a, const Outcome& b) { return a.line < b.line; });
    return summarize(options, source_of(options), outcomes, skipped, start);
}

/// The most a part of a batch sent to sotad holds: sotad takes request bodies of up to 1 MiB,
/// so a part is cut at 1,000 rows or at half of that, whichever comes first.
constexpr std::size_t k_part_rows = 1000;
constexpr std::size_t k_part_bytes = 512 * 1024;

int run_on_daemon(const BatchOptions& options, Context& ctx, const std::vector<Planned>& rows,
                  std::size_t skipped) {
    adapters::DaemonClient client(ctx.paths().socket_file());
    const auto start = std::chrono::steady_clock::now();
    const std::string source = source_of(options);
    std::string batch_id;
    const std::string scheduled = scheduled_batch_id();
    std::map<std::string, std::size_t> line_of;  // job id -> line
    std::size_t created = 0, existing = 0;
    // Tells what was sent when a later part cannot be, so the batch can be finished.
    auto stopped = [&](std::size_t from, int code) {
        if (batch_id.empty()) {
            std::fprintf(stderr, "nothing was submitted\n");
            return code;
        }
        std::printf("%s\n", batch_id.c_str());
        std::fflush(stdout);
        std::fprintf(stderr,
                     "batch %s holds the rows before %s (%zu jobs); the rest were not sent. "
                     "Send the file again once this is fixed (rows already sent join their "
                     "jobs, nothing runs twice):\n  %s\n",
                     batch_id.c_str(), row_label(source, rows[from].line).c_str(), line_of.size(),
                     how_to_continue(options, batch_id).c_str());
        return code;
    };
    std::size_t from = 0;
    while (from < rows.size()) {
        // A part: up to k_part_rows rows, and up to k_part_bytes (at least one row).
        std::string jobs = "[";
        std::size_t to = from;
        while (to < rows.size() && to - from < k_part_rows) {
            const std::string one = rows[to].job.dump();
            if (to > from && jobs.size() + one.size() + 64 > k_part_bytes) {
                break;
            }
            jobs += (to > from ? "," : "") + one;
            ++to;
        }
        jobs += "]";
        std::string body = "{\"jobs\":" + jobs;
        if (!batch_id.empty() || !scheduled.empty()) {
            body += ",\"batch_id\":" + json(batch_id.empty() ? scheduled : batch_id).dump();
        }
        body += "}";
        auto reply = client.call("POST", "/v1/batches", body, {}, std::chrono::minutes(5));
        if (!reply) {
            print_error(reply.error());
            return stopped(from, core::to_int(core::ExitCode::daemon_unreachable));
        }
        const json answer = json::parse(reply->body, nullptr, false);
        if (reply->status != 202 && reply->status != 200) {
            // sotad checks each row's inputs too; name the rows it refused.
            for (const auto& e : answer.value("errors", json::array())) {
                const std::size_t index = from + e.value("index", std::size_t{0});
                std::fprintf(stderr, "%s: %s\n",
                             row_label(source, index < rows.size() ? rows[index].line : 0).c_str(),
                             e.value("message", "").c_str());
            }
            print_error(core::Error{core::ErrorKind::usage, "batch.refused",
                                    answer.is_object() && answer.contains("error")
                                        ? answer["error"].value("message", reply->body)
                                        : reply->body});
            return stopped(from, core::to_int(core::ExitCode::usage));
        }
        batch_id = answer.value("batch_id", batch_id);
        created += answer.value("created", std::size_t{0});
        existing += answer.value("existing", std::size_t{0});
        const json ids = answer.value("jobs", json::array());
        for (std::size_t k = 0; k < ids.size(); ++k) {
            line_of[ids[k].get<std::string>()] = rows[from + k].line;
        }
        from = to;
    }
    std::printf("%s\n", batch_id.c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "%zu rows in batch %s: %zu new jobs", rows.size(), batch_id.c_str(),
                 created);
    if (existing > 0) {
        std::fprintf(stderr, ", %zu joined the jobs of the same rows sent before", existing);
    }
    std::fprintf(stderr, "\n");
    if (!options.wait && options.results.empty()) {
        return 0;
    }
    if (!options.wait) {
        std::fprintf(stderr,
                     "waiting for the jobs to end to write %s (Ctrl-C stops waiting, not the jobs; "
                     "`sota batch results %s -o %s` writes it later)\n",
                     options.results.c_str(), batch_id.c_str(), options.results.c_str());
    }
    return wait_for_jobs(options, client, line_of, skipped, start, batch_id);
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
        if (!options.wait && options.results.empty()) {
            return 0;
        }
        std::map<std::string, std::size_t> line_of;
        std::size_t n = 0;
        for (const auto& id : answer->value("jobs", json::array())) {
            line_of[id.get<std::string>()] = ++n;
        }
        return wait_for_jobs(options, client, line_of, 0, start, options.resume);
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
    command->add_option("--results", o.results,
                        "Write results to FILE (.csv or .json); with --daemon, waits for the jobs");
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
    setup_batch_report(batch, table);
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
    std::vector<std::string> problems;  // "FILE:LINE[:COLUMN]: ..."
    // The whole file is read and checked before the first job is made.
    auto read = adapters::read_batch(
        *in, source,
        [&](adapters::BatchRow row) {
            std::string column;
            auto job = core::api::row_to_job(row.fields, defaults, &column);
            if (!job) {
                problems.push_back(source + ":" + std::to_string(row.line) + ": " +
                                   job.error().message);
                return true;
            }
            if (options.dry_run) {
                if (options.json) {
                    std::printf("%s\n", json{{"line", row.line}, {"job", *job}}.dump().c_str());
                } else {
                    std::printf("line %zu: %s (%s)\n", row.line, job->value("keyword", "").c_str(),
                                job->value("workflow", "standard").c_str());
                }
            }
            rows.push_back({row.line, std::move(*job)});
            return true;
        },
        [&](adapters::BadRow bad) { problems.push_back(std::move(bad.message)); });
    if (!read) {
        print_error(read.error());
        std::fprintf(stderr, "nothing was submitted\n");
        return core::to_int(core::exit_code_for(read.error().kind));
    }
    for (const auto& p : problems) {
        std::fprintf(stderr, "%s\n", p.c_str());
    }
    if (!problems.empty() && !options.skip_invalid) {
        std::fprintf(stderr,
                     "%zu of %zu rows are invalid; nothing was submitted (fix them, or pass "
                     "--skip-invalid to run the valid rows)\n",
                     problems.size(), problems.size() + rows.size());
        return core::to_int(core::ExitCode::usage);
    }
    if (!problems.empty()) {
        std::fprintf(stderr, "skipping the %zu invalid rows above (--skip-invalid)\n",
                     problems.size());
    }
    if (options.dry_run) {
        std::fprintf(stderr, "%zu valid rows, %zu invalid; nothing was submitted (dry run)\n",
                     rows.size(), problems.size());
        return problems.empty() || options.skip_invalid ? 0 : core::to_int(core::ExitCode::usage);
    }
    if (rows.empty()) {
        std::fprintf(stderr, "%s has no rows to run\n", source.c_str());
        return problems.empty() ? 0 : core::to_int(core::ExitCode::usage);
    }
    return run_planned(options, ctx, rows, problems.size());
}

int run_planned(const BatchOptions& options, Context& ctx, const std::vector<PlannedJob>& jobs,
                std::size_t skipped) {
    return options.daemon ? run_on_daemon(options, ctx, jobs, skipped)
                          : run_inline(options, ctx, jobs, skipped);
}

}  // namespace sota::cli
