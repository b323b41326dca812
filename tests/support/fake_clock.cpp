#include "tests/support/fake_clock.hpp"

namespace sota::test {

FakeClock::FakeClock()
    : m_steady_origin(std::chrono::steady_clock::time_point(std::chrono::hours(1000))),
      m_wall_origin(std::chrono::system_clock::from_time_t(1'795'000'000)) {}

core::SteadyTime FakeClock::now() const {
    std::lock_guard lock(m_mutex);
    return m_steady_origin + m_elapsed;
}

core::WallTime FakeClock::wall() const {
    std::lock_guard lock(m_mutex);
    return m_wall_origin + m_elapsed;
}

void FakeClock::after(core::Millis delay, std::function<void()> fn) {
    std::lock_guard lock(m_mutex);
    m_scheduled.push_back(delay);
    m_timers.emplace(m_elapsed + std::max(delay, core::Millis(0)), std::move(fn));
}

void FakeClock::advance(core::Millis by) {
    core::Millis target;
    {
        std::lock_guard lock(m_mutex);
        target = m_elapsed + by;
    }
    for (;;) {
        std::function<void()> fn;
        {
            std::lock_guard lock(m_mutex);
            if (m_timers.empty() || m_timers.begin()->first > target) {
                m_elapsed = target;
                return;
            }
            m_elapsed = std::max(m_elapsed, m_timers.begin()->first);
            fn = std::move(m_timers.begin()->second);
            m_timers.erase(m_timers.begin());
        }
        fn();
    }
}

void FakeClock::run_all(core::Millis limit) {
    core::Millis start;
    {
        std::lock_guard lock(m_mutex);
        start = m_elapsed;
    }
    for (;;) {
        core::Millis next;
        {
            std::lock_guard lock(m_mutex);
            if (m_timers.empty() || m_timers.begin()->first - start > limit) {
                return;
            }
            next = m_timers.begin()->first - m_elapsed;
        }
        advance(next);
    }
}

std::size_t FakeClock::pending() const {
    std::lock_guard lock(m_mutex);
    return m_timers.size();
}

std::vector<core::Millis> FakeClock::scheduled() const {
    std::lock_guard lock(m_mutex);
    return m_scheduled;
}

}  // namespace sota::test
