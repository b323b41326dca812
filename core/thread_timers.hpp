#pragma once

#include <condition_variable>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "core/clock.hpp"

namespace sota::core {

/// Timers on one background thread with a deadline queue. Pending callbacks are dropped on
/// destruction (their owners are being torn down too).
class ThreadTimers final : public Timers {
  public:
    ThreadTimers();
    ~ThreadTimers() override;
    ThreadTimers(const ThreadTimers&) = delete;
    ThreadTimers& operator=(const ThreadTimers&) = delete;

    void after(Millis delay, std::function<void()> fn) override;

  private:
    struct Entry {
        SteadyTime due;
        std::uint64_t seq;
        std::function<void()> fn;
        bool operator>(const Entry& o) const { return due != o.due ? due > o.due : seq > o.seq; }
    };
    void loop();

    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> m_queue;
    std::uint64_t m_seq = 0;
    bool m_stop = false;
    std::thread m_thread;
};

}  // namespace sota::core
