#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "adapters/job_runner.hpp"
#include "adapters/sqlite_store.hpp"
#include "core/fiber.hpp"
#include "core/pipeline/events.hpp"

namespace sota::daemon {

/// Runs queued jobs from the job database, up to a number at once: the priority queue first,
/// then higher priority, then oldest. Jobs are claimed in the database, so nothing is lost if
/// the process dies: on start, jobs another process left running go back to the queue and
/// resume from their checkpoints. One thread claims jobs; each job runs on a fiber of a small
/// pool, so a job waiting for a provider holds no thread. Thread-safe.
class Scheduler {
  public:
    /// `workers` jobs at once, `reserved` of them kept for the priority queue; the jobs share
    /// `threads` threads (0: one per two cores, at least 1, at most 8: a step's work is about
    /// 0.1 ms, and handing fibers between threads cost more CPU than it gave).
    Scheduler(adapters::JobRunner& runner, adapters::SqliteStore& store, int workers,
              core::pipeline::Reporter& events, int reserved = 0, int threads = 0);
    ~Scheduler();

    /// Requeues abandoned jobs and starts taking jobs.
    void start();
    /// A new job is queued: look for it now.
    void wake();
    /// Cancels a queued job at once, or a running one through its token. Error: not found, or
    /// "job.conflict" when it already ended.
    core::Status cancel(const std::string& job_id);
    /// Stops taking jobs, stops the running ones at their next safe point (their finished steps
    /// are checkpointed) and puts them back in the queue, then returns.
    void drain();

    /// Changes the number of jobs at once and of those kept for the priority queue (SIGHUP).
    /// Jobs beyond the new number finish first.
    void resize(int workers, int reserved);

    int busy() const;
    int workers() const;
    /// Threads that run jobs.
    int threads() const;

  private:
    void claim_loop();
    void run_job(core::pipeline::JobRecord job, core::CancelToken token);
    /// How a run ended, in sotad's log: a failure at warn, with its reason.
    static void log_outcome(const core::pipeline::JobRecord& job);

    adapters::JobRunner& m_runner;
    adapters::SqliteStore& m_store;
    int m_workers;
    core::pipeline::Reporter& m_events;
    int m_threads;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stopping = false;
    bool m_woken = false;  // wake() or a job ended since the claimer last looked
    int m_reserved;
    int m_running_standard = 0;
    std::map<std::string, core::CancelToken> m_running;
    std::map<std::string, bool> m_cancelled_by_user;
    std::unique_ptr<core::FiberPool> m_pool;
    std::thread m_claimer;
};

}  // namespace sota::daemon
