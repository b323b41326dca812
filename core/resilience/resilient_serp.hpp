#pragma once

#include <map>
#include <mutex>
#include <vector>

#include "core/resilience/cache.hpp"
#include "core/resilience/resilience.hpp"
#include "core/serp.hpp"

namespace sota::core::resilience {

/// Serper through the resilient call path, cached (kind "serp"), and when Serper fails for good
/// the newest cached answer for the query up to `stale_max_age` old, marked stale. A query
/// asked while the same query (same cache key) is in flight waits for that call's answer
/// instead of paying for another (marked from_cache). Thread-safe.
class ResilientSerp {
  public:
    ResilientSerp(Resilience& resilience, SerpClient& client, TieredCache* cache,
                  std::string credential, Millis ttl = Millis(24LL * 3600 * 1000),
                  Millis stale_max_age = Millis(7LL * 24 * 3600 * 1000))
        : m_resilience(resilience),
          m_client(client),
          m_cache(cache),
          m_credential(std::move(credential)),
          m_ttl(ttl),
          m_stale_max_age(stale_max_age) {}

    void search(const SerpQuery& query, std::function<void(Expected<SerpResult>)> done,
                CancelToken cancel = {}, RetryBudget* budget = nullptr, CallHooks hooks = {});
    Expected<SerpResult> search_sync(const SerpQuery& query, CancelToken cancel = {},
                                     RetryBudget* budget = nullptr);

    /// The cache key of a query (normalized: trimmed, lower-case).
    static std::string key_for(const SerpQuery& query);

  private:
    /// A caller waiting for the answer to an identical query in flight.
    struct Waiter {
        SerpQuery query;
        std::function<void(Expected<SerpResult>)> done;
        CancelToken cancel;
        RetryBudget* budget;
        CallHooks hooks;
    };
    /// Gives the answer to the caller that asked and to those waiting on the same key. A
    /// cancelled call's waiters ask again themselves (their jobs were not cancelled).
    void finish(const std::string& key, Expected<SerpResult> result,
                const std::function<void(Expected<SerpResult>)>& done);

    Resilience& m_resilience;
    SerpClient& m_client;
    TieredCache* m_cache;
    std::string m_credential;
    Millis m_ttl;
    Millis m_stale_max_age;
    std::mutex m_mutex;
    std::map<std::string, std::vector<Waiter>> m_flights;  // by cache key
};

}  // namespace sota::core::resilience
