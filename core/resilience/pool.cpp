#include "core/resilience/pool.hpp"

#include "core/resilience/retry.hpp"

namespace sota::core::resilience {

std::optional<Balance> balance_from_name(std::string_view name) {
    if (name == "round_robin") {
        return Balance::round_robin;
    }
    if (name == "least_in_flight") {
        return Balance::least_in_flight;
    }
    if (name == "lowest_latency") {
        return Balance::lowest_latency;
    }
    return std::nullopt;
}

PooledProvider::PooledProvider(std::vector<PoolMember> members, Balance balance, const Clock& clock,
                               int unhealthy_after, Millis cooldown)
    : m_balance(balance), m_clock(clock), m_unhealthy_after(unhealthy_after), m_cooldown(cooldown) {
    for (auto& m : members) {
        m_members.push_back(Member{std::move(m.provider), std::move(m.name)});
    }
}

std::optional<std::size_t> PooledProvider::pick(const std::vector<bool>& tried) {
    const auto now = m_clock.now();
    std::vector<std::size_t> healthy, untried;
    for (std::size_t i = 0; i < m_members.size(); ++i) {
        if (tried[i]) {
            continue;
        }
        untried.push_back(i);
        if (m_members[i].down_until <= now) {
            healthy.push_back(i);
        }
    }
    // When every untried member is cooling down, try one anyway rather than fail unasked.
    const auto& candidates = healthy.empty() ? untried : healthy;
    if (candidates.empty()) {
        return std::nullopt;
    }
    switch (m_balance) {
        case Balance::round_robin: {
            for (std::size_t step = 0; step < m_members.size(); ++step) {
                const std::size_t i = (m_next + step) % m_members.size();
                if (std::find(candidates.begin(), candidates.end(), i) != candidates.end()) {
                    m_next = i + 1;
                    return i;
                }
            }
            return candidates.front();
        }
        case Balance::least_in_flight:
            return *std::min_element(candidates.begin(), candidates.end(),
                                     [&](std::size_t a, std::size_t b) {
                                         return m_members[a].in_flight < m_members[b].in_flight;
                                     });
        case Balance::lowest_latency:
            return *std::min_element(candidates.begin(), candidates.end(),
                                     [&](std::size_t a, std::size_t b) {
                                         return m_members[a].latency_ms < m_members[b].latency_ms;
                                     });
    }
    return candidates.front();
}

void PooledProvider::complete(llm::Request request, llm::Callback done) {
    attempt(std::make_shared<llm::Request>(std::move(request)),
            std::make_shared<std::vector<bool>>(m_members.size(), false),
            std::make_shared<std::vector<std::string>>(), std::move(done));
}

void PooledProvider::attempt(std::shared_ptr<llm::Request> request,
                             std::shared_ptr<std::vector<bool>> tried,
                             std::shared_ptr<std::vector<std::string>> notes, llm::Callback done) {
    std::size_t index = 0;
    {
        std::lock_guard lock(m_mutex);
        const auto chosen = pick(*tried);
        index = *chosen;  // attempt() is only entered while an untried member is left
        (*tried)[index] = true;
        ++m_members[index].in_flight;
    }
    const auto started = m_clock.now();
    m_members[index].provider->complete(
        *request, [this, index, started, request, tried, notes,
                   done = std::move(done)](Expected<llm::Response> r) mutable {
            bool fail_over = false;
            {
                std::lock_guard lock(m_mutex);
                auto& m = m_members[index];
                --m.in_flight;
                if (r) {
                    const double ms =
                        std::chrono::duration<double, std::milli>(m_clock.now() - started).count();
                    m.latency_ms = m.latency_ms == 0 ? ms : 0.8 * m.latency_ms + 0.2 * ms;
                    m.consecutive_failures = 0;
                } else if (is_retryable(r.error()) || r.error().kind == ErrorKind::credentials) {
                    if (++m.consecutive_failures >= m_unhealthy_after) {
                        m.down_until = m_clock.now() + m_cooldown;
                    }
                    fail_over = std::find(tried->begin(), tried->end(), false) != tried->end();
                }
            }
            if (fail_over) {
                notes->push_back(m_members[index].name + " failed (" + r.error().code + ")");
                attempt(request, tried, notes, std::move(done));
                return;
            }
            if (r) {
                r->fallbacks.insert(r->fallbacks.begin(), notes->begin(), notes->end());
            }
            done(std::move(r));
        });
}

std::vector<PooledProvider::MemberState> PooledProvider::state() const {
    std::lock_guard lock(m_mutex);
    std::vector<MemberState> out;
    const auto now = m_clock.now();
    for (const auto& m : m_members) {
        out.push_back(
            {m.name, m.in_flight, m.latency_ms, m.consecutive_failures, m.down_until <= now});
    }
    return out;
}

}  // namespace sota::core::resilience
