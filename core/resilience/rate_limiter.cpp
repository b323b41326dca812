#include "core/resilience/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace sota::core::resilience {

TokenBucket::TokenBucket(RateLimit limit, const Clock& clock)
    : m_limit(limit), m_clock(clock), m_last(clock.now()) {
    if (m_limit.burst <= 0) {
        m_limit.burst = m_limit.per_minute;
    }
    m_tokens = m_limit.burst;
}

void TokenBucket::refill_locked(SteadyTime now) {
    const double elapsed_ms = std::chrono::duration<double, std::milli>(now - m_last).count();
    m_last = now;
    m_tokens = std::min(m_limit.burst, m_tokens + elapsed_ms * m_limit.per_minute / 60'000.0);
}

Millis TokenBucket::reserve(double amount) {
    if (unlimited()) {
        return Millis(0);
    }
    std::lock_guard lock(m_mutex);
    const auto now = m_clock.now();
    refill_locked(now);
    m_tokens -= amount;
    double wait_ms = m_tokens >= 0 ? 0 : -m_tokens * 60'000.0 / m_limit.per_minute;
    if (m_blocked_until > now) {
        wait_ms = std::max(
            wait_ms, std::chrono::duration<double, std::milli>(m_blocked_until - now).count());
    }
    return Millis(static_cast<std::int64_t>(std::ceil(wait_ms)));
}

void TokenBucket::observe(std::optional<double> remaining, std::optional<Millis> reset_in) {
    std::lock_guard lock(m_mutex);
    const auto now = m_clock.now();
    if (!unlimited()) {
        refill_locked(now);
        if (remaining && *remaining < m_tokens) {
            m_tokens = *remaining;
        }
    }
    if (remaining && *remaining <= 0 && reset_in) {
        m_blocked_until = std::max(m_blocked_until, now + *reset_in);
    }
}

TokenBucket& RateLimiters::get(const std::string& name, RateLimit limit) {
    std::lock_guard lock(m_mutex);
    auto& slot = m_buckets[name];
    if (!slot) {
        slot = std::make_unique<TokenBucket>(limit, m_clock);
    }
    return *slot;
}

}  // namespace sota::core::resilience
