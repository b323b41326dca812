#include "core/resilience/resilience.hpp"

namespace sota::core::resilience {

Verdict judge(const Error& error) {
    if (error.kind == ErrorKind::cancelled || error.code == "breaker.open") {
        return Verdict::neutral;
    }
    if (error.kind == ErrorKind::credentials || error.code == "provider.rate_limited") {
        return Verdict::key_failure;
    }
    if (error.kind == ErrorKind::network ||
        (error.kind == ErrorKind::provider && error.retryable)) {
        return Verdict::service_failure;
    }
    return Verdict::success;
}

Resilience::Resilience(const Clock& clock, Timers& timers, BreakerStore* store, std::uint64_t seed)
    : m_clock(clock),
      m_timers(timers),
      m_breakers(clock, store),
      m_limiters(clock),
      m_seeds(seed) {}

void Resilience::set_policy(const std::string& service, ServicePolicy policy) {
    m_policies[service] = std::move(policy);
}

const ServicePolicy& Resilience::policy(const std::string& service) const {
    const auto it = m_policies.find(service);
    return it == m_policies.end() ? m_default : it->second;
}

std::uint64_t Resilience::next_seed() {
    std::lock_guard lock(m_seed_mutex);
    return m_seeds();
}

}  // namespace sota::core::resilience
