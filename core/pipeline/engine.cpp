#include "core/pipeline/engine.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "core/fiber.hpp"
#include "core/text.hpp"

namespace sota::core::pipeline {

using nlohmann::json;

StepUsage RunOutcome::total() const {
    StepUsage sum;
    for (const auto& [step, u] : usage) {
        sum.add(u);
    }
    return sum;
}

json job_inputs(const JobSpec& spec) {
    json pages = json::array();
    for (const auto& p : spec.site_pages) {
        pages.push_back({{"url", p.url}, {"title", p.title}, {"description", p.description}});
    }
    return {{"keyword", spec.keyword},
            {"site_pages", pages},
            {"existing_article", spec.existing_article},
            {"fields", spec.fields}};
}

json status_data(const JobRecord& job) {
    json data = json::object();
    data["state"] = to_string(job.state);
    data["attempt"] = job.attempts;
    if (!job.error.is_null()) {
        data["error"] = job.error;
    }
    if (job.state == JobState::waiting && job.retry_at) {
        data["retry_at"] = iso8601_utc(*job.retry_at);
        if (!job.waiting_for.empty()) {
            data["waiting_for"] = job.waiting_for;
        }
    }
    return data;
}

json error_to_json(const Error& error) {
    return {{"kind", to_string(error.kind)},
            {"code", error.code},
            {"message", error.message},
            {"retryable", error.retryable}};
}

void Engine::emit(const JobRecord& job, EventType type, const std::string& step, json data) {
    Event event;
    event.job_id = job.id;
    event.type = type;
    event.step = step;
    event.time = m_clock.wall();
    event.data = std::move(data);
    m_reporter.on_event(event);
}

void Engine::set_state(JobRecord& job, JobState state, const std::optional<Error>& error) {
    // The state a job comes in with is the stored one (read from the store, or written when
    // the job was claimed or created): left as it is, the store moves no index entry.
    const bool same = job.state == state;
    job.state = state;
    job.updated_at = m_clock.wall();
    job.error = error ? error_to_json(*error) : json();
    if (!active(state)) {
        job.owner_pid = 0;
    }
    if (state != JobState::waiting) {
        job.retry_at.reset();
        job.waiting_for.clear();
    }
    (void)(same ? m_store.update_job_keeping_state(job) : m_store.update_job(job));
    emit(job, EventType::status_change, "", status_data(job));
}

namespace {

/// One step in flight.
struct Running {
    const StepSpec* spec = nullptr;
    CancelToken cancel;
    SteadyTime deadline;
    std::string stop_reason;  // why the engine cancelled it: "timeout", "deadline", "cancelled"
    bool done = false;
    std::optional<Expected<json>> result;
    StepUsage usage;
    json usage_json;  // usage as saved with the checkpoint (null if none was saved)
    std::int64_t duration_ms = 0;
};

/// Why a running step must stop now ("" if it may go on).
std::string stop_reason(const CancelToken& outer, SteadyTime now, SteadyTime job_deadline,
                        SteadyTime step_deadline) {
    if (outer.cancelled()) {
        return "cancelled";
    }
    if (now >= job_deadline) {
        return "deadline";
    }
    return now >= step_deadline ? "timeout" : "";
}

/// One thread for the whole process that stops steps running on their job's own thread (a
/// level of one step needs no thread of its own) when the job is cancelled, its deadline
/// passes or the step's timeout does: every job in a daemon shares it.
class Watchdog {
  public:
    struct Entry {
        const Clock* clock = nullptr;
        CancelToken outer;
        SteadyTime job_deadline;
        Running* step = nullptr;
        std::mutex* mutex = nullptr;  // guards step->stop_reason
    };

    static Watchdog& instance() {
        static Watchdog* watchdog = new Watchdog();  // lives as long as the process
        return *watchdog;
    }

    std::uint64_t add(const Entry& entry) {
        std::lock_guard lock(m_mutex);
        m_entries[++m_next] = entry;
        return m_next;
    }

    /// Once it returns, the watchdog no longer touches the entry.
    void remove(std::uint64_t id) {
        std::lock_guard lock(m_mutex);
        m_entries.erase(id);
    }

  private:
    Watchdog() {
        std::thread([this] {
            while (true) {
                std::this_thread::sleep_for(Millis(20));
                std::lock_guard lock(m_mutex);
                for (auto& [id, e] : m_entries) {
                    std::lock_guard step_lock(*e.mutex);
                    if (!e.step->stop_reason.empty()) {
                        continue;
                    }
                    e.step->stop_reason =
                        stop_reason(e.outer, e.clock->now(), e.job_deadline, e.step->deadline);
                    if (!e.step->stop_reason.empty()) {
                        e.step->cancel.cancel();
                    }
                }
            }
        }).detach();
    }

    std::mutex m_mutex;
    std::map<std::uint64_t, Entry> m_entries;
    std::uint64_t m_next = 0;
};

}  // namespace

RunOutcome Engine::run(JobRecord& job, const Workflow& workflow, CancelToken cancel) {
    return run(job, workflow, plan(workflow), std::move(cancel));
}

RunOutcome Engine::run(JobRecord& job, const Workflow& workflow, const Expected<Levels>& levels,
                       CancelToken cancel) {
    RunOutcome outcome;
    ++job.attempts;
    if (!levels) {
        outcome.error = levels.error();
        set_state(job, JobState::failed, outcome.error);
        return outcome;
    }
    std::map<std::string, const StepSpec*> by_id;
    for (const auto& s : workflow.steps) {
        by_id[s.id] = &s;
    }
    outcome.artifacts = job_inputs(job.spec);

    std::set<std::string> finished;
    std::map<std::string, Checkpoint> checkpointed;
    for (auto& c : m_store.checkpoints(job.id)) {
        checkpointed[c.step] = std::move(c);
    }
    for (const auto& spec : workflow.steps) {  // in the workflow's order
        const auto it = checkpointed.find(spec.id);
        if (it == checkpointed.end()) {
            continue;
        }
        const Checkpoint& c = it->second;
        for (const auto& [name, value] : c.artifacts.items()) {
            outcome.artifacts[name] = value;
        }
        outcome.usage[c.step] = StepUsage::from_json(c.usage);
        outcome.timings_ms[c.step] = c.duration_ms;
        outcome.restored.push_back(c.step);
        finished.insert(c.step);
    }
    set_state(job, JobState::running, std::nullopt);
    std::size_t index = 0;
    const std::size_t total = workflow.steps.size();
    for (const auto& step : outcome.restored) {
        emit(job, EventType::step_restored, step,
             {{"index", ++index}, {"total", total}, {"usage", outcome.usage[step].to_json()}});
    }

    const SteadyTime job_deadline = m_clock.now() + workflow.deadline;
    std::mutex mutex;

    for (const auto& level : *levels) {
        std::vector<std::unique_ptr<Running>> running;
        Signal changed;  // a step of the level ended
        TaskGroup tasks;
        const auto to_run = std::count_if(
            level.begin(), level.end(), [&](const std::string& id) { return !finished.count(id); });
        for (const auto& id : level) {
            if (finished.count(id)) {
                continue;
            }
            auto r = std::make_unique<Running>();
            r->spec = by_id[id];
            r->deadline = m_clock.now() + r->spec->timeout;
            json inputs = json::object();
            for (const auto& name : r->spec->inputs) {
                inputs[name] = outcome.artifacts.value(name, json());
            }
            inputs["fields"] = job.spec.fields;
            job.current_step = id;
            // Stored as it starts, so that a client asking sees the step the job is in (the
            // step count and usage come from the checkpoints).
            job.updated_at = m_clock.wall();
            (void)m_store.update_job_keeping_state(job);
            json opened = json::object();  // key by key: cheaper than a braced list
            opened["index"] = ++index;
            opened["total"] = total;
            opened["timeout_ms"] = r->spec->timeout.count();
            opened["kind"] = to_string(r->spec->kind);
            emit(job, EventType::step_started, id, std::move(opened));
            Running* slot = r.get();
            auto body = [this, slot, &job, &mutex, &changed, inputs = std::move(inputs)]() mutable {
                const SteadyTime started = m_clock.now();
                StepContext ctx(*slot->spec, job, std::move(inputs), m_services, m_reporter,
                                m_clock, slot->cancel);
                ctx.on_paced([slot, &mutex](Millis wait) {
                    std::lock_guard lock(mutex);
                    slot->deadline += wait;
                });
                Expected<json> result = fail(ErrorKind::internal, "step.unknown",
                                             "no implementation for step " + slot->spec->id);
                const std::string name = slot->spec->kind == StepKind::builtin
                                             ? slot->spec->uses
                                             : to_string(slot->spec->kind);
                const auto custom = m_services.step_overrides.find(name);
                const StepFn* fn = custom != m_services.step_overrides.end()
                                       ? &custom->second
                                       : find_step_function(name);
                if (fn) {
                    try {
                        result = (*fn)(ctx);
                    } catch (const std::exception& e) {
                        result =
                            fail(ErrorKind::internal, "step.crashed",
                                 "step " + slot->spec->id + " failed unexpectedly: " + e.what());
                    }
                }
                if (result) {
                    for (const auto& out : slot->spec->outputs) {
                        if (!result->contains(out)) {
                            result =
                                fail(ErrorKind::internal, "step.bad_output",
                                     "step " + slot->spec->id + " did not produce '" + out + "'");
                            break;
                        }
                    }
                }
                const auto duration = std::chrono::duration_cast<Millis>(m_clock.now() - started);
                json usage_json;
                if (result && !slot->cancel.cancelled()) {
                    Checkpoint c;
                    c.step = slot->spec->id;
                    c.artifacts = json::object();
                    for (const auto& out : slot->spec->outputs) {
                        c.artifacts[out] = (*result)[out];
                    }
                    c.usage = ctx.usage().to_json();
                    c.duration_ms = duration.count();
                    c.finished_at = m_clock.wall();
                    if (auto saved = m_store.save_checkpoint(job.id, c); !saved) {
                        result = fail(saved.error());
                    }
                    usage_json = std::move(c.usage);
                }
                {
                    std::lock_guard lock(mutex);
                    slot->usage = ctx.usage();
                    slot->usage_json = std::move(usage_json);
                    slot->duration_ms = duration.count();
                    slot->result = std::move(result);
                    slot->done = true;
                }
                changed.notify();
            };
            running.push_back(std::move(r));
            if (to_run > 1) {
                tasks.run(std::move(body));
                continue;
            }
            // The level's only step runs here; the shared watchdog stops it when it must.
            auto& watchdog = Watchdog::instance();
            const auto watched = watchdog.add({&m_clock, cancel, job_deadline, slot, &mutex});
            body();
            watchdog.remove(watched);
        }

        // Watch the level: Ctrl-C, each step's timeout and the job's deadline.
        while (true) {
            bool all_done = true;
            const SteadyTime now = m_clock.now();
            // Steps that finish notify; timeouts and the deadline are waited for; an outside
            // cancel (a flag) is noticed within 50 ms.
            SteadyTime wake = std::min(job_deadline, now + Millis(50));
            {
                std::lock_guard lock(mutex);
                for (auto& r : running) {
                    if (r->done) {
                        continue;
                    }
                    all_done = false;
                    if (!r->stop_reason.empty()) {
                        continue;
                    }
                    r->stop_reason = stop_reason(cancel, now, job_deadline, r->deadline);
                    if (!r->stop_reason.empty()) {
                        r->cancel.cancel();
                    } else {
                        wake = std::min(wake, r->deadline);
                    }
                }
            }
            if (all_done) {
                break;
            }
            changed.wait_until(std::chrono::steady_clock::now() +
                               std::max(Millis(1), std::chrono::duration_cast<Millis>(wake - now)));
            changed.reset();
        }
        tasks.join();
        std::optional<Error> level_error;
        bool interrupted = false;
        for (auto& r : running) {
            const std::string& id = r->spec->id;
            outcome.usage[id] = r->usage;
            outcome.timings_ms[id] = r->duration_ms;
            outcome.ran.push_back(id);
            if (*r->result && r->stop_reason.empty()) {
                for (const auto& out : r->spec->outputs) {
                    outcome.artifacts[out] = (**r->result)[out];
                }
                finished.insert(id);
                json completed = json::object();
                completed["duration_ms"] = r->duration_ms;
                completed["usage"] =
                    r->usage_json.is_null() ? r->usage.to_json() : std::move(r->usage_json);
                emit(job, EventType::step_completed, id, std::move(completed));
                continue;
            }
            Error error = *r->result ? Error{ErrorKind::cancelled, "step.cancelled",
                                             "step " + id + " was stopped"}
                                     : r->result->error();
            if (r->stop_reason == "timeout") {
                error = Error{ErrorKind::network, "step.timeout",
                              "step " + id + " took longer than its " +
                                  std::to_string(r->spec->timeout.count() / 1000) + " s timeout; " +
                                  timeout_hint(*r->spec),
                              true};
            } else if (r->stop_reason == "deadline") {
                error = Error{
                    ErrorKind::network, "job.deadline",
                    "the job passed its " + std::to_string(workflow.deadline.count() / 1000) +
                        " s deadline during step " + id + "; raise pipeline.deadline or resume it",
                    true};
            } else if (r->stop_reason == "cancelled") {
                interrupted = true;
                error = Error{ErrorKind::cancelled, "job.interrupted",
                              "interrupted during step " + id, false};
            }
            emit(job, EventType::step_failed, id,
                 {{"duration_ms", r->duration_ms},
                  {"usage", r->usage.to_json()},
                  {"error", error_to_json(error)}});
            if (!level_error ||
                (level_error->kind == ErrorKind::cancelled && error.kind != ErrorKind::cancelled)) {
                level_error = error;
            }
        }
        if (level_error && !interrupted && m_parking) {
            // A failure that may pass parks the job (it waits, holding no worker, and resumes
            // from its checkpoints); only a spent budget or a lasting failure fails it.
            thread_local std::mt19937_64 rng{std::random_device{}()};
            const double random = std::uniform_real_distribution<double>(0, 1)(rng);
            const JobState stored = job.state;  // set_state() writes the state if it changed
            if (auto failure = park(job, *level_error, *m_parking, m_clock.wall(), random)) {
                level_error = std::move(*failure);
            } else {
                outcome.error = level_error;
                outcome.state = JobState::waiting;
                job.state = stored;
                set_state(job, JobState::waiting, level_error);
                return outcome;
            }
        }
        if (level_error) {
            outcome.error = level_error;
            outcome.state = interrupted ? JobState::interrupted : JobState::failed;
            if (!interrupted) {
                emit(job, EventType::error, job.current_step, error_to_json(*level_error));
            }
            set_state(job, outcome.state, level_error);
            return outcome;
        }
        if (cancel.cancelled()) {
            outcome.error = Error{ErrorKind::cancelled, "job.interrupted", "interrupted", false};
            outcome.state = JobState::interrupted;
            set_state(job, outcome.state, outcome.error);
            return outcome;
        }
    }
    // Every step is done. Whoever runs the engine checks and writes the result, then marks the
    // job completed: until then a client sees it validating, not completed without its files.
    outcome.state = JobState::completed;
    job.current_step.clear();
    set_state(job, JobState::validating, std::nullopt);
    return outcome;
}

}  // namespace sota::core::pipeline
