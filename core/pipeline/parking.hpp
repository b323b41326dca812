#pragma once

#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/pipeline/job_store.hpp"

namespace sota::core::pipeline {

/// How sotad's jobs wait out a provider's trouble instead of failing (the job.* keys). A job
/// that waits is parked: state waiting, holding no worker, queued again at its retry time to
/// resume from its checkpoints.
struct ParkPolicy {
    int max_retries = 10;                ///< job.retries: resumes after failed steps
    Millis max_wait{6LL * 3600 * 1000};  ///< job.max_wait: time spent waiting, in all
    Millis first_delay{15'000};          ///< job.retry_delay: doubled per resume after a failure
    Millis max_delay{300'000};           ///< the longest wait after a failed step
};

/// What a failed step's error asks of its job.
enum class Recovery {
    /// Bad input, credentials, billing, a permanent refusal, a cancel, the job's own deadline.
    fail,
    /// Refused by an open circuit breaker: wait until it lets a trial call through. Free: the
    /// job sent nothing, so it spends none of job.retries.
    wait_for_breaker,
    /// A failure that may pass (a provider or network error after the call's own retries, a
    /// step timeout): try again later, for one of job.retries.
    retry_later,
};

Recovery recovery_for(const Error& error);

/// The policy from job.retries, job.max_wait and job.retry_delay.
ParkPolicy park_policy(const Config& config);

/// Parks `job` for `error` when the error is one to wait out and the job's budget allows it:
/// sets state waiting, retry_at (spread by `random`, a number in [0, 1), so that parked jobs
/// do not all come back at once), waiting_for, the spent counters, and the error as the
/// reason; returns nullopt. Otherwise returns the error the job fails with: `error` itself, or,
/// when a budget stopped it, an error that says which (code job.retries_spent or
/// job.wait_exhausted), keeps the cause and says how to retry.
std::optional<Error> park(JobRecord& job, const Error& error, const ParkPolicy& policy,
                          WallTime now, double random);

/// Puts a job back in the queue at a user's request (`sota retry`): its error, its retry time
/// and what it spent of job.retries and job.max_wait are cleared.
void requeue_for_retry(JobRecord& job, WallTime now);

/// "45 s", "12 min", "6 h" (rounded down).
std::string short_duration(Millis duration);

}  // namespace sota::core::pipeline
