#pragma once

#include <atomic>
#include <csignal>
#include <functional>
#include <string>
#include <thread>

#include "core/cancel.hpp"

namespace sota::cli {

/// Cancels a token when Ctrl-C (SIGINT) or SIGTERM arrives, for as long as it lives; a second
/// signal exits at once (130). One at a time per process.
class InterruptWatch {
  public:
    /// `say` prints the one line that tells the user what happens now (to stderr when empty;
    /// a live progress block passes its own, so the line scrolls above the block).
    explicit InterruptWatch(core::CancelToken token,
                            std::function<void(const std::string&)> say = nullptr);
    ~InterruptWatch();
    InterruptWatch(const InterruptWatch&) = delete;
    InterruptWatch& operator=(const InterruptWatch&) = delete;

    /// Whether a signal arrived.
    bool interrupted() const;

  private:
    core::CancelToken m_token;
    std::function<void(const std::string&)> m_say;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
    struct sigaction m_old_int {};
    struct sigaction m_old_term {};
};

}  // namespace sota::cli
