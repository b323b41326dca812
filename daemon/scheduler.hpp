#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/job_runner.hpp"
#include "adapters/sqlite_store.hpp"
#include "core/pipeline/events.hpp"

namespace sota::daemon {

/// Runs queued jobs from the job database on a fixed number of workers: the priority queue
/// first, then higher priority, then oldest. Jobs are claimed in the database, so nothing is
/// lost if the process dies: on start, jobs another process left running go back to the queue
/// and resume from their checkpoints. Thread-safe.
class Scheduler {
  public:
    /// `reserved` workers take only priority-queue jobs (the rest take both).
    Scheduler(adapters::JobRunner& runner, adapters::SqliteStore& store, int workers,
              core::pipeline::Reporter& events, int reserved = 0);
    ~Scheduler();

    /// Requeues abandoned jobs and starts the workers.
    void start();
    /// A new job is queued: wake a worker.
    void wake();
    /// Cancels a queued job at once, or a running one through its token. Error: not found, or
    /// "job.conflict" when it already ended.
    core::Status cancel(const std::string& job_id);
    /// Stops taking jobs, stops the running ones at their next safe point (their finished steps
    /// are checkpointed) and puts them back in the queue, then returns.
    void drain();

    /// Changes the number of workers and of those kept for the priority queue (SIGHUP).
    /// Extra workers finish their job first, then leave.
    void resize(int workers, int reserved);

    int busy() const;
    int workers() const;

  private:
    void work();

    adapters::JobRunner& m_runner;
    adapters::SqliteStore& m_store;
    int m_workers;
    core::pipeline::Reporter& m_events;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stopping = false;
    int m_reserved;
    int m_running_standard = 0;
    int m_live = 0;  // worker threads still working
    std::map<std::string, core::CancelToken> m_running;
    std::map<std::string, bool> m_cancelled_by_user;
    std::vector<std::thread> m_threads;
};

}  // namespace sota::daemon
