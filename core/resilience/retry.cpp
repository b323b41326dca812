#include "core/resilience/retry.hpp"

#include <algorithm>
#include <cmath>

namespace sota::core::resilience {

std::optional<Jitter> jitter_from_name(std::string_view name) {
    if (name == "proportional") {
        return Jitter::proportional;
    }
    if (name == "full") {
        return Jitter::full;
    }
    if (name == "decorrelated") {
        return Jitter::decorrelated;
    }
    if (name == "none") {
        return Jitter::none;
    }
    return std::nullopt;
}

Millis Backoff::base_delay(int retry) const {
    const double ms =
        static_cast<double>(m_policy.initial.count()) * std::pow(m_policy.multiplier, retry);
    return Millis(
        static_cast<std::int64_t>(std::min(ms, static_cast<double>(m_policy.max_delay.count()))));
}

Millis Backoff::next(int retry, std::optional<Millis> server_delay) {
    if (server_delay) {
        const Millis d = std::clamp(*server_delay, Millis(0), m_policy.max_server_delay);
        m_previous = d;
        return d;
    }
    const double base = static_cast<double>(base_delay(retry).count());
    const double cap = static_cast<double>(m_policy.max_delay.count());
    double d = base;
    switch (m_policy.jitter) {
        case Jitter::proportional: {
            const double f = m_policy.jitter_fraction;
            d = std::uniform_real_distribution<double>(base * (1 - f), base * (1 + f))(m_rng);
            break;
        }
        case Jitter::full:
            d = std::uniform_real_distribution<double>(0, base)(m_rng);
            break;
        case Jitter::decorrelated: {
            const double initial = static_cast<double>(m_policy.initial.count());
            const double prev =
                m_previous.count() > 0 ? static_cast<double>(m_previous.count()) : initial;
            d = std::min(cap, std::uniform_real_distribution<double>(
                                  initial, std::max(initial, 3 * prev))(m_rng));
            break;
        }
        case Jitter::none:
            break;
    }
    m_previous = Millis(
        static_cast<std::int64_t>(std::llround(std::min(d, cap * (1 + m_policy.jitter_fraction)))));
    return m_previous;
}

bool is_retryable(const Error& error) {
    switch (error.kind) {
        case ErrorKind::billing:
        case ErrorKind::credentials:
        case ErrorKind::usage:
        case ErrorKind::cancelled:
        case ErrorKind::config:
            return false;
        default:
            return error.retryable;
    }
}

void RetryBudget::on_call() {
    std::lock_guard lock(m_mutex);
    m_milli += m_ratio_milli;
}

bool RetryBudget::try_spend() {
    std::lock_guard lock(m_mutex);
    if (m_milli < 1000) {
        return false;
    }
    m_milli -= 1000;
    return true;
}

double RetryBudget::remaining() const {
    std::lock_guard lock(m_mutex);
    return static_cast<double>(m_milli) / 1000.0;
}

}  // namespace sota::core::resilience
