#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"

namespace sota::core::resilience {

/// A rate in units per minute (requests or tokens); 0 means unlimited.
struct RateLimit {
    double per_minute = 0;
    double burst = 0;  ///< bucket size; 0 = one minute's worth
};

/// A token bucket metered continuously (GCRA-like): reserve() takes what a call needs and says
/// how long to wait for it, so waiting callers are served in order. A limit the provider
/// announces (`x-ratelimit-limit-*`) is adopted when none is configured or it is lower; the
/// provider's remaining/reset headers can only lower what is left. Thread-safe.
class TokenBucket {
  public:
    TokenBucket(RateLimit limit, const Clock& clock);

    /// Reserves `amount` units; returns how long the caller must wait before using them.
    Millis reserve(double amount = 1);

    /// Applies a provider's view: `remaining` units left (never raises ours; with nothing left,
    /// the bucket refills from nothing at its rate). `reset_in`, when the provider's bucket is
    /// full again, is not when the next call fits, so it does not hold callers. A bucket with no
    /// rate ignores both.
    void observe(std::optional<double> remaining, std::optional<Millis> reset_in);

    /// Grants nothing for a while (a 429's retry-after: every caller of the key and model
    /// waits). A bucket with no rate ignores it: each call then waits out its own 429.
    void pause(Millis for_how_long);

    /// Adopts the provider's limit per minute when none is set or it is lower than ours: the
    /// bucket holds a minute's worth, as the provider's does, and refills at k_learned_share of
    /// the limit, which leaves room for estimates a little short of the provider's count. A
    /// bucket that had no limit starts full less what was reserved in the last minute (the
    /// provider counted those); observe() then lowers it to what the provider says is left.
    void learn(double per_minute);
    static constexpr double k_learned_share = 0.97;

    /// Corrects a reservation once the real use is known: `delta` more units (or fewer, when
    /// negative) than were reserved. Never fills past the bucket's size.
    void adjust(double delta);

    bool unlimited() const;
    double per_minute() const;

  private:
    void refill_locked(SteadyTime now);

    RateLimit m_limit;
    const Clock& m_clock;
    mutable std::mutex m_mutex;
    double m_tokens;
    SteadyTime m_last;
    SteadyTime m_blocked_until{};
    // While no rate is known: what was sent in the current minute, so that a limit learned
    // later starts from what the provider has already counted.
    double m_unmetered = 0;
    SteadyTime m_unmetered_since{};
};

/// Every bucket in the process by name ("openai:requests", "openai:3f2a9c1e:tokens").
/// Thread-safe.
class RateLimiters {
  public:
    explicit RateLimiters(const Clock& clock) : m_clock(clock) {}
    TokenBucket& get(const std::string& name, RateLimit limit);

  private:
    const Clock& m_clock;
    std::mutex m_mutex;
    std::map<std::string, std::unique_ptr<TokenBucket>> m_buckets;
};

}  // namespace sota::core::resilience
