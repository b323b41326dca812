#include "core/pipeline/parking.hpp"

#include <algorithm>
#include <cmath>

#include "core/pipeline/engine.hpp"

namespace sota::core::pipeline {

Recovery recovery_for(const Error& error) {
    if (error.code == "breaker.open") {
        return Recovery::wait_for_breaker;
    }
    if (error.code == "step.timeout") {
        return Recovery::retry_later;
    }
    if (error.code == "job.deadline" || !error.retryable) {
        return Recovery::fail;
    }
    return error.kind == ErrorKind::network || error.kind == ErrorKind::provider
               ? Recovery::retry_later
               : Recovery::fail;
}

ParkPolicy park_policy(const Config& config) {
    ParkPolicy p;
    p.max_retries = static_cast<int>(config.get(Key<std::int64_t>{"job.retries"}));
    p.max_wait = config.get(Key<Millis>{"job.max_wait"});
    p.first_delay = config.get(Key<Millis>{"job.retry_delay"});
    p.max_delay = std::max(p.first_delay, Millis(300'000));
    return p;
}

std::string short_duration(Millis duration) {
    const auto s = std::max<std::int64_t>(0, duration.count() / 1000);
    if (s < 120) {
        return std::to_string(s) + " s";
    }
    if (s < 2 * 3600) {
        return std::to_string(s / 60) + " min";
    }
    return std::to_string(s / 3600) + " h";
}

namespace {

Error gave_up(const Error& cause, std::string code, const std::string& why, const JobRecord& job) {
    Error e = cause;
    e.code = std::move(code);
    e.retryable = false;
    e.retry_after.reset();
    e.message = why + ": " + cause.message + " (" + cause.code + "); retry it with `sota retry " +
                job.id + "` once the provider is back";
    return e;
}

}  // namespace

std::optional<Error> park(JobRecord& job, const Error& error, const ParkPolicy& policy,
                          WallTime now, double random) {
    const Recovery recovery = recovery_for(error);
    if (recovery == Recovery::fail) {
        return error;
    }
    Millis delay{0};
    if (recovery == Recovery::wait_for_breaker) {
        // Until the breaker lets its trial call through, then spread out: the first job back
        // makes the trial call, and the rest come back over a few seconds, as it closes.
        const Millis until_trial = std::max(error.retry_after.value_or(Millis(1000)), Millis(0));
        const Millis spread =
            std::clamp(Millis(until_trial.count() / 4), Millis(1000), Millis(10'000));
        delay = until_trial +
                Millis(static_cast<std::int64_t>(random * static_cast<double>(spread.count())));
    } else {
        if (job.retries >= policy.max_retries) {
            return gave_up(error, "job.retries_spent",
                           "sotad resumed the job " + std::to_string(job.retries) +
                               " time(s) after failed steps (job.retries = " +
                               std::to_string(policy.max_retries) + ") and the last one failed too",
                           job);
        }
        const double base = std::min(static_cast<double>(policy.max_delay.count()),
                                     static_cast<double>(policy.first_delay.count()) *
                                         std::pow(2.0, std::min(job.retries, 30)));
        delay = std::max(Millis(static_cast<std::int64_t>(base * (0.8 + 0.4 * random))),
                         error.retry_after.value_or(Millis(0)));
    }
    const Millis left = policy.max_wait - Millis(job.waited_ms);
    if (left <= Millis(0)) {
        return gave_up(error, "job.wait_exhausted",
                       "the job waited " + short_duration(Millis(job.waited_ms)) +
                           " in all for providers to recover (job.max_wait = " +
                           short_duration(policy.max_wait) + ") and they still fail",
                       job);
    }
    delay = std::min(delay, left);
    if (recovery == Recovery::retry_later) {
        ++job.retries;
    }
    job.waited_ms += delay.count();
    job.state = JobState::waiting;
    job.retry_at = now + delay;
    job.waiting_for = recovery == Recovery::wait_for_breaker ? error.detail : "";
    job.error = error_to_json(error);
    job.owner_pid = 0;
    return std::nullopt;
}

void requeue_for_retry(JobRecord& job, WallTime now) {
    job.state = JobState::queued;
    job.error = nullptr;
    job.retry_at.reset();
    job.waiting_for.clear();
    job.retries = 0;
    job.waited_ms = 0;
    job.updated_at = now;
}

}  // namespace sota::core::pipeline
