#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/publisher.hpp"
#include "core/resilience/retry.hpp"

namespace sota::core::resilience {

/// An article waiting to be published again.
struct QueuedPublish {
    std::int64_t id = 0;
    std::string target;  ///< "wordpress"
    Article article;
    int attempts = 0;
    WallTime next_attempt_at;
    std::string last_error;
};

/// Where deferred publishes wait (the job store implements it).
class PublishQueueStore {
  public:
    virtual ~PublishQueueStore() = default;
    /// Queues an article (replacing a pending one with the same target and slug); returns its id.
    virtual std::int64_t queue_publish(const std::string& target, const Article& article,
                                       WallTime next_attempt_at, const std::string& error) = 0;
    /// Pending items due at `now`, oldest first.
    virtual std::vector<QueuedPublish> due_publishes(const std::string& target, WallTime now,
                                                     int limit) = 0;
    virtual void publish_done(std::int64_t id, const std::string& location) = 0;
    virtual void publish_retry(std::int64_t id, int attempts, WallTime next_attempt_at,
                               const std::string& error) = 0;
    virtual void publish_gave_up(std::int64_t id, const std::string& error) = 0;
    virtual std::vector<QueuedPublish> pending_publishes(const std::string& target) = 0;
};

/// What one drain did.
struct DrainReport {
    int published = 0;
    int retried = 0;
    int gave_up = 0;
};

/// Publishes through `inner`; when that fails with a retryable error (the site is down, its
/// breaker is open), queues the article instead of losing it and says so (`deferred`). drain()
/// retries due items with backoff, giving up after `max_attempts`. Thread-safe if the store is.
class DeferredPublisher final : public Publisher {
  public:
    DeferredPublisher(Publisher& inner, PublishQueueStore& store, const Clock& clock,
                      std::string target, RetryPolicy policy = {}, int max_attempts = 10)
        : m_inner(inner),
          m_store(store),
          m_clock(clock),
          m_target(std::move(target)),
          m_backoff(policy, 17),
          m_max_attempts(max_attempts) {}

    Expected<PublishResult> publish(const Article& article) override;

    /// Retries every due item once (with `all_now`, every pending item, due or not);
    /// `on_published` hears of each one that went out.
    DrainReport drain(
        int limit = 100, bool all_now = false,
        const std::function<void(const QueuedPublish&, const PublishResult&)>& on_published = {});

  private:
    Publisher& m_inner;
    PublishQueueStore& m_store;
    const Clock& m_clock;
    std::string m_target;
    Backoff m_backoff;
    int m_max_attempts;
};

}  // namespace sota::core::resilience
