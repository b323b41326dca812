#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "adapters/sqlite_store.hpp"

struct MHD_Connection;

namespace sota::daemon {

/// The followed event streams (GET /v1/jobs/{id}/events?follow=1) without a thread each: a
/// stream with nothing new to send suspends its connection (libmicrohttpd's
/// MHD_suspend_connection), and one thread resumes the suspended ones every `poll` to look for
/// new events. A stream ends a few quiet polls after its job ends, when the job is gone, or at
/// stop(); a blank keep-alive line goes out after 15 s without events. Thread-safe.
class EventStreams {
  public:
    explicit EventStreams(adapters::SqliteStore& store,
                          std::chrono::milliseconds poll = std::chrono::milliseconds(150));
    ~EventStreams();

    void start();
    /// Ends every stream (each sends what it has and finishes) and stops the thread.
    void stop();

    /// Answers `connection` with the stream of `job`'s events after `after` (the server's
    /// MHD_queue_response result).
    int answer(MHD_Connection* connection, const std::string& job, std::int64_t after);

    /// Streams open now.
    std::size_t open() const { return m_open; }

    struct Stream;

  private:
    friend struct Stream;
    /// Suspends a stream's connection until the next poll; false once stopping.
    bool park(Stream* stream);
    void run();

    adapters::SqliteStore& m_store;
    std::chrono::milliseconds m_poll;
    std::atomic<bool> m_stopping{false};
    std::atomic<std::size_t> m_open{0};
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::set<Stream*> m_parked;
    std::thread m_thread;
};

}  // namespace sota::daemon
