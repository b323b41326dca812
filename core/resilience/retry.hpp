#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace sota::core::resilience {

/// How delays are randomised (AWS "Exponential Backoff and Jitter" names).
enum class Jitter {
    proportional,  ///< delay ± jitter fraction (default ±20 %)
    full,          ///< uniform in [0, delay]
    decorrelated,  ///< min(cap, uniform(initial, 3 × previous))
    none,
};

/// Parses "proportional", "full", "decorrelated", "none".
std::optional<Jitter> jitter_from_name(std::string_view name);

/// When and how often to retry. Retry k (1-based) waits initial × multiplier^k before jitter,
/// capped at max_delay: with the defaults 2 s, 4 s, 8 s, 16 s, 32 s.
struct RetryPolicy {
    int max_retries = 5;
    Millis initial{1000};
    double multiplier = 2.0;
    Millis max_delay{60'000};
    double jitter_fraction = 0.2;
    Jitter jitter = Jitter::proportional;
    Millis max_server_delay{60'000};  ///< a longer delay asked by the server is cut to this
};

/// SplitMix64: a generator with one word of state, so seeding one per call costs nothing
/// (seeding a Mersenne Twister writes 312 words, and every provider call makes a Backoff).
class SplitMix64 {
  public:
    using result_type = std::uint64_t;
    explicit SplitMix64(std::uint64_t seed) : m_state(seed) {}
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return ~result_type{0}; }
    result_type operator()() {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

  private:
    std::uint64_t m_state;
};

/// Computes successive retry delays for one call. Not thread-safe (one per call).
class Backoff {
  public:
    Backoff(const RetryPolicy& policy, std::uint64_t seed) : m_policy(policy), m_rng(seed) {}

    /// The delay before retry number `retry` (1-based). A server-requested delay wins, cut to
    /// max_server_delay; otherwise the jittered exponential delay.
    Millis next(int retry, std::optional<Millis> server_delay);

    /// The un-jittered delay before retry `retry`.
    Millis base_delay(int retry) const;

  private:
    RetryPolicy m_policy;
    SplitMix64 m_rng;
    Millis m_previous{0};
};

/// True if the error may be retried at all: retryable, and not billing, credentials, usage,
/// or cancellation.
bool is_retryable(const Error& error);

/// Caps retries across all the calls of one job, so a failing provider cannot multiply load:
/// the budget starts at `initial` retries and earns `ratio` of a retry for every call made
/// (the SRE book's 10 %). Thread-safe.
class RetryBudget {
  public:
    explicit RetryBudget(double initial = 10, double ratio = 0.1)
        : m_milli(static_cast<std::int64_t>(initial * 1000)),
          m_ratio_milli(static_cast<std::int64_t>(ratio * 1000)) {}

    /// Records a first attempt.
    void on_call();
    /// Takes one retry from the budget; false when it is spent.
    bool try_spend();
    double remaining() const;

  private:
    mutable std::mutex m_mutex;
    std::int64_t m_milli;  // thousandths of a retry, so ten 10 % deposits make exactly one
    std::int64_t m_ratio_milli;
};

}  // namespace sota::core::resilience
