#include "core/resilience/resilient_serp.hpp"

#include <algorithm>
#include <cctype>

#include "core/fiber.hpp"
#include "core/text.hpp"

namespace sota::core::resilience {
std::string ResilientSerp::key_for(const SerpQuery& query) {
    std::string q = query.q;
    q.erase(0, q.find_first_not_of(" \t"));
    q.erase(q.find_last_not_of(" \t") + 1);
    std::transform(q.begin(), q.end(), q.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return cache_key({"serper/search", q, query.gl, query.hl, std::to_string(query.num),
                      std::to_string(query.page)});
}

void ResilientSerp::search(const SerpQuery& query, std::function<void(Expected<SerpResult>)> done,
                           CancelToken cancel, RetryBudget* budget, CallHooks hooks) {
    const std::string key = key_for(query);
    if (m_cache) {
        if (const auto hit = m_cache->get("serp", key)) {
            auto parsed = parse_serper_result(*hit);
            if (parsed) {
                parsed->from_cache = true;
                done(std::move(parsed));
                return;
            }
        }
    }
    CallOptions options;
    options.service = "serper";
    options.credential = m_credential;
    options.budget = budget;
    options.cancel = cancel;
    options.hooks = std::move(hooks);
    auto attempt = [this, query, cancel](std::function<void(Expected<SerpResult>)> cb) {
        m_client.search(query, std::move(cb), cancel);
    };
    m_resilience.call<SerpResult>(
        std::move(options), attempt, [this, key, done = std::move(done)](Expected<SerpResult> r) {
            if (r) {
                if (m_cache) {
                    m_cache->put("serp", key, r->raw, m_ttl);
                }
                done(std::move(r));
                return;
            }
            if (m_cache && r.error().kind != ErrorKind::cancelled) {
                if (const auto stale = m_cache->get_stale("serp", key, m_stale_max_age)) {
                    auto parsed = parse_serper_result(stale->value);
                    if (parsed) {
                        parsed->from_cache = true;
                        parsed->stale = true;
                        parsed->cached_at = iso8601_utc(stale->stored_at);
                        done(std::move(parsed));
                        return;
                    }
                }
            }
            done(std::move(r));
        });
}

Expected<SerpResult> ResilientSerp::search_sync(const SerpQuery& query, CancelToken cancel,
                                                RetryBudget* budget) {
    return await<Expected<SerpResult>>(
        [&](auto done) { search(query, std::move(done), std::move(cancel), budget); });
}

}  // namespace sota::core::resilience
