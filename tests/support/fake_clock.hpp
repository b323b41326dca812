#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "core/clock.hpp"

namespace sota::test {

/// A clock that moves only when told, with timers that fire as it moves. advance() runs every
/// timer falling due, in order, including timers those callbacks schedule. Thread-safe.
class FakeClock final : public core::Clock, public core::Timers {
  public:
    FakeClock();

    core::SteadyTime now() const override;
    core::WallTime wall() const override;
    void after(core::Millis delay, std::function<void()> fn) override;

    /// Moves time forward, firing due timers.
    void advance(core::Millis by);
    /// Advances to each next timer until none is left or `limit` has passed.
    void run_all(core::Millis limit = core::Millis(24 * 3600 * 1000));
    std::size_t pending() const;
    /// Every delay handed to after(), in order.
    std::vector<core::Millis> scheduled() const;

  private:
    mutable std::mutex m_mutex;
    core::Millis m_elapsed{0};
    core::SteadyTime m_steady_origin;
    core::WallTime m_wall_origin;
    std::multimap<core::Millis, std::function<void()>> m_timers;  // due, by elapsed time
    std::vector<core::Millis> m_scheduled;
};

}  // namespace sota::test
