#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "core/pipeline/events.hpp"
#include "core/pipeline/job.hpp"

namespace sota::core::pipeline {

/// How far a job has come, as its checkpoints say: the steps finished (taken from a checkpoint
/// or run) and what they used. Filled by a store when it reads a job; never written.
struct StepProgress {
    int steps_done = 0;
    std::int64_t tokens = 0;  ///< input and output tokens of the steps done
    double cost_usd = 0;      ///< their cost
};

/// A job as stored.
struct JobRecord {
    std::string id;
    JobSpec spec;
    /// The workflow as planned, so a resume runs the same steps (null: none). Shared and never
    /// changed: the jobs of a batch hold one document, not a copy each.
    std::shared_ptr<const nlohmann::json> workflow;
    JobState state = JobState::queued;
    std::string current_step;
    int attempts = 0;       ///< how many times the job was started or resumed
    nlohmann::json error;   ///< {kind, code, message, retryable} when it failed
    nlohmann::json result;  ///< paths, score, usage once completed
    WallTime created_at;
    WallTime updated_at;
    std::int64_t owner_pid = 0;      ///< the process running it (0 when none)
    std::string queue = "standard";  ///< "priority" or "standard" (daemon scheduling)
    int priority = 0;                ///< higher first, within a queue
    std::string idempotency_key;     ///< a client's key: the same key returns the same job
    std::string batch_id;            ///< the batch it came in ("" for a single job)
    StepProgress progress;           ///< read from its checkpoints (get_job, list_jobs)
    /// A waiting job: when it is queued again, and the breaker it waits for ("" when it waits
    /// after a failed step). `error` holds the reason.
    std::optional<WallTime> retry_at;
    std::string waiting_for;
    int retries = 0;             ///< resumes after failed steps, against job.retries
    std::int64_t waited_ms = 0;  ///< time spent waiting in all, against job.max_wait
};

/// A job's workflow document, or an empty object when it has none.
inline const nlohmann::json& workflow_doc(const JobRecord& job) {
    static const nlohmann::json none = nlohmann::json::object();
    return job.workflow ? *job.workflow : none;
}

/// A finished step's output, saved before any step that needs it starts.
struct Checkpoint {
    std::string step;
    nlohmann::json artifacts;  ///< artifact name -> value
    nlohmann::json usage;      ///< tokens, cost_usd, calls, retries, cache hits
    std::int64_t duration_ms = 0;
    WallTime finished_at;
};

/// The progress a job's checkpoints show (for stores that read them whole).
inline StepProgress progress_of(const std::vector<Checkpoint>& checkpoints) {
    StepProgress progress;
    for (const auto& c : checkpoints) {
        ++progress.steps_done;
        if (c.usage.is_object()) {
            progress.tokens += c.usage.value("input_tokens", std::int64_t{0}) +
                               c.usage.value("output_tokens", std::int64_t{0});
            progress.cost_usd += c.usage.value("cost_usd", 0.0);
        }
    }
    return progress;
}

/// Where jobs, their checkpoints and events live (SQLite for one machine; the daemon's store).
/// Implementations are thread-safe.
class JobStore {
  public:
    virtual ~JobStore() = default;
    /// Stores a new job. Fails if the id exists.
    virtual Status create_job(const JobRecord& job) = 0;
    virtual std::optional<JobRecord> get_job(const std::string& id) = 0;
    /// Updates state, current step, attempts, error, result and owner of an existing job.
    virtual Status update_job(const JobRecord& job) = 0;
    /// update_job() for a job whose state is stored already (`job.state` was read from the store
    /// or written to it): a store may leave the state alone, which spares moving the job's
    /// index entries, most of what an update costs.
    virtual Status update_job_keeping_state(const JobRecord& job) { return update_job(job); }
    /// Saves a step's checkpoint (replacing an older one of the same step) atomically.
    virtual Status save_checkpoint(const std::string& job_id, const Checkpoint& checkpoint) = 0;
    virtual std::vector<Checkpoint> checkpoints(const std::string& job_id) = 0;
    /// Drops a step's checkpoint (so `retry` runs it again).
    virtual Status drop_checkpoint(const std::string& job_id, const std::string& step) = 0;
    /// Appends an event; returns its sequence number, or 0 if it is written later (a store may
    /// hold events back to write them with the next checkpoint or job update; reads still see
    /// them).
    virtual std::int64_t append_event(const Event& event) = 0;
    /// Writes the events held back, if any (the daemon calls it when it has nothing to start;
    /// any write or read also writes them, as does closing the store).
    virtual Status flush_events() { return {}; }
    /// The same, with the event's data already as JSON text (`data_json` replaces event.data):
    /// a caller that has serialized it spares the store doing it again.
    virtual std::int64_t append_event_json(const Event& event, std::string data_json) {
        Event copy = event;
        copy.data = nlohmann::json::parse(data_json, nullptr, false);
        return append_event(copy);
    }
    /// Events of a job after `after_seq`, oldest first, at most `limit`.
    virtual std::vector<Event> events(const std::string& job_id, std::int64_t after_seq,
                                      int limit) = 0;
};

/// Stores events as they happen (the job's log). Thread-safe.
class StoreReporter final : public Reporter {
  public:
    explicit StoreReporter(JobStore& store) : m_store(store) {}
    void on_event(const Event& event) override {
        if (wants(event.type)) {
            m_store.append_event(event);
        }
    }
    bool wants(EventType type) const override { return type != EventType::progress_update; }

  private:
    JobStore& m_store;
};

}  // namespace sota::core::pipeline
