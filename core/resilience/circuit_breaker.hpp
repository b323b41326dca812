#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace sota::core::resilience {

enum class BreakerState { closed, open, half_open };

/// "closed", "open", "half_open".
const char* to_string(BreakerState state);
std::optional<BreakerState> breaker_state_from_name(std::string_view name);

/// When a breaker opens and how it recovers.
struct BreakerPolicy {
    int failures = 3;  ///< failures within `window` that open the breaker
    Millis window{120'000};
    Millis open_for{30'000};  ///< then half-open
    int trial_calls = 1;      ///< calls let through while half-open
    /// With a rate above 0, `failures` failures open the breaker only when they are at least
    /// this share of the calls within `window` (the last 256 at most): a provider that fails
    /// one call in three is slow going, not down.
    double failure_rate = 0;
    /// This many failures in a row open the breaker whatever the rate (0: off): a provider that
    /// stopped answering is noticed before a window full of earlier successes is outvoted.
    int consecutive = 0;
};

/// A breaker's state as it is shown and persisted. Times are wall-clock so they survive restarts.
struct BreakerSnapshot {
    std::string name;
    BreakerState state = BreakerState::closed;
    int recent_failures = 0;
    std::int64_t total_failures = 0;
    std::int64_t total_successes = 0;
    std::int64_t rejected = 0;
    std::optional<WallTime> opened_at;
    std::optional<WallTime> retry_at;  ///< when an open breaker lets a trial call through
};

/// Closed -> open after `failures` failures within `window` (that are at least `failure_rate`
/// of its calls, when set), or after `consecutive` failures in a row; open rejects calls until
/// `open_for` has passed, then half-open lets `trial_calls` through: a success closes it, a
/// failure opens it again. Thread-safe.
class CircuitBreaker {
  public:
    CircuitBreaker(std::string name, BreakerPolicy policy, const Clock& clock)
        : m_name(std::move(name)), m_policy(policy), m_clock(clock) {}

    /// Asks to make a call. nullopt: go ahead (and report the outcome); otherwise the breaker is
    /// open and this is how long until it lets a trial call through.
    std::optional<Millis> acquire();

    /// Reports the outcome of a permitted call.
    void on_success();
    void on_failure();
    /// Releases a permitted call whose outcome says nothing about the service (cancelled).
    void on_neutral();

    BreakerSnapshot snapshot() const;
    /// Restores persisted state (an open breaker stays open across a restart).
    void restore(const BreakerSnapshot& snapshot);
    /// Closes the breaker and forgets its recent failures.
    void reset();

    const std::string& name() const { return m_name; }
    /// The state as acquire() would see it now (an open breaker whose time is up is half-open).
    BreakerState state() const;

  private:
    void open_locked();
    void prune_locked(SteadyTime now);
    void record_locked(SteadyTime now, bool failed);
    bool should_open_locked() const;

    std::string m_name;
    BreakerPolicy m_policy;
    const Clock& m_clock;
    mutable std::mutex m_mutex;
    BreakerState m_state = BreakerState::closed;
    std::deque<SteadyTime> m_failures;
    std::deque<std::pair<SteadyTime, bool>> m_outcomes;  // (when, failed), for failure_rate
    int m_in_a_row = 0;                                  // failures since the last success
    SteadyTime m_open_until{};
    WallTime m_opened_wall{};
    int m_trials_in_flight = 0;
    std::int64_t m_total_failures = 0;
    std::int64_t m_total_successes = 0;
    std::int64_t m_rejected = 0;
};

/// Persists breaker snapshots (the job store implements it).
class BreakerStore {
  public:
    virtual ~BreakerStore() = default;
    virtual std::vector<BreakerSnapshot> load_breakers() = 0;
    virtual void save_breaker(const BreakerSnapshot& snapshot) = 0;
    virtual void delete_breaker(const std::string& name) = 0;
};

/// Every breaker in the process, by name ("service:openai", "key:openai:3f2a9c1e"), shared by
/// all jobs; state changes are written to the store so a restart keeps an open breaker open.
/// Thread-safe.
class BreakerRegistry {
  public:
    BreakerRegistry(const Clock& clock, BreakerStore* store) : m_clock(clock), m_store(store) {}

    /// The breaker for `name`, created with `policy` (and restored from the store) on first use.
    CircuitBreaker& get(const std::string& name, const BreakerPolicy& policy);

    /// Saves a breaker's current state to the store.
    void persist(const CircuitBreaker& breaker);

    std::vector<BreakerSnapshot> snapshots() const;

    /// Closes a breaker (or every breaker whose name starts with `name` + ":"); false if none.
    bool reset(const std::string& name);

  private:
    const Clock& m_clock;
    BreakerStore* m_store;
    mutable std::mutex m_mutex;
    std::map<std::string, std::unique_ptr<CircuitBreaker>> m_breakers;
    std::map<std::string, BreakerSnapshot> m_persisted;  // loaded, not yet instantiated
    bool m_loaded = false;
};

}  // namespace sota::core::resilience
