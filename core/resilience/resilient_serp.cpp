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
    {
        std::lock_guard lock(m_mutex);
        if (const auto flight = m_flights.find(key); flight != m_flights.end()) {
            flight->second.push_back(
                {query, std::move(done), std::move(cancel), budget, std::move(hooks)});
            return;
        }
        m_flights[key];  // this call leads; identical queries wait for it
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
                finish(key, std::move(r), done);
                return;
            }
            if (m_cache && r.error().kind != ErrorKind::cancelled) {
                if (const auto stale = m_cache->get_stale("serp", key, m_stale_max_age)) {
                    auto parsed = parse_serper_result(stale->value);
                    if (parsed) {
                        parsed->from_cache = true;
                        parsed->stale = true;
                        parsed->cached_at = iso8601_utc(stale->stored_at);
                        finish(key, std::move(parsed), done);
                        return;
                    }
                }
            }
            finish(key, std::move(r), done);
        });
}

void ResilientSerp::finish(const std::string& key, Expected<SerpResult> result,
                           const std::function<void(Expected<SerpResult>)>& done) {
    std::vector<Waiter> waiters;
    {
        std::lock_guard lock(m_mutex);
        const auto flight = m_flights.find(key);
        if (flight != m_flights.end()) {
            waiters = std::move(flight->second);
            m_flights.erase(flight);
        }
    }
    const bool cancelled = !result && result.error().kind == ErrorKind::cancelled;
    for (auto& w : waiters) {
        if (cancelled) {
            search(w.query, std::move(w.done), std::move(w.cancel), w.budget, std::move(w.hooks));
            continue;
        }
        if (result) {
            SerpResult shared = *result;
            shared.from_cache = true;  // no call of its own
            w.done(std::move(shared));
        } else {
            w.done(fail(result.error()));
        }
    }
    done(std::move(result));
}

Expected<SerpResult> ResilientSerp::search_sync(const SerpQuery& query, CancelToken cancel,
                                                RetryBudget* budget) {
    return await<Expected<SerpResult>>(
        [&](auto done) { search(query, std::move(done), std::move(cancel), budget); });
}

}  // namespace sota::core::resilience
