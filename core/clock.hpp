#pragma once

#include <chrono>
#include <functional>

namespace sota::core {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

/// Time as the engine sees it. Real in production, fake in tests, so backoff, breakers, rate
/// limits and TTLs are tested without waiting. Implementations are thread-safe.
class Clock {
  public:
    virtual ~Clock() = default;
    /// Monotonic time, for intervals.
    virtual SteadyTime now() const = 0;
    /// Calendar time, for stored timestamps.
    virtual WallTime wall() const = 0;
};

/// Runs callbacks after a delay. Production: one timer thread; tests: driven by a fake clock.
/// Thread-safe; callbacks run on the timer's thread and must not block for long.
class Timers {
  public:
    virtual ~Timers() = default;
    /// Runs `fn` once, `delay` from now (at once for zero or negative delays).
    virtual void after(Millis delay, std::function<void()> fn) = 0;
};

/// The real clock.
class SystemClock final : public Clock {
  public:
    SteadyTime now() const override { return std::chrono::steady_clock::now(); }
    WallTime wall() const override { return std::chrono::system_clock::now(); }
};

}  // namespace sota::core
