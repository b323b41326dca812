#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace sota::core::pipeline {

/// What happened in a job. The daemon's event stream carries the same types.
enum class EventType {
    status_change,    ///< the job changed state (data: state, and error when it failed)
    step_started,     ///< a step began (data: index, total)
    step_restored,    ///< a step's checkpoint was reused instead of running it again
    progress_update,  ///< a step's counters moved (data: tokens, cost_usd, retries, detail)
    step_completed,   ///< a step finished and its artifacts were checkpointed
    step_failed,      ///< a step failed or timed out (data: error)
    retry,            ///< a call is being retried (data: attempt, delay_ms, reason)
    log,              ///< a line for the job's log (data: level, text)
    error,            ///< the job failed (data: error)
    result_ready,     ///< the article and its report are written (data: paths, score)
};

const char* to_string(EventType type);
/// The type named by to_string(), or nothing.
std::optional<EventType> event_type_from_string(std::string_view text);

/// One event. `seq` is assigned by the store (0 until stored).
struct Event {
    std::int64_t seq = 0;
    std::string job_id;
    EventType type = EventType::log;
    std::string step;  ///< "" for job-level events
    WallTime time;
    nlohmann::json data = nlohmann::json::object();
};

nlohmann::json to_json(const Event& event);
/// An event from its JSON form (as streamed by the daemon); an unknown type reads as log.
Event event_from_json(const nlohmann::json& doc);

/// Receives a job's events as they happen (a terminal renderer, NDJSON, the store, a test
/// recorder). Called from the engine's and steps' threads; implementations must be thread-safe.
class Reporter {
  public:
    virtual ~Reporter() = default;
    virtual void on_event(const Event& event) = 0;
    /// Whether events of `type` are used at all: an emitter may skip building the ones every
    /// reporter would drop (the daemon keeps no progress_update).
    virtual bool wants(EventType type) const {
        (void)type;
        return true;
    }
};

/// Hands each event to several reporters in order.
class FanoutReporter final : public Reporter {
  public:
    void add(Reporter* reporter) { m_reporters.push_back(reporter); }
    void on_event(const Event& event) override {
        for (auto* r : m_reporters) {
            r->on_event(event);
        }
    }
    bool wants(EventType type) const override {
        for (const auto* r : m_reporters) {
            if (r->wants(type)) {
                return true;
            }
        }
        return false;
    }

  private:
    std::vector<Reporter*> m_reporters;
};

/// Keeps every event (tests, and the run summary). Thread-safe.
class RecordingReporter final : public Reporter {
  public:
    void on_event(const Event& event) override {
        std::lock_guard lock(m_mutex);
        m_events.push_back(event);
    }
    std::vector<Event> events() const {
        std::lock_guard lock(m_mutex);
        return m_events;
    }

  private:
    mutable std::mutex m_mutex;
    std::vector<Event> m_events;
};

}  // namespace sota::core::pipeline
