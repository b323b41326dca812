#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota batch`.
struct BatchOptions {
    std::string file;  ///< CSV or JSON lines; "-" is stdin
    bool dry_run = false;
    bool json = false;
    bool skip_invalid = false;
    bool daemon = false;
    bool wait = false;
    int parallel = 2;
    std::string results;  ///< results file: .csv or .json
    std::string workflow;
    std::string model;
    std::string queue = "standard";
    std::string resume;  ///< a batch id: continue its unfinished jobs
};

/// A checked job from a batch source, ready to run or submit.
struct PlannedJob {
    std::size_t line = 0;       ///< where it came from (a file line, or a 1-based position)
    nlohmann::json job;         ///< a create-job body with its idempotency_key
    std::string existing_id{};  ///< a stored job to continue instead (batch --resume)
};

/// Runs checked jobs inline (a bounded pool) or through sotad (options.daemon), then
/// summarizes them; exit 0 all completed, 4 some failed, 3 sotad unreachable.
int run_planned(const BatchOptions& options, Context& ctx, const std::vector<PlannedJob>& jobs,
                std::size_t skipped);

/// Adds the flags that say how many jobs run: --dry-run, --daemon, --wait, --parallel,
/// --results, --workflow and --model (`sota batch` and `sota refresh` share them).
void add_pool_flags(CLI::App* command, BatchOptions& options);

/// Adds `batch`.
void setup_batch(CLI::App& parent, CommandTable& table);

/// Validates every row first; then runs the jobs inline (a bounded pool) or hands them to
/// sotad. Exit 0 all completed, 2 invalid rows (nothing run), 4 some rows failed.
int run_batch(const BatchOptions& options, Context& ctx);

}  // namespace sota::cli
