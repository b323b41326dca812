#include "core/resilience/cache.hpp"

#include "core/sha256.hpp"

namespace sota::core::resilience {

double CacheKindStats::hit_ratio() const {
    const double total = static_cast<double>(l1_hits + l2_hits + misses + coalesced);
    return total == 0 ? 0 : static_cast<double>(l1_hits + l2_hits + coalesced) / total;
}

std::string cache_key(const std::vector<std::string>& parts) {
    std::string joined;
    for (const auto& p : parts) {
        joined += std::to_string(p.size());
        joined += ':';
        joined += p;  // length-prefixed, so ("ab","c") and ("a","bc") differ
    }
    return sha256_hex(joined);
}

TieredCache::TieredCache(const Clock& clock, CacheStore* l2, std::size_t l1_capacity, Millis l1_ttl)
    : m_clock(clock), m_l2(l2), m_capacity(l1_capacity), m_l1_ttl(l1_ttl) {}

std::optional<std::string> TieredCache::l1_get_locked(const std::string& id) {
    const auto it = m_l1.find(id);
    if (it == m_l1.end()) {
        return std::nullopt;
    }
    if (m_clock.now() >= it->second.expires) {
        m_lru.erase(it->second.lru);
        m_l1.erase(it);
        return std::nullopt;
    }
    m_lru.splice(m_lru.begin(), m_lru, it->second.lru);
    return it->second.value;
}

void TieredCache::l1_put_locked(const std::string& kind, const std::string& id,
                                const std::string& value, Millis ttl) {
    const auto expires = m_clock.now() + std::min(ttl, m_l1_ttl);
    if (const auto it = m_l1.find(id); it != m_l1.end()) {
        it->second.value = value;
        it->second.expires = expires;
        m_lru.splice(m_lru.begin(), m_lru, it->second.lru);
        return;
    }
    m_lru.push_front(id);
    m_l1.emplace(id, L1Entry{kind, value, expires, m_lru.begin()});
    while (m_l1.size() > m_capacity) {
        m_l1.erase(m_lru.back());
        m_lru.pop_back();
    }
}

std::optional<std::string> TieredCache::get(const std::string& kind, const std::string& key) {
    const std::string id = kind + "/" + key;
    {
        std::lock_guard lock(m_mutex);
        if (auto v = l1_get_locked(id)) {
            ++m_stats[kind].l1_hits;
            return v;
        }
    }
    if (m_l2) {
        if (auto e = m_l2->cache_get(kind, key); e && e->expires_at > m_clock.wall()) {
            std::lock_guard lock(m_mutex);
            ++m_stats[kind].l2_hits;
            l1_put_locked(kind, id, e->value,
                          std::chrono::duration_cast<Millis>(e->expires_at - m_clock.wall()));
            return e->value;
        }
    }
    std::lock_guard lock(m_mutex);
    ++m_stats[kind].misses;
    return std::nullopt;
}

void TieredCache::put(const std::string& kind, const std::string& key, const std::string& value,
                      Millis ttl) {
    {
        std::lock_guard lock(m_mutex);
        l1_put_locked(kind, kind + "/" + key, value, ttl);
    }
    if (m_l2) {
        const auto now = m_clock.wall();
        m_l2->cache_put(kind, key, CacheEntry{value, now, now + ttl});
    }
}

std::optional<CacheEntry> TieredCache::get_stale(const std::string& kind, const std::string& key,
                                                 Millis max_age) {
    if (!m_l2) {
        return std::nullopt;
    }
    auto e = m_l2->cache_get(kind, key);
    if (!e || m_clock.wall() - e->stored_at > max_age) {
        return std::nullopt;
    }
    std::lock_guard lock(m_mutex);
    ++m_stats[kind].stale_served;
    return e;
}

Expected<std::string> TieredCache::get_or_compute(
    const std::string& kind, const std::string& key, Millis ttl,
    const std::function<Expected<std::string>()>& compute) {
    if (auto hit = get(kind, key)) {
        return *hit;
    }
    const std::string id = kind + "/" + key;
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
        std::lock_guard lock(m_mutex);
        auto& slot = m_flights[id];
        if (!slot) {
            slot = std::make_shared<Flight>();
            leader = true;
        } else {
            ++m_stats[kind].coalesced;
            // The miss was counted by get(); this caller is served by the flight instead.
            --m_stats[kind].misses;
        }
        flight = slot;
    }
    if (!leader) {
        flight->done.wait();
        return *flight->result;
    }
    auto result = compute();
    if (result) {
        put(kind, key, *result, ttl);
    }
    flight->result = result;
    flight->done.notify();
    std::lock_guard lock(m_mutex);
    m_flights.erase(id);
    return result;
}

std::map<std::string, CacheKindStats> TieredCache::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

void TieredCache::clear_l1(const std::optional<std::string>& kind) {
    std::lock_guard lock(m_mutex);
    for (auto it = m_l1.begin(); it != m_l1.end();) {
        if (!kind || it->second.kind == *kind) {
            m_lru.erase(it->second.lru);
            it = m_l1.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace sota::core::resilience
