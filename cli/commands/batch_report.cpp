#include "cli/commands/batch_report.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "adapters/private_files.hpp"
#include "adapters/sqlite_store.hpp"
#include "cli/commands/batch.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "core/exit_codes.hpp"

namespace sota::cli {

using nlohmann::json;

namespace {

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

/// A line to stderr; on a terminal, broken to its width.
void say(const std::string& text) {
    const int columns = terminal_columns(STDERR_FILENO);
    if (columns <= 0) {
        std::fprintf(stderr, "%s\n", text.c_str());
        return;
    }
    for (const auto& part : wrap_width(text, static_cast<std::size_t>(columns - 1), 4)) {
        std::fprintf(stderr, "%s\n", part.c_str());
    }
}

void read_result(Outcome& o, const json& result) {
    if (result.is_object()) {
        o.score = result.value("score", 0);
        o.cost = result.value("cost_usd", 0.0);
        o.tokens = result.value("tokens", std::int64_t{0});
        o.directory = result.value("directory", "");
    }
}

}  // namespace

Outcome outcome_of(const core::pipeline::JobRecord& job, std::size_t line) {
    Outcome o;
    o.line = line;
    o.keyword = job.spec.keyword;
    o.job_id = job.id;
    o.status = core::pipeline::to_string(job.state);
    read_result(o, job.result);
    if (job.error.is_object()) {
        o.error = job.error.value("message", "");
    }
    return o;
}

Outcome outcome_of_view(const json& view, std::size_t line) {
    Outcome o;
    o.line = line;
    o.job_id = view.value("id", "");
    o.keyword = view.value("keyword", "");
    o.status = view.value("status", "");
    read_result(o, view.value("result", json::object()));
    o.error = view.value("error", json::object()).value("message", "");
    return o;
}

std::string row_label(const std::string& source, std::size_t line) {
    return source.empty() ? "row " + std::to_string(line) : source + ":" + std::to_string(line);
}

core::Status write_results(const std::string& path, const std::vector<Outcome>& outcomes) {
    std::string text;
    const auto line_text = [](const Outcome& o) {
        return o.line > 0 ? std::to_string(o.line) : std::string();
    };
    if (path.size() > 5 && path.substr(path.size() - 5) == ".json") {
        json rows = json::array();
        for (const auto& o : outcomes) {
            rows.push_back({{"line", o.line > 0 ? json(o.line) : json(nullptr)},
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
            text += line_text(o) + "," + csv_field(o.keyword) + "," + o.job_id + "," + o.status +
                    "," + std::to_string(o.score) + "," + std::to_string(o.cost) + "," +
                    std::to_string(o.tokens) + "," + csv_field(o.directory) + "," +
                    csv_field(o.error) + "\r\n";
        }
    }
    return adapters::write_file_atomically(path, text, 0644);
}

int summarize(const BatchOptions& options, const std::string& source,
              const std::vector<Outcome>& outcomes, std::size_t skipped,
              std::chrono::steady_clock::time_point start) {
    std::size_t completed = 0, failed = 0, joined = 0;
    double cost = 0;
    std::int64_t tokens = 0;
    for (const auto& o : outcomes) {
        completed += o.status == "completed";
        failed += o.status != "completed";
        joined += o.joined;
        cost += o.cost;
        tokens += o.tokens;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char counts[256];
    std::snprintf(counts, sizeof counts,
                  "%zu completed, %zu failed, %zu skipped; %lld tokens, "
                  "$%.4f, %.1f s",
                  completed, failed, skipped, static_cast<long long>(tokens), cost, seconds);
    say(counts);
    if (joined > 0) {
        say(std::to_string(joined) + (joined == 1 ? " row" : " rows") +
            " joined the job made for the same row before (not run again)");
    }
    if (failed > 0) {
        say("Rows that did not complete:");
        for (const auto& o : outcomes) {
            if (o.status != "completed") {
                say("  " + row_label(source, o.line) + ": " + o.keyword + ": " + o.status +
                    (o.error.empty() ? "" : ": " + o.error));
            }
        }
    }
    if (!options.results.empty()) {
        if (auto ok = write_results(options.results, outcomes); !ok) {
            return report_error(ok.error());
        }
        say("results: " + options.results);
    }
    return failed > 0 ? core::to_int(core::ExitCode::batch_partial) : 0;
}

namespace {

struct ReportOptions {
    std::string batch;
    std::string output;
    int limit = 20;
    bool json = false;
};

core::Expected<std::unique_ptr<adapters::SqliteStore>> open_store(Context& ctx) {
    return adapters::SqliteStore::open(ctx.paths().database_file());
}

core::Error no_batch(const std::string& id) {
    return core::Error{core::ErrorKind::not_found, "batch.not_found",
                       "no batch " + id + " in the job database (see `sota batch list`)"};
}

json counts_json(const std::map<std::string, std::int64_t>& counts) {
    json out = json::object();
    for (const auto& [state, n] : counts) {
        out[state] = n;
    }
    return out;
}

std::string counts_text(const std::map<std::string, std::int64_t>& counts) {
    std::string text;
    for (const char* state :
         {"completed", "failed", "cancelled", "interrupted", "running", "validating", "queued"}) {
        const auto it = counts.find(state);
        if (it != counts.end() && it->second > 0) {
            text += (text.empty() ? "" : ", ") + std::to_string(it->second) + " " + state;
        }
    }
    return text;
}

int run_list(const ReportOptions& o, Context& ctx) {
    auto store = open_store(ctx);
    if (!store) {
        return report_error(store.error());
    }
    const auto batches = (*store)->list_batches(o.limit);
    if (o.json) {
        json out = json::array();
        for (const auto& b : batches) {
            out.push_back(
                {{"batch_id", b.id}, {"total", b.total}, {"counts", counts_json(b.counts)}});
        }
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    if (batches.empty()) {
        std::fprintf(stderr, "no batches yet (sota batch FILE starts one)\n");
        return 0;
    }
    std::vector<std::vector<std::string>> rows = {{"BATCH", "JOBS", "STATES"}};
    for (const auto& b : batches) {
        rows.push_back({b.id, std::to_string(b.total), counts_text(b.counts)});
    }
    print_table(rows);
    return 0;
}

int run_status(const ReportOptions& o, Context& ctx) {
    auto store = open_store(ctx);
    if (!store) {
        return report_error(store.error());
    }
    const auto jobs = (*store)->batch_jobs(o.batch);
    if (jobs.empty()) {
        return report_error(no_batch(o.batch));
    }
    std::map<std::string, std::int64_t> counts;
    std::vector<Outcome> unfinished;
    std::size_t position = 0;
    for (const auto& job : jobs) {
        ++position;
        ++counts[core::pipeline::to_string(job.state)];
        if (job.state != core::pipeline::JobState::completed) {
            unfinished.push_back(outcome_of(job, position));
        }
    }
    const bool done = std::all_of(jobs.begin(), jobs.end(),
                                  [](const auto& j) { return core::pipeline::ended(j.state); });
    if (o.json) {
        json failed = json::array();
        for (const auto& u : unfinished) {
            failed.push_back({{"job_id", u.job_id},
                              {"keyword", u.keyword},
                              {"status", u.status},
                              {"error", u.error}});
        }
        std::printf("%s\n", json{{"batch_id", o.batch},
                                 {"total", jobs.size()},
                                 {"ended", done},
                                 {"counts", counts_json(counts)},
                                 {"not_completed", failed}}
                                .dump(2)
                                .c_str());
        return 0;
    }
    std::printf("%s: %zu jobs: %s%s\n", o.batch.c_str(), jobs.size(), counts_text(counts).c_str(),
                done ? "" : " (not finished)");
    for (const auto& u : unfinished) {
        std::printf("  %s  %s  %s%s\n", u.job_id.c_str(), u.status.c_str(), u.keyword.c_str(),
                    u.error.empty() ? "" : (": " + u.error).c_str());
    }
    return 0;
}

int run_results(const ReportOptions& o, Context& ctx) {
    auto store = open_store(ctx);
    if (!store) {
        return report_error(store.error());
    }
    const auto jobs = (*store)->batch_jobs(o.batch);
    if (jobs.empty()) {
        return report_error(no_batch(o.batch));
    }
    std::vector<Outcome> outcomes;
    for (const auto& job : jobs) {
        outcomes.push_back(outcome_of(job, 0));
    }
    if (auto ok = write_results(o.output, outcomes); !ok) {
        return report_error(ok.error());
    }
    const auto ended = std::count_if(jobs.begin(), jobs.end(),
                                     [](const auto& j) { return core::pipeline::ended(j.state); });
    std::fprintf(stderr, "results of %zu jobs (%zu ended) written to %s\n", jobs.size(),
                 static_cast<std::size_t>(ended), o.output.c_str());
    return 0;
}

}  // namespace

void setup_batch_report(CLI::App* batch, CommandTable& table) {
    auto o = std::make_shared<ReportOptions>();
    auto* list = batch->add_subcommand("list", "Batches in the job database, newest first");
    list->add_option("--limit", o->limit, "At most this many (1-500)")->check(CLI::Range(1, 500));
    list->add_flag("--json", o->json, "Print JSON");
    table.add(list, [o](Context* ctx) { return run_list(*o, *ctx); });

    auto* status = batch->add_subcommand("status",
                                         "A batch's jobs counted by state, and its "
                                         "jobs that did not complete");
    status->add_option("batch", o->batch, "The batch id")->required();
    status->add_flag("--json", o->json, "Print JSON");
    table.add(status, [o](Context* ctx) { return run_status(*o, *ctx); });

    auto* results = batch->add_subcommand("results", "Write a batch's results file");
    results->add_option("batch", o->batch, "The batch id")->required();
    results->add_option("-o,--output", o->output, "The file: .csv, or .json")->required();
    table.add(results, [o](Context* ctx) { return run_results(*o, *ctx); });
}

}  // namespace sota::cli
