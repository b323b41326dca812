#include "core/resilience/circuit_breaker.hpp"

#include <algorithm>

namespace sota::core::resilience {

const char* to_string(BreakerState state) {
    switch (state) {
        case BreakerState::closed:
            return "closed";
        case BreakerState::open:
            return "open";
        case BreakerState::half_open:
            return "half_open";
    }
    return "closed";
}

std::optional<BreakerState> breaker_state_from_name(std::string_view name) {
    if (name == "closed") {
        return BreakerState::closed;
    }
    if (name == "open") {
        return BreakerState::open;
    }
    if (name == "half_open") {
        return BreakerState::half_open;
    }
    return std::nullopt;
}

void CircuitBreaker::prune_locked(SteadyTime now) {
    while (!m_failures.empty() && now - m_failures.front() > m_policy.window) {
        m_failures.pop_front();
    }
    constexpr std::size_t k_max_outcomes = 256;
    while (!m_outcomes.empty() && (m_outcomes.size() > k_max_outcomes ||
                                   now - m_outcomes.front().first > m_policy.window)) {
        m_outcomes.pop_front();
    }
}

void CircuitBreaker::record_locked(SteadyTime now, bool failed) {
    if (m_policy.failure_rate > 0) {
        m_outcomes.emplace_back(now, failed);
    }
    m_in_a_row = failed ? m_in_a_row + 1 : 0;
}

bool CircuitBreaker::should_open_locked() const {
    if (m_policy.consecutive > 0 && m_in_a_row >= m_policy.consecutive) {
        return true;
    }
    if (static_cast<int>(m_failures.size()) < m_policy.failures) {
        return false;
    }
    if (m_policy.failure_rate <= 0) {
        return true;
    }
    const auto failed =
        std::count_if(m_outcomes.begin(), m_outcomes.end(), [](const auto& o) { return o.second; });
    return static_cast<double>(failed) >=
           m_policy.failure_rate * static_cast<double>(m_outcomes.size());
}

BreakerState CircuitBreaker::state() const {
    std::lock_guard lock(m_mutex);
    if (m_state == BreakerState::open && m_clock.now() >= m_open_until) {
        return BreakerState::half_open;
    }
    return m_state;
}

void CircuitBreaker::open_locked() {
    m_state = BreakerState::open;
    m_open_until = m_clock.now() + m_policy.open_for;
    m_opened_wall = m_clock.wall();
    m_trials_in_flight = 0;
    m_in_a_row = 0;
    m_outcomes.clear();
}

std::optional<Millis> CircuitBreaker::acquire() {
    std::lock_guard lock(m_mutex);
    const auto now = m_clock.now();
    if (m_state == BreakerState::open) {
        if (now < m_open_until) {
            ++m_rejected;
            return std::chrono::duration_cast<Millis>(m_open_until - now);
        }
        m_state = BreakerState::half_open;
        m_trials_in_flight = 0;
    }
    if (m_state == BreakerState::half_open) {
        if (m_trials_in_flight >= m_policy.trial_calls) {
            ++m_rejected;
            return Millis(1000);  // a trial is under way; look again shortly
        }
        ++m_trials_in_flight;
    }
    return std::nullopt;
}

void CircuitBreaker::on_success() {
    std::lock_guard lock(m_mutex);
    ++m_total_successes;
    const auto now = m_clock.now();
    if (m_state == BreakerState::half_open) {
        m_state = BreakerState::closed;
        m_failures.clear();
        m_outcomes.clear();
        m_trials_in_flight = 0;
    }
    record_locked(now, false);
    prune_locked(now);
}

void CircuitBreaker::on_failure() {
    std::lock_guard lock(m_mutex);
    ++m_total_failures;
    const auto now = m_clock.now();
    if (m_state == BreakerState::half_open) {
        open_locked();
        return;
    }
    if (m_state == BreakerState::open) {
        return;
    }
    m_failures.push_back(now);
    record_locked(now, true);
    prune_locked(now);
    if (should_open_locked()) {
        open_locked();
    }
}

void CircuitBreaker::on_neutral() {
    std::lock_guard lock(m_mutex);
    if (m_state == BreakerState::half_open && m_trials_in_flight > 0) {
        --m_trials_in_flight;
    }
}

BreakerSnapshot CircuitBreaker::snapshot() const {
    std::lock_guard lock(m_mutex);
    BreakerSnapshot s;
    s.name = m_name;
    s.state = m_state;
    const auto now = m_clock.now();
    int recent = 0;
    for (const auto t : m_failures) {
        recent += now - t <= m_policy.window ? 1 : 0;
    }
    s.recent_failures = recent;
    s.total_failures = m_total_failures;
    s.total_successes = m_total_successes;
    s.rejected = m_rejected;
    if (m_state != BreakerState::closed) {
        s.opened_at = m_opened_wall;
        const auto left = std::chrono::duration_cast<Millis>(m_open_until - now);
        s.retry_at = m_clock.wall() + std::max(left, Millis(0));
    }
    return s;
}

void CircuitBreaker::restore(const BreakerSnapshot& s) {
    std::lock_guard lock(m_mutex);
    m_total_failures = s.total_failures;
    m_total_successes = s.total_successes;
    m_rejected = s.rejected;
    if (s.state == BreakerState::closed || !s.retry_at) {
        m_state = BreakerState::closed;
        return;
    }
    // Translate the stored wall-clock deadline onto this process's monotonic clock.
    const auto left = std::chrono::duration_cast<Millis>(*s.retry_at - m_clock.wall());
    m_state = BreakerState::open;
    m_open_until = m_clock.now() + std::max(left, Millis(0));
    m_opened_wall = s.opened_at.value_or(m_clock.wall());
}

void CircuitBreaker::reset() {
    std::lock_guard lock(m_mutex);
    m_state = BreakerState::closed;
    m_failures.clear();
    m_outcomes.clear();
    m_in_a_row = 0;
    m_trials_in_flight = 0;
}

CircuitBreaker& BreakerRegistry::get(const std::string& name, const BreakerPolicy& policy) {
    std::lock_guard lock(m_mutex);
    if (!m_loaded && m_store) {
        for (auto& s : m_store->load_breakers()) {
            m_persisted[s.name] = s;
        }
        m_loaded = true;
    }
    auto& slot = m_breakers[name];
    if (!slot) {
        slot = std::make_unique<CircuitBreaker>(name, policy, m_clock);
        if (const auto it = m_persisted.find(name); it != m_persisted.end()) {
            slot->restore(it->second);
        }
    }
    return *slot;
}

void BreakerRegistry::persist(const CircuitBreaker& breaker) {
    if (m_store) {
        m_store->save_breaker(breaker.snapshot());
    }
}

std::vector<BreakerSnapshot> BreakerRegistry::snapshots() const {
    std::lock_guard lock(m_mutex);
    std::map<std::string, BreakerSnapshot> all = m_persisted;
    for (const auto& [name, breaker] : m_breakers) {
        all[name] = breaker->snapshot();
    }
    std::vector<BreakerSnapshot> out;
    for (auto& [name, s] : all) {
        out.push_back(std::move(s));
    }
    return out;
}

bool BreakerRegistry::reset(const std::string& name) {
    std::vector<std::string> names;
    {
        std::lock_guard lock(m_mutex);
        if (!m_loaded && m_store) {
            for (auto& s : m_store->load_breakers()) {
                m_persisted[s.name] = s;
            }
            m_loaded = true;
        }
        auto matches = [&](const std::string& n) {
            return n == name || n.rfind(name + ":", 0) == 0;
        };
        for (const auto& [n, b] : m_breakers) {
            if (matches(n)) {
                b->reset();
                names.push_back(n);
            }
        }
        for (auto it = m_persisted.begin(); it != m_persisted.end();) {
            if (matches(it->first)) {
                if (std::find(names.begin(), names.end(), it->first) == names.end()) {
                    names.push_back(it->first);
                }
                it = m_persisted.erase(it);
            } else {
                ++it;
            }
        }
    }
    if (m_store) {
        for (const auto& n : names) {
            m_store->delete_breaker(n);
        }
    }
    return !names.empty();
}

}  // namespace sota::core::resilience
