#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/command_table.hpp"
#include "cli/commands/batch.hpp"

namespace sota::cli {

/// Options of `sota refresh`.
struct RefreshOptions {
    BatchOptions run;        ///< how the chosen jobs run: inline or --daemon, --results, --parallel
    std::string older_than;  ///< "90d": modified more than this long ago
    std::string modified_before;          ///< 2026-08-01
    std::vector<std::string> categories;  ///< ids, slugs or names
    std::vector<std::string> tags;
    std::string search;
    std::string from;  ///< a pages file (CSV or URL list) or a sitemap URL instead of WordPress
    int limit = 100;
    std::string publish;
};

/// Adds `refresh`.
void setup_refresh(CLI::App& parent, CommandTable& table);

/// Chooses articles to refresh and queues a refresh job for each. Safe under cron: plain
/// output, a lock so an overlapping run skips (exit 0), non-zero exit on failure.
int run_refresh(const RefreshOptions& options, Context& ctx);

}  // namespace sota::cli
