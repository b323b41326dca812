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

bool TokenBucket::unlimited() const {
    std::lock_guard lock(m_mutex);
    return m_limit.per_minute <= 0;
}

double TokenBucket::per_minute() const {
    std::lock_guard lock(m_mutex);
    return m_limit.per_minute;
}

Millis TokenBucket::reserve(double amount) {
    std::lock_guard lock(m_mutex);
    const auto now = m_clock.now();
    if (m_limit.per_minute <= 0) {
        if (now - m_unmetered_since > std::chrono::minutes(1)) {
            m_unmetered = 0;
            m_unmetered_since = now;
        }
        m_unmetered += amount;
        return Millis(0);
    }
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
    if (m_limit.per_minute > 0) {
        refill_locked(now);
        if (remaining && *remaining < m_tokens) {
            m_tokens = *remaining;
        }
    }
    // The reset headers say when the provider's bucket is full again, not when the next call
    // fits: refilling at the known rate says that.
    (void)reset_in;
}

void TokenBucket::pause(Millis for_how_long) {
    std::lock_guard lock(m_mutex);
    m_blocked_until = std::max(m_blocked_until, m_clock.now() + for_how_long);
}

void TokenBucket::learn(double per_minute) {
    std::lock_guard lock(m_mutex);
    const double rate = per_minute * k_learned_share;
    if (per_minute <= 0 || (m_limit.per_minute > 0 && rate >= m_limit.per_minute)) {
        return;
    }
    const auto now = m_clock.now();
    if (m_limit.per_minute <= 0) {
        m_last = now;
        m_limit.burst = per_minute;
        m_tokens = per_minute;
        if (now - m_unmetered_since <= std::chrono::minutes(1)) {
            const double elapsed_ms =
                std::chrono::duration<double, std::milli>(now - m_unmetered_since).count();
            m_tokens =
                std::min(per_minute, per_minute - m_unmetered + elapsed_ms * rate / 60'000.0);
        }
    } else {
        refill_locked(now);
        m_limit.burst = std::min(m_limit.burst, per_minute);
        m_tokens = std::min(m_tokens, m_limit.burst);
    }
    m_limit.per_minute = rate;
}

void TokenBucket::adjust(double delta) {
    std::lock_guard lock(m_mutex);
    if (m_limit.per_minute <= 0) {
        return;
    }
    refill_locked(m_clock.now());
    m_tokens = std::min(m_limit.burst, m_tokens - delta);
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
