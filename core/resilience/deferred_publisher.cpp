#include "core/resilience/deferred_publisher.hpp"

namespace sota::core::resilience {

Expected<PublishResult> DeferredPublisher::publish(const Article& article) {
    auto result = m_inner.publish(article);
    if (result || !is_retryable(result.error())) {
        return result;
    }
    const Millis delay = m_backoff.next(1, result.error().retry_after);
    const auto id =
        m_store.queue_publish(m_target, article, m_clock.wall() + delay, result.error().message);
    PublishResult deferred;
    deferred.deferred = true;
    deferred.location =
        m_target + " publish queue #" + std::to_string(id) + " (" + result.error().message + ")";
    return deferred;
}

DrainReport DeferredPublisher::drain(
    int limit, bool all_now,
    const std::function<void(const QueuedPublish&, const PublishResult&)>& on_published) {
    DrainReport report;
    const WallTime due_by = all_now ? WallTime::max() : m_clock.wall();
    for (const auto& item : m_store.due_publishes(m_target, due_by, limit)) {
        auto result = m_inner.publish(item.article);
        if (result) {
            m_store.publish_done(item.id, result->location);
            ++report.published;
            if (on_published) {
                on_published(item, *result);
            }
            continue;
        }
        const int attempts = item.attempts + 1;
        if (!is_retryable(result.error()) || attempts >= m_max_attempts) {
            m_store.publish_gave_up(item.id, result.error().message);
            ++report.gave_up;
            continue;
        }
        m_store.publish_retry(item.id, attempts,
                              m_clock.wall() + m_backoff.next(attempts, result.error().retry_after),
                              result.error().message);
        ++report.retried;
    }
    return report;
}

}  // namespace sota::core::resilience
