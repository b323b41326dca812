#pragma once

#include <string>

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
};

/// Adds `batch`.
void setup_batch(CLI::App& parent, CommandTable& table);

/// Validates every row first; then runs the jobs inline (a bounded pool) or hands them to
/// sotad. Exit 0 all completed, 2 invalid rows (nothing run), 4 some rows failed.
int run_batch(const BatchOptions& options, Context& ctx);

}  // namespace sota::cli
