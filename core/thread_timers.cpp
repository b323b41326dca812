#include "core/thread_timers.hpp"

namespace sota::core {

ThreadTimers::ThreadTimers() : m_thread([this] { loop(); }) {}

ThreadTimers::~ThreadTimers() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
}

void ThreadTimers::after(Millis delay, std::function<void()> fn) {
    {
        std::lock_guard lock(m_mutex);
        m_queue.push(Entry{std::chrono::steady_clock::now() + delay, m_seq++, std::move(fn)});
    }
    m_cv.notify_all();
}

void ThreadTimers::loop() {
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        if (m_queue.empty()) {
            m_cv.wait(lock);
            continue;
        }
        const auto due = m_queue.top().due;
        if (std::chrono::steady_clock::now() < due) {
            m_cv.wait_until(lock, due);
            continue;
        }
        auto fn = m_queue.top().fn;
        m_queue.pop();
        lock.unlock();
        fn();
        lock.lock();
    }
}

}  // namespace sota::core
