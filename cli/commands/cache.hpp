#pragma once

#include <string>
#include <vector>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota cache stats|prune|clear`.
struct CacheOptions {
    bool json = false;
    std::string kind;
};

/// The kinds of cache entry: one per `cache.ttl.KIND` config key (serp, keywords, ...).
std::vector<std::string> known_cache_kinds();

/// Adds `cache` and its subcommands.
void setup_cache(CLI::App& parent, CommandTable& table);

/// Entries, expired entries, size and hit ratio per artifact kind.
int run_cache_stats(const CacheOptions& options, Context& ctx);
/// Removes expired entries.
int run_cache_prune(const CacheOptions& options, Context& ctx);
/// Removes every entry, or those of one kind.
int run_cache_clear(const CacheOptions& options, Context& ctx);

}  // namespace sota::cli
