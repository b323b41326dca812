#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "core/fiber.hpp"

namespace sota::core::resilience {

/// A cached value with its times (wall clock, so entries survive restarts in the store).
struct CacheEntry {
    std::string value;
    WallTime stored_at;
    WallTime expires_at;
};

/// Counts per artifact kind.
struct CacheKindStats {
    std::uint64_t l1_hits = 0;
    std::uint64_t l2_hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t coalesced = 0;  ///< callers that waited for an identical call in flight
    std::uint64_t stale_served = 0;

    double hit_ratio() const;
};

/// What the store holds of one kind.
struct CacheStoreStats {
    std::string kind;
    std::int64_t entries = 0;
    std::int64_t expired = 0;
    std::int64_t bytes = 0;
};

/// The second cache level (the job store implements it). Keys are unique within a kind.
class CacheStore {
  public:
    virtual ~CacheStore() = default;
    virtual std::optional<CacheEntry> cache_get(const std::string& kind,
                                                const std::string& key) = 0;
    virtual void cache_put(const std::string& kind, const std::string& key,
                           const CacheEntry& entry) = 0;
    /// Removes expired entries; returns how many.
    virtual std::int64_t cache_prune(WallTime now) = 0;
    /// Removes every entry (of one kind if given); returns how many.
    virtual std::int64_t cache_clear(const std::optional<std::string>& kind) = 0;
    virtual std::vector<CacheStoreStats> cache_stats(WallTime now) = 0;
};

/// Stable key for cached work: SHA-256 over the parts (normalized inputs, model, prompt version).
std::string cache_key(const std::vector<std::string>& parts);

/// L1 in-process LRU with a TTL, over L2 in the store; identical concurrent computations are
/// coalesced into one. Thread-safe.
class TieredCache {
  public:
    TieredCache(const Clock& clock, CacheStore* l2, std::size_t l1_capacity = 4096,
                Millis l1_ttl = Millis(300'000));

    /// A fresh value from L1, else L2 (promoted to L1).
    std::optional<std::string> get(const std::string& kind, const std::string& key);

    /// Stores a value in both levels for `ttl`.
    void put(const std::string& kind, const std::string& key, const std::string& value, Millis ttl);

    /// A value from L2 even if expired, if it was stored no longer than `max_age` ago (for the
    /// stale-SERP fallback). Counts as stale_served.
    std::optional<CacheEntry> get_stale(const std::string& kind, const std::string& key,
                                        Millis max_age);

    /// The cached value, or the result of `compute` (stored for `ttl` on success). While one
    /// caller computes a key, others asking for it wait and share the result.
    Expected<std::string> get_or_compute(const std::string& kind, const std::string& key,
                                         Millis ttl,
                                         const std::function<Expected<std::string>()>& compute);

    std::map<std::string, CacheKindStats> stats() const;

    /// Drops L1 entries (of one kind if given).
    void clear_l1(const std::optional<std::string>& kind);

  private:
    struct L1Entry {
        std::string kind;
        std::string value;
        SteadyTime expires;
        std::list<std::string>::iterator lru;
    };
    struct Flight {
        Signal done;  // result is set
        std::optional<Expected<std::string>> result;
    };
    std::optional<std::string> l1_get_locked(const std::string& id);
    void l1_put_locked(const std::string& kind, const std::string& id, const std::string& value,
                       Millis ttl);

    const Clock& m_clock;
    CacheStore* m_l2;
    std::size_t m_capacity;
    Millis m_l1_ttl;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, L1Entry> m_l1;
    std::list<std::string> m_lru;  // most recent first
    std::map<std::string, std::shared_ptr<Flight>> m_flights;
    std::map<std::string, CacheKindStats> m_stats;
};

}  // namespace sota::core::resilience
