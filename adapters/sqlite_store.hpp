#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "core/pipeline/job_store.hpp"
#include "core/resilience/cache.hpp"
#include "core/resilience/circuit_breaker.hpp"
#include "core/resilience/deferred_publisher.hpp"
#include "core/schedule/schedule.hpp"

namespace SQLite {
class Database;
class Statement;
}  // namespace SQLite

namespace sota::adapters {

/// The job database: one SQLite file (WAL, busy timeout) whose schema is a list of numbered
/// migrations, applied in order and each in a transaction; a file from a newer sota is refused
/// rather than touched. Holds the L2 cache, breaker state, the deferred publish queue, and jobs
/// with their checkpoints and events (sqlite_store_jobs.cpp). Thread-safe.
class SqliteStore final : public core::resilience::CacheStore,
                          public core::resilience::BreakerStore,
                          public core::resilience::PublishQueueStore,
                          public core::pipeline::JobStore {
  public:
    /// Opens (creating it and its 0700 directory if needed) and migrates the database.
    /// ":memory:" opens a private in-memory database.
    static core::Expected<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& file);
    ~SqliteStore() override;

    /// The schema version after migration.
    int schema_version() const;
    /// The newest schema version this build knows.
    static int latest_version();

    // CacheStore
    std::optional<core::resilience::CacheEntry> cache_get(const std::string& kind,
                                                          const std::string& key) override;
    void cache_put(const std::string& kind, const std::string& key,
                   const core::resilience::CacheEntry& entry) override;
    std::int64_t cache_prune(core::WallTime now) override;
    std::int64_t cache_clear(const std::optional<std::string>& kind) override;
    std::vector<core::resilience::CacheStoreStats> cache_stats(core::WallTime now) override;

    /// Adds a process's hit/miss counts to the running totals per kind.
    void add_cache_counts(const std::map<std::string, core::resilience::CacheKindStats>& counts);
    /// Running totals per kind.
    std::map<std::string, core::resilience::CacheKindStats> cache_counts();

    // BreakerStore
    std::vector<core::resilience::BreakerSnapshot> load_breakers() override;
    void save_breaker(const core::resilience::BreakerSnapshot& snapshot) override;
    void delete_breaker(const std::string& name) override;

    // PublishQueueStore
    std::int64_t queue_publish(const std::string& target, const core::Article& article,
                               core::WallTime next_attempt_at, const std::string& error) override;
    std::vector<core::resilience::QueuedPublish> due_publishes(const std::string& target,
                                                               core::WallTime now,
                                                               int limit) override;
    void publish_done(std::int64_t id, const std::string& location) override;
    void publish_retry(std::int64_t id, int attempts, core::WallTime next_attempt_at,
                       const std::string& error) override;
    void publish_gave_up(std::int64_t id, const std::string& error) override;
    std::vector<core::resilience::QueuedPublish> pending_publishes(
        const std::string& target) override;
    /// The job whose result records that it published post `post_id` on `site` ("" if none):
    /// how the WordPress publisher knows a post is sota's (sqlite_store_published.cpp).
    std::string job_that_published(const std::string& site, std::int64_t post_id);

    // JobStore
    core::Status create_job(const core::pipeline::JobRecord& job) override;
    std::optional<core::pipeline::JobRecord> get_job(const std::string& id) override;
    core::Status update_job(const core::pipeline::JobRecord& job) override;
    core::Status update_job_keeping_state(const core::pipeline::JobRecord& job) override;
    core::Status save_checkpoint(const std::string& job_id,
                                 const core::pipeline::Checkpoint& checkpoint) override;
    std::vector<core::pipeline::Checkpoint> checkpoints(const std::string& job_id) override;
    core::Status drop_checkpoint(const std::string& job_id, const std::string& step) override;
    std::int64_t append_event(const core::pipeline::Event& event) override;
    core::Status flush_events() override;
    std::int64_t append_event_json(const core::pipeline::Event& event,
                                   std::string data_json) override;
    std::vector<core::pipeline::Event> events(const std::string& job_id, std::int64_t after_seq,
                                              int limit) override;
    /// The newest jobs first, at most `limit`.
    std::vector<core::pipeline::JobRecord> recent_jobs(int limit);

    // The daemon's scheduling.
    /// The job a client created with this Idempotency-Key, if any.
    std::optional<core::pipeline::JobRecord> find_by_idempotency_key(const std::string& key);
    /// Atomically takes the next queued job and marks it running for `owner_pid`: the priority
    /// queue first (higher priority, then oldest); then, if `allow_standard`, the standard
    /// queue: higher priority first, then fairly between batches (the group with the fewest
    /// jobs running; single jobs form one group), oldest first within a group.
    std::optional<core::pipeline::JobRecord> claim_next_job(std::int64_t owner_pid,
                                                            core::WallTime now,
                                                            bool allow_standard = true);
    /// Claims up to `max_jobs` jobs at once as claim_next_job() would one after another, at
    /// most `max_standard` of them from the standard queue, in one commit.
    std::vector<core::pipeline::JobRecord> claim_jobs(std::int64_t owner_pid, core::WallTime now,
                                                      int max_jobs, int max_standard);
    /// Stores many jobs in one transaction: all or none.
    core::Status create_jobs(const std::vector<core::pipeline::JobRecord>& jobs);
    /// The jobs of a batch, by id.
    std::vector<core::pipeline::JobRecord> batch_jobs(const std::string& batch_id);
    /// Puts jobs left running by another (dead) process back in the queue; returns how many.
    int requeue_abandoned(std::int64_t owner_pid);
    /// Before requeue_abandoned(): the jobs left running by another process that were started
    /// `max_runs` times without any run ending in a recorded outcome (each time, the process
    /// running them died) are marked failed with code job.poison, so that a job that crashes
    /// sotad is not started again on every restart; returns them.
    std::vector<core::pipeline::JobRecord> quarantine_abandoned(std::int64_t owner_pid,
                                                                core::WallTime now,
                                                                int max_runs = 2);
    /// Queues the waiting jobs whose retry time has come (they keep their place: oldest
    /// first); returns how many.
    int wake_waiting(core::WallTime now);
    /// How many jobs wait, by what they wait for (a breaker's name, or "" after a failed step).
    std::map<std::string, std::int64_t> waiting_jobs();
    /// Which jobs to list: every field optional; newest first, `before_id` is the cursor.
    struct JobFilter {
        std::string state;
        std::string workflow;
        std::string keyword;  ///< substring
        std::string batch;
        std::optional<core::WallTime> since;
        std::string before_id;
        int limit = 50;
    };
    std::vector<core::pipeline::JobRecord> list_jobs(const JobFilter& filter);
    /// How many jobs are in each state.
    std::map<std::string, std::int64_t> job_counts();

    // Batches (sqlite_store_batches.cpp).
    /// A batch: its jobs counted by state.
    struct BatchSummary {
        std::string id;
        std::int64_t total = 0;
        std::map<std::string, std::int64_t> counts;  ///< by state
    };
    /// The newest batches first (by id, which starts with its creation time), at most `limit`.
    std::vector<BatchSummary> list_batches(int limit);

    // Schedules kept by sotad (sqlite_store_schedules.cpp).
    /// Adds a schedule; a name already taken is a conflict ("schedule.name_taken").
    core::Status add_schedule(const core::schedule::Schedule& schedule);
    /// Every schedule, oldest first.
    std::vector<core::schedule::Schedule> schedules();
    /// A schedule by id or by name.
    std::optional<core::schedule::Schedule> find_schedule(const std::string& id_or_name);
    /// Saves `paused` and `next_run_at`.
    core::Status update_schedule(const core::schedule::Schedule& schedule);
    /// Removes a schedule and its runs; false if there was none.
    bool remove_schedule(const std::string& id);
    /// Records a run; returns its id.
    std::int64_t add_schedule_run(const core::schedule::ScheduleRun& run);
    /// Saves a run's outcome, exit code, end, pid and log.
    void update_schedule_run(const core::schedule::ScheduleRun& run);
    /// A schedule's runs, newest first.
    std::vector<core::schedule::ScheduleRun> schedule_runs(const std::string& schedule_id,
                                                           int limit);
    /// Marks runs still "running" (their sotad died) as "interrupted"; returns them.
    std::vector<core::schedule::ScheduleRun> interrupt_schedule_runs(core::WallTime now);

    /// Writes that went through a group commit, and the commits they took.
    struct GroupStats {
        std::int64_t writes = 0;
        std::int64_t commits = 0;
    };
    GroupStats group_stats() const;
    /// How long a group stays open for more writes once its first write came (on fibers only;
    /// off a fiber a write commits at once). See commit_window below.
    void set_commit_window(std::chrono::microseconds window);

  private:
    SqliteStore() = default;
    void insert_job_locked(const core::pipeline::JobRecord& job);
    /// update_job(), with or without the state column.
    core::Status write_job(const core::pipeline::JobRecord& job, bool with_state);
    struct Claimed {
        std::vector<core::pipeline::JobRecord> jobs;
        bool urgent_left = false;  // the priority queue may hold more
    };
    /// Claims up to `max_jobs` jobs (at most `max_standard` of them from the standard queue)
    /// in one pass: priority jobs first; else one group's jobs, the fairest group's.
    Claimed claim_locked(std::int64_t owner_pid, core::WallTime now, bool urgent_left, int max_jobs,
                         int max_standard);
    /// A prepared statement kept for reuse (reset, bindings cleared); the lock must be held.
    SQLite::Statement& cached_locked(const char* sql);
    /// Writes the buffered step events; the lock must be held (inside a transaction or not).
    void flush_events_locked();
    /// Runs `write` in the open group transaction (opening one) and returns once that is
    /// committed. Writers that come while a group is open join it and share its one commit: the
    /// first one waits out the commit window before it commits. `lock` holds m_mutex, and holds
    /// it again on return.
    core::Status group_write(std::unique_lock<std::mutex>& lock, const std::string& what,
                             const std::function<void()>& write);
    /// Commits the open group, if any: before a transaction of its own, or a close.
    void commit_group_locked();
    core::Status migrate();

    struct Group;

    std::unique_ptr<SQLite::Database> m_db;
    mutable std::mutex m_mutex;
    std::map<const char*, std::unique_ptr<SQLite::Statement>> m_statements;  // by SQL text
    /// Events wait here and are written with the next checkpoint, job update, read or
    /// flush_events(), so that a step costs one commit, not three, and a state change one.
    struct PendingEvent {
        std::string job_id;
        core::pipeline::EventType type;
        std::string step;
        core::WallTime time;
        std::string data;  // JSON text
    };
    std::vector<PendingEvent> m_pending_events;
    /// The last few workflows stored or read, as text, parsed, and as the reference jobs carry
    /// ("sha256:" and the text's digest; the text itself is in the workflows table): a batch's
    /// jobs share one, and parsing it again for every claim (or printing it for every insert)
    /// was a real share of a job's cost. Most recent first.
    struct KnownWorkflow {
        std::string text;
        std::shared_ptr<const nlohmann::json> doc;
        std::string ref;  // "" until needed, for one read from an older job's own text
    };
    std::vector<KnownWorkflow> m_workflows;
    /// A job's workflow column: a reference, or (jobs stored before schema 11) the text.
    KnownWorkflow& known_workflow_locked(std::string column);
    KnownWorkflow& known_workflow_locked(const std::shared_ptr<const nlohmann::json>& doc);
    /// The reference a new job stores, with the text in the workflows table.
    std::string workflow_ref_locked(const std::shared_ptr<const nlohmann::json>& doc);
    core::pipeline::JobRecord job_from_row_locked(SQLite::Statement& q);
    std::shared_ptr<Group> m_group;  // the open group transaction, if any
    GroupStats m_group_stats;
    /// Half a millisecond, next to model calls that take seconds. In sotad a step's answer
    /// wakes its thread, and each wake-up costs more CPU than the step's own work; steps that
    /// end within one window share a commit and then go on together, so the next wake-ups serve
    /// several steps each. With 200 jobs in flight this cut sotad's CPU per step by 5-10 %.
    std::chrono::microseconds m_commit_window{500};
};

}  // namespace sota::adapters
