#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command_table.hpp"
#include "core/expected.hpp"
#include "core/pipeline/job_store.hpp"

namespace sota::cli {

struct BatchOptions;

/// What happened to one row of a batch, for the summary and the results file.
struct Outcome {
    std::size_t line = 0;  ///< where the row was in its file (0 when not known)
    std::string keyword;
    std::string job_id;
    std::string status;
    int score = 0;
    double cost = 0;
    std::int64_t tokens = 0;
    std::string directory;
    std::string error;
    bool joined = false;  ///< the row joined a job made by an earlier run of the same row
};

/// A stored job's outcome.
Outcome outcome_of(const core::pipeline::JobRecord& job, std::size_t line);
/// The outcome in a job view from sotad (GET /v1/jobs/{id}).
Outcome outcome_of_view(const nlohmann::json& view, std::size_t line);

/// "k.csv:4" for a row of a file, "row 4" for a row without one.
std::string row_label(const std::string& source, std::size_t line);

/// Writes a results file: a JSON array if `path` ends in .json, else CSV (one line per row:
/// line, keyword, job_id, status, score, cost_usd, tokens, directory, error). Written whole
/// or not at all.
core::Status write_results(const std::string& path, const std::vector<Outcome>& outcomes);

/// Prints the closing summary to stderr (counts, tokens, cost, time, then each row that did
/// not complete with its line, keyword and error), writes options.results if set, and returns
/// the exit code: 0 all completed, 4 some did not.
int summarize(const BatchOptions& options, const std::string& source,
              const std::vector<Outcome>& outcomes, std::size_t skipped,
              std::chrono::steady_clock::time_point start);

/// Adds `batch list`, `batch status BATCH` and `batch results BATCH -o FILE` under `batch`:
/// they read the job database, so inline batches and sotad's show alike.
void setup_batch_report(CLI::App* batch, CommandTable& table);

}  // namespace sota::cli
