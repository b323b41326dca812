#pragma once

#include <atomic>
#include <memory>

namespace sota::core {

/// A shared flag that asks work in progress to stop (Ctrl-C, job cancel, deadline). Copies share
/// the flag; a default-constructed token can still be cancelled. Thread-safe.
class CancelToken {
  public:
    CancelToken() : m_flag(std::make_shared<std::atomic<bool>>(false)) {}

    void cancel() const { m_flag->store(true, std::memory_order_relaxed); }
    bool cancelled() const { return m_flag->load(std::memory_order_relaxed); }

  private:
    std::shared_ptr<std::atomic<bool>> m_flag;
};

}  // namespace sota::core
