#include "daemon/scheduler.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "core/pipeline/parking.hpp"

namespace sota::daemon {

using core::pipeline::JobState;

Scheduler::Scheduler(adapters::JobRunner& runner, adapters::SqliteStore& store, int workers,
                     core::pipeline::Reporter& events, int reserved, int threads)
    : m_runner(runner),
      m_store(store),
      m_workers(std::max(1, workers)),
      m_events(events),
      m_threads(threads > 0
                    ? threads
                    : std::clamp(static_cast<int>(std::thread::hardware_concurrency()) / 2, 1, 8)),
      m_reserved(std::clamp(reserved, 0, m_workers - 1)) {}

Scheduler::~Scheduler() {
    drain();
}

void Scheduler::start() {
    for (const auto& job : m_store.quarantine_abandoned(::getpid(), core::SystemClock().wall())) {
        spdlog::warn("job {} failed: {} (job.poison)", job.id, job.error.value("message", ""));
    }
    const int requeued = m_store.requeue_abandoned(::getpid());
    if (requeued > 0) {
        spdlog::info("requeued {} job(s) left running by a previous daemon", requeued);
    }
    std::lock_guard lock(m_mutex);
    if (m_stopping || m_pool) {
        return;
    }
    m_pool = std::make_unique<core::FiberPool>(m_threads);
    m_claimer = std::thread([this] { claim_loop(); });
}

void Scheduler::resize(int workers, int reserved) {
    {
        std::lock_guard lock(m_mutex);
        m_workers = std::max(1, workers);
        m_reserved = std::clamp(reserved, 0, m_workers - 1);
        m_woken = true;
    }
    m_cv.notify_all();
}

int Scheduler::workers() const {
    std::lock_guard lock(m_mutex);
    return m_workers;
}

int Scheduler::threads() const {
    return m_threads;
}

void Scheduler::wake() {
    {
        std::lock_guard lock(m_mutex);
        m_woken = true;
    }
    m_cv.notify_all();
}

int Scheduler::busy() const {
    std::lock_guard lock(m_mutex);
    return static_cast<int>(m_running.size());
}

core::Status Scheduler::cancel(const std::string& job_id) {
    std::unique_lock lock(m_mutex);
    if (const auto it = m_running.find(job_id); it != m_running.end()) {
        m_cancelled_by_user[job_id] = true;
        it->second.cancel();
        return {};
    }
    lock.unlock();
    auto job = m_store.get_job(job_id);
    if (!job) {
        return core::fail(core::ErrorKind::not_found, "job.not_found", "no job " + job_id);
    }
    if (job->state == JobState::completed || job->state == JobState::cancelled) {
        return core::fail(core::ErrorKind::provider, "job.conflict",
                          "job " + job_id + " already " + core::pipeline::to_string(job->state));
    }
    job->state = JobState::cancelled;
    job->updated_at = std::chrono::system_clock::now();
    return m_store.update_job(*job);
}

void Scheduler::drain() {
    std::unique_ptr<core::FiberPool> pool;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        for (auto& [id, token] : m_running) {
            token.cancel();
        }
        pool = std::move(m_pool);
    }
    m_cv.notify_all();
    if (m_claimer.joinable()) {
        m_claimer.join();
    }
    pool.reset();  // waits for every job to stop
}

void Scheduler::claim_loop() {
    // Jobs are claimed in groups (one commit), so a wave of jobs ending together is replaced at
    // once rather than one claim at a time.
    constexpr int k_claim_group = 64;
    while (true) {
        int free = 0;
        int standard_free = 0;
        {
            std::unique_lock lock(m_mutex);
            m_cv.wait(lock, [this] {
                return m_stopping || static_cast<int>(m_running.size()) < m_workers;
            });
            if (m_stopping) {
                return;
            }
            free = std::min(k_claim_group, m_workers - static_cast<int>(m_running.size()));
            // Some capacity stays free for the priority queue.
            standard_free = std::max(0, m_workers - m_reserved - m_running_standard);
            m_woken = false;
        }
        // Waiting jobs whose time has come go back to the queue, ahead of the newer jobs of
        // their batch; their retry times are spread, so they come back a few at a time.
        const auto now = std::chrono::system_clock::now();
        (void)m_store.wake_waiting(now);
        auto jobs = m_store.claim_jobs(::getpid(), now, free, standard_free);
        if (jobs.empty()) {
            // Nothing more to start: the last jobs' final events, held back by the store to be
            // written with its next write, are written now.
            (void)m_store.flush_events();
            std::unique_lock lock(m_mutex);
            m_cv.wait_for(lock, std::chrono::milliseconds(500),
                          [this] { return m_stopping || m_woken; });
            continue;
        }
        for (auto& job : jobs) {
            core::CancelToken token;
            core::FiberPool* pool = nullptr;
            {
                std::lock_guard lock(m_mutex);
                if (m_stopping) {
                    token.cancel();
                }
                m_running[job.id] = token;
                m_running_standard += job.queue == "standard" ? 1 : 0;
                pool = m_pool.get();
            }
            spdlog::info("job {} started ({})", job.id, job.spec.keyword);
            if (!pool) {  // drained since the claim: the job goes back to the queue
                run_job(std::move(job), token);
                continue;
            }
            pool->spawn([this, job = std::move(job), token]() mutable {
                run_job(std::move(job), std::move(token));
            });
        }
    }
}

void Scheduler::run_job(core::pipeline::JobRecord job, core::CancelToken token) {
    auto result = m_runner.run(job, m_events, token);
    bool by_user = false;
    {
        std::lock_guard lock(m_mutex);
        m_running.erase(job.id);
        m_running_standard -= job.queue == "standard" ? 1 : 0;
        by_user = m_cancelled_by_user.erase(job.id) > 0;
        m_woken = true;
    }
    m_cv.notify_all();
    const auto state = result.outcome.state;
    if (job.state == JobState::running) {
        // It failed before the engine took it (its workflow or prompts could not be read).
        job.state = JobState::failed;
        job.error = core::pipeline::error_to_json(result.outcome.error.value_or(
            core::Error{core::ErrorKind::internal, "job.failed", "the job could not start"}));
        job.owner_pid = 0;
        (void)m_store.update_job(job);
    } else if (state == JobState::interrupted || (state == JobState::queued)) {
        // Stopped by a cancel or by the daemon draining: cancelled, or back in the queue to
        // resume from its checkpoints after the restart.
        job.state = by_user ? JobState::cancelled : JobState::queued;
        job.owner_pid = 0;
        job.updated_at = std::chrono::system_clock::now();
        (void)m_store.update_job(job);
    }
    log_outcome(job);
}

void Scheduler::log_outcome(const core::pipeline::JobRecord& job) {
    const auto& error = job.error;
    const std::string message = error.is_object() ? error.value("message", "") : "";
    const std::string code = error.is_object() ? error.value("code", "") : "";
    if (job.state == JobState::failed) {
        spdlog::warn("job {} failed: {} ({})", job.id, message, code);
    } else if (job.state == JobState::waiting && job.retry_at) {
        const auto left = std::chrono::duration_cast<core::Millis>(
            *job.retry_at - std::chrono::system_clock::now());
        spdlog::info("job {} waiting{} for {}: {} ({})", job.id,
                     job.waiting_for.empty() ? "" : " on " + job.waiting_for,
                     core::pipeline::short_duration(left), message, code);
    } else {
        spdlog::info("job {} {}", job.id, core::pipeline::to_string(job.state));
    }
}

}  // namespace sota::daemon
