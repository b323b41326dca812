#include "cli/commands/cache.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "adapters/sqlite_store.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/config_schema.hpp"
#include "core/suggest.hpp"

namespace sota::cli {
namespace {

core::Expected<std::unique_ptr<adapters::SqliteStore>> open_store(Context& ctx) {
    return adapters::SqliteStore::open(ctx.paths().database_file());
}

/// The kinds of entry the cache may hold: the known ones, and any the store has.
std::vector<std::string> cache_kinds(adapters::SqliteStore& store) {
    std::vector<std::string> kinds = known_cache_kinds();
    for (const auto& row : store.cache_stats(std::chrono::system_clock::now())) {
        if (std::find(kinds.begin(), kinds.end(), row.kind) == kinds.end()) {
            kinds.push_back(row.kind);
        }
    }
    return kinds;
}

std::string percent(double ratio) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.0f%%", ratio * 100);
    return buf;
}

}  // namespace

std::vector<std::string> known_cache_kinds() {
    std::vector<std::string> kinds;
    constexpr std::string_view prefix = "cache.ttl.";
    for (const auto& name : core::config_key_names()) {
        if (name.rfind(prefix, 0) == 0) {
            kinds.push_back(name.substr(prefix.size()));
        }
    }
    return kinds;
}

void setup_cache(CLI::App& parent, CommandTable& table) {
    auto* cache = parent.add_subcommand("cache", "Inspect and empty the response cache");
    cache->require_subcommand(1);
    auto options = std::make_shared<CacheOptions>();
    auto* stats = cache->add_subcommand("stats", "Entries, size and hit ratio per kind");
    stats->add_flag("--json", options->json, "Print one JSON document");
    table.add(stats, [options](Context* ctx) { return run_cache_stats(*options, *ctx); });
    auto* prune = cache->add_subcommand("prune", "Remove expired entries");
    table.add(prune, [options](Context* ctx) { return run_cache_prune(*options, *ctx); });
    auto* clear = cache->add_subcommand("clear", "Remove every entry, or those of one kind");
    clear->add_option("--kind", options->kind, "Only this kind: serp, keywords, gaps, references");
    table.add(clear, [options](Context* ctx) { return run_cache_clear(*options, *ctx); });
}

int run_cache_stats(const CacheOptions& options, Context& ctx) {
    auto store = open_store(ctx);
    if (!store) {
        return report_error(store.error());
    }
    const auto rows = (*store)->cache_stats(std::chrono::system_clock::now());
    auto counts = (*store)->cache_counts();
    std::map<std::string,
             std::pair<core::resilience::CacheStoreStats, core::resilience::CacheKindStats>>
        merged;
    for (const auto& r : rows) {
        merged[r.kind].first = r;
    }
    for (const auto& [kind, c] : counts) {
        merged[kind].first.kind = kind;
        merged[kind].second = c;
    }
    if (options.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& [kind, pair] : merged) {
            const auto& [s, c] = pair;
            out.push_back({{"kind", kind},
                           {"entries", s.entries},
                           {"expired", s.expired},
                           {"bytes", s.bytes},
                           {"hits", c.l1_hits + c.l2_hits + c.coalesced},
                           {"misses", c.misses},
                           {"stale_served", c.stale_served},
                           {"hit_ratio", c.hit_ratio()}});
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    if (merged.empty()) {
        std::cout << "the cache is empty (" << ctx.paths().database_file().string() << ")\n";
        return 0;
    }
    std::vector<std::vector<std::string>> table{
        {"KIND", "ENTRIES", "EXPIRED", "BYTES", "HITS", "MISSES", "HIT RATIO"}};
    for (const auto& [kind, pair] : merged) {
        const auto& [s, c] = pair;
        table.push_back({kind, std::to_string(s.entries), std::to_string(s.expired),
                         std::to_string(s.bytes),
                         std::to_string(c.l1_hits + c.l2_hits + c.coalesced),
                         std::to_string(c.misses), percent(c.hit_ratio())});
    }
    print_table(table);
    return 0;
}

int run_cache_prune(const CacheOptions&, Context& ctx) {
    auto store = open_store(ctx);
    if (!store) {
        return report_error(store.error());
    }
    std::cout << "removed " << (*store)->cache_prune(std::chrono::system_clock::now())
              << " expired entries\n";
    return 0;
}

int run_cache_clear(const CacheOptions& options, Context& ctx) {
    auto store = open_store(ctx);
    if (!store) {
        return report_error(store.error());
    }
    const auto kind =
        options.kind.empty() ? std::nullopt : std::optional<std::string>(options.kind);
    if (kind) {
        const auto kinds = cache_kinds(**store);
        if (std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) {
            std::string message = "--kind: no cache kind '" + *kind + "'";
            if (const auto near = core::closest_match(*kind, kinds)) {
                message += "; did you mean '" + *near + "'?";
            }
            std::string all;
            for (const auto& k : kinds) {
                all += (all.empty() ? "" : ", ") + k;
            }
            message += " (kinds: " + all + ")";
            return report_error(core::Error{core::ErrorKind::usage, "cache.kind", message});
        }
    }
    std::cout << "removed " << (*store)->cache_clear(kind) << " entries"
              << (kind ? " of kind " + *kind : "") << "\n";
    return 0;
}

}  // namespace sota::cli
