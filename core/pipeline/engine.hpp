#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "core/pipeline/job_store.hpp"
#include "core/pipeline/parking.hpp"
#include "core/pipeline/step.hpp"
#include "core/pipeline/workflow.hpp"

namespace sota::core::pipeline {

/// What a run of the engine came to.
struct RunOutcome {
    JobState state = JobState::failed;
    nlohmann::json artifacts = nlohmann::json::object();  ///< every artifact, by name
    std::map<std::string, StepUsage> usage;               ///< per step
    std::map<std::string, std::int64_t> timings_ms;       ///< per step
    std::vector<std::string> restored;                    ///< steps taken from checkpoints, not run
    std::vector<std::string> ran;                         ///< steps run this time
    std::optional<Error> error;
    StepUsage total() const;
};

/// Runs a job's workflow: the plan's levels in order, the steps of a level concurrently, each
/// under its timeout and all under the workflow's deadline. Each finished step's artifacts are
/// checkpointed in the store before any step that needs them starts; a resumed job takes
/// finished steps from their checkpoints and never runs them again. Cancelling the token (Ctrl-C)
/// cancels every step's calls at once and leaves the job interrupted and resumable.
class Engine {
  public:
    Engine(JobStore& store, StepServices& services, Reporter& reporter, const Clock& clock)
        : m_store(store), m_services(services), m_reporter(reporter), m_clock(clock) {}

    /// Runs (or resumes) `job` to the end. The job record is updated in the store as it goes:
    /// running, then validating once every step is done (the caller writes the result and marks
    /// it completed), or failed (with the error's classification), or interrupted.
    RunOutcome run(JobRecord& job, const Workflow& workflow, CancelToken cancel);
    /// The same with the workflow's plan (plan(workflow)) worked out already: a daemon's jobs
    /// share a few workflows.
    RunOutcome run(JobRecord& job, const Workflow& workflow, const Expected<Levels>& levels,
                   CancelToken cancel);

    /// From now on a step that fails for a reason that may pass (an open breaker, a provider
    /// error after its retries, a timeout) parks the job under `policy` (see park()) instead of
    /// failing it: the run ends with the job waiting. Without it (sota run), the job fails.
    void set_parking(ParkPolicy policy) { m_parking = policy; }

  private:
    void emit(const JobRecord& job, EventType type, const std::string& step, nlohmann::json data);
    void set_state(JobRecord& job, JobState state, const std::optional<Error>& error);

    JobStore& m_store;
    StepServices& m_services;
    Reporter& m_reporter;
    const Clock& m_clock;
    std::optional<ParkPolicy> m_parking;
};

/// The artifacts a job brings before any step: keyword, site_pages, existing_article, and the
/// job's fields for templates.
nlohmann::json job_inputs(const JobSpec& spec);

/// A status_change event's data for the job as it is now: {state, attempt, error if any; and
/// retry_at and waiting_for when it waits}.
nlohmann::json status_data(const JobRecord& job);

/// An Error as stored and sent: {kind, code, message, retryable}.
nlohmann::json error_to_json(const Error& error);

}  // namespace sota::core::pipeline
