#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/clock.hpp"

namespace sota::core {

namespace fiber_detail {
struct Fiber;
}  // namespace fiber_detail

/// Runs many light tasks (fibers) on a few threads. A fiber that waits, for an HTTP answer, a
/// Signal or a TaskGroup, gives its thread to the other fibers instead of blocking it, so a
/// thousand jobs waiting on providers need a handful of threads. Each fiber stays on the thread
/// it started on. The waits below also work on ordinary threads, where they block the thread, so
/// the same code runs inline in the CLI and on fibers in the daemon.
///
/// A fiber must not wait while it holds a std::mutex (another fiber of its thread may need it):
/// the waits here take no lock of the caller's.
class FiberPool {
  public:
    /// `threads` threads; each fiber gets a stack of `stack_bytes` (reserved, not committed:
    /// only the pages a fiber touches take memory), with a guard page below it.
    explicit FiberPool(int threads, std::size_t stack_bytes = std::size_t{2} << 20);
    /// Waits for every fiber to end, then stops the threads.
    ~FiberPool();
    FiberPool(const FiberPool&) = delete;
    FiberPool& operator=(const FiberPool&) = delete;

    /// Starts `fn` on a new fiber (threads take turns). An exception escaping it is logged.
    void spawn(std::function<void()> fn);
    /// Fibers started and not yet ended.
    std::size_t live() const;
    int threads() const;

    struct Worker;

  private:
    std::vector<std::unique_ptr<Worker>> m_workers;
    mutable std::mutex m_mutex;
    std::size_t m_next = 0;
};

/// Whether the caller runs on a fiber of a FiberPool.
bool on_fiber();

/// On a fiber: lets every fiber of this thread that is ready run first, then goes on. On a
/// thread: returns at once.
void yield();

/// Waits until `deadline`: a fiber parks and frees its thread for the others, a thread sleeps.
void sleep_until(SteadyTime deadline);

/// A flag that fibers and threads can wait for; notify() wakes every waiter. Thread-safe.
class Signal {
  public:
    Signal() = default;
    Signal(const Signal&) = delete;
    Signal& operator=(const Signal&) = delete;

    /// Sets the flag and wakes every waiter.
    void notify();
    /// Clears the flag (a loop that waits for "something changed" clears it, then looks).
    void reset();
    bool is_set() const;
    /// Waits until the flag is set.
    void wait();
    /// Waits until the flag is set or `deadline` passes; true if it is set.
    bool wait_until(SteadyTime deadline);

  private:
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_set = false;
    std::vector<fiber_detail::Fiber*> m_fibers;
};

/// Runs functions beside the caller: on new fibers of the caller's thread when the caller is a
/// fiber, else on new threads. join() (and the destructor) wait until they all ended.
class TaskGroup {
  public:
    TaskGroup() = default;
    ~TaskGroup();
    TaskGroup(const TaskGroup&) = delete;
    TaskGroup& operator=(const TaskGroup&) = delete;

    void run(std::function<void()> fn);
    void join();

  private:
    void finished();

    std::mutex m_mutex;
    int m_pending = 0;
    Signal m_done;
    std::vector<std::thread> m_threads;
};

/// Waits for a callback-style operation: `start(done)` begins it and `done(value)` is called
/// once, from any thread. A fiber waiting here frees its thread.
template <class T, class Start>
T await(Start&& start) {
    struct State {
        Signal done;
        std::optional<T> value;
    };
    auto state = std::make_shared<State>();
    start([state](T value) {
        state->value.emplace(std::move(value));
        state->done.notify();
    });
    state->done.wait();
    return std::move(*state->value);
}

/// Runs `fn`, which blocks its thread (a child process, a long file operation), without holding
/// up the other fibers: from a fiber it runs on a thread of its own while the fiber waits; from a
/// thread it runs right there.
template <class T, class Fn>
T run_blocking(Fn&& fn) {
    if (!on_fiber()) {
        return fn();
    }
    return await<T>([&fn](auto done) { std::thread([&fn, done] { done(fn()); }).detach(); });
}

namespace fiber_detail {
/// Runs `task` on one of a few threads kept for short blocking calls (queued when all are
/// busy).
void run_on_file_threads(std::function<void()> task);
}  // namespace fiber_detail

/// Runs `fn`, a short call that blocks its thread on the file system (writing a job's files),
/// without holding up the other fibers: from a fiber it runs on one of a few threads kept for
/// that, queued when they are all busy, while the fiber waits; from a thread it runs right
/// there. Unlike run_blocking it starts no thread per call, so a wave of jobs ending together
/// does not make a wave of threads.
template <class T, class Fn>
T run_file_io(Fn&& fn) {
    if (!on_fiber()) {
        return fn();
    }
    return await<T>(
        [&fn](auto done) { fiber_detail::run_on_file_threads([&fn, done] { done(fn()); }); });
}

}  // namespace sota::core
