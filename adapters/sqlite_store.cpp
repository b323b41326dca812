#include "adapters/sqlite_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "adapters/private_files.hpp"
#include "adapters/sqlite_time.hpp"

namespace sota::adapters {

using core::resilience::BreakerSnapshot;
using core::resilience::CacheEntry;

namespace {

// The schema, one migration per entry; never edit a released one, add a new one.
const std::vector<const char*> k_migrations = {
    // 1: the L2 cache, breaker state, and cache counters.
    R"SQL(
    CREATE TABLE cache (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        stored_at INTEGER NOT NULL,   -- ms since the epoch
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE INDEX cache_expiry ON cache (expires_at);
    CREATE TABLE cache_counts (
        kind TEXT PRIMARY KEY,
        l1_hits INTEGER NOT NULL DEFAULT 0,
        l2_hits INTEGER NOT NULL DEFAULT 0,
        misses INTEGER NOT NULL DEFAULT 0,
        coalesced INTEGER NOT NULL DEFAULT 0,
        stale_served INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE breakers (
        name TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        recent_failures INTEGER NOT NULL,
        total_failures INTEGER NOT NULL,
        total_successes INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        opened_at INTEGER,
        retry_at INTEGER,
        updated_at INTEGER NOT NULL
    );
    )SQL",
    // 2: the deferred publish queue.
    R"SQL(
    CREATE TABLE publish_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        target TEXT NOT NULL,
        slug TEXT NOT NULL,
        article TEXT NOT NULL,        -- JSON
        attempts INTEGER NOT NULL DEFAULT 1,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'pending',  -- pending, done, gave_up
        location TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX publish_queue_pending ON publish_queue (target, slug) WHERE state = 'pending';
    CREATE INDEX publish_queue_due ON publish_queue (state, next_attempt_at);
    )SQL",
    // 3: jobs, their step checkpoints and their events.
    R"SQL(
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        keyword TEXT NOT NULL,
        workflow_name TEXT NOT NULL,
        spec TEXT NOT NULL,
        workflow TEXT NOT NULL,
        state TEXT NOT NULL,
        current_step TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        result TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        owner_pid INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX jobs_state ON jobs (state, created_at);
    CREATE TABLE checkpoints (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        step TEXT NOT NULL,
        artifacts TEXT NOT NULL,
        usage TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        finished_at INTEGER NOT NULL,
        PRIMARY KEY (job_id, step)
    );
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL,
        type TEXT NOT NULL,
        step TEXT NOT NULL DEFAULT '',
        time INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX events_job ON events (job_id, seq);
    )SQL",
    // 4: daemon scheduling: queues, priorities and idempotency keys.
    R"SQL(
    ALTER TABLE jobs ADD COLUMN queue TEXT NOT NULL DEFAULT 'standard';
    ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN idempotency_key TEXT;
    CREATE UNIQUE INDEX jobs_idempotency ON jobs (idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    CREATE INDEX jobs_queued ON jobs (state, queue, priority, created_at);
    )SQL",
    // 5: batches, for fairness between them.
    R"SQL(
    ALTER TABLE jobs ADD COLUMN batch_id TEXT;
    CREATE INDEX jobs_batch ON jobs (batch_id, state);
    )SQL",
    // 6: schedules kept by sotad, and each run (or skipped run) of them.
    R"SQL(
    CREATE TABLE schedules (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        cron TEXT NOT NULL,
        tz TEXT NOT NULL,
        command TEXT NOT NULL,
        cwd TEXT NOT NULL DEFAULT '',
        missed TEXT NOT NULL DEFAULT 'once',
        paused INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        next_run_at INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX schedules_name ON schedules (name) WHERE name != '';
    CREATE TABLE schedule_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        schedule_id TEXT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        scheduled_for INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        outcome TEXT NOT NULL,
        exit_code INTEGER NOT NULL DEFAULT 0,
        pid INTEGER NOT NULL DEFAULT 0,
        log TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX schedule_runs_schedule ON schedule_runs (schedule_id, id);
    )SQL",
    // 7: claiming a job reads only this index, not every queued job's row.
    R"SQL(
    CREATE INDEX jobs_waiting ON jobs (state, queue, batch_id, priority, created_at, id);
    )SQL",
    // 8: the claim indexes hold only queued jobs, and the running ones per batch have their
    // own, so a job changing state (three times a run) updates fewer index entries, and the
    // fairness count reads an index instead of every running job's row. Indexes only: no
    // data moves.
    R"SQL(
    DROP INDEX jobs_queued;
    DROP INDEX jobs_waiting;
    CREATE INDEX jobs_queued ON jobs (queue, priority, created_at, id) WHERE state = 'queued';
    CREATE INDEX jobs_waiting ON jobs (queue, batch_id, priority, created_at, id)
        WHERE state = 'queued';
    CREATE INDEX jobs_active ON jobs (batch_id, state) WHERE state IN ('running', 'validating');
    )SQL",
    // 9: event numbers come from the rowid alone, without AUTOINCREMENT's sqlite_sequence row
    // read and rewritten on every insert (two or three events a step). Events are never
    // deleted, so a new event's number is still always above every earlier one. Every row is
    // copied over as it is.
    R"SQL(
    CREATE TABLE events_v9 (
        seq INTEGER PRIMARY KEY,
        job_id TEXT NOT NULL,
        type TEXT NOT NULL,
        step TEXT NOT NULL DEFAULT '',
        time INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    INSERT INTO events_v9 (seq, job_id, type, step, time, data)
        SELECT seq, job_id, type, step, time, data FROM events;
    DROP TABLE events;
    ALTER TABLE events_v9 RENAME TO events;
    CREATE INDEX events_job ON events (job_id, seq);
    DELETE FROM sqlite_sequence WHERE name = 'events';
    )SQL",
    // 10: jobs are counted by state as they change (triggers), so health and stats read a few
    // rows instead of scanning every job's index entry under the store's lock: with 100,000
    // jobs stored that scan took milliseconds, and clients poll these.
    R"SQL(
    CREATE TABLE job_state_counts (
        state TEXT PRIMARY KEY,
        jobs INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO job_state_counts (state, jobs) SELECT state, COUNT(*) FROM jobs GROUP BY state;
    CREATE TRIGGER jobs_counted_insert AFTER INSERT ON jobs BEGIN
        INSERT INTO job_state_counts (state, jobs) VALUES (NEW.state, 1)
            ON CONFLICT (state) DO UPDATE SET jobs = jobs + 1;
    END;
    CREATE TRIGGER jobs_counted_delete AFTER DELETE ON jobs BEGIN
        UPDATE job_state_counts SET jobs = jobs - 1 WHERE state = OLD.state;
    END;
    CREATE TRIGGER jobs_counted_update AFTER UPDATE OF state ON jobs
        WHEN OLD.state IS NOT NEW.state BEGIN
        UPDATE job_state_counts SET jobs = jobs - 1 WHERE state = OLD.state;
        INSERT INTO job_state_counts (state, jobs) VALUES (NEW.state, 1)
            ON CONFLICT (state) DO UPDATE SET jobs = jobs + 1;
    END;
    )SQL",
    // 11: a new job's workflow column holds "sha256:" and the digest of its workflow document,
    // which is stored once here: a batch's ten thousand jobs carried ten thousand copies of a
    // document of a few kilobytes, rewritten with every change of a job's row. Jobs stored
    // before keep their own copy, which is read as before.
    R"SQL(
    CREATE TABLE workflows (
        digest TEXT PRIMARY KEY,
        doc TEXT NOT NULL
    );
    )SQL",
    // 12: a batch's jobs are found by batch alone. With the state in the key, every change of
    // a job's state moved its entry (a fifth of the cost of the change); nothing reads the
    // index for the state (the running jobs per batch have jobs_active). Indexes only.
    R"SQL(
    DROP INDEX jobs_batch;
    CREATE INDEX jobs_batch ON jobs (batch_id);
    )SQL",
    // 13: jobs that wait out a provider's trouble (state 'waiting' until retry_at, for the
    // breaker named in waiting_for), what they spent of their retry budget and waiting time,
    // and how many times a job was started without its run ending in a recorded outcome (its
    // process died under it): at two, it is not started again.
    R"SQL(
    ALTER TABLE jobs ADD COLUMN retry_at INTEGER;
    ALTER TABLE jobs ADD COLUMN waiting_for TEXT NOT NULL DEFAULT '';
    ALTER TABLE jobs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN waited_ms INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN unfinished_runs INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX jobs_parked ON jobs (retry_at) WHERE state = 'waiting';
    )SQL",
    // 14: the batch a schedule's run queued its jobs in.
    R"SQL(
    ALTER TABLE schedule_runs ADD COLUMN batch_id TEXT NOT NULL DEFAULT '';
    )SQL",
};

}  // namespace

SqliteStore::~SqliteStore() {
    std::lock_guard lock(m_mutex);
    if (m_db) {
        commit_group_locked();
        try {
            flush_events_locked();
        } catch (const std::exception&) {
            // the log is best effort
        }
    }
    m_statements.clear();  // before the database they belong to
}

SQLite::Statement& SqliteStore::cached_locked(const char* sql) {
    auto& slot = m_statements[sql];
    if (!slot) {
        slot = std::make_unique<SQLite::Statement>(*m_db, sql);
    } else {
        // tryReset: sqlite3_reset() repeats the error of the statement's last failed run (a
        // duplicate key, say), which reset() would throw, failing this use too.
        (void)slot->tryReset();
        slot->clearBindings();
    }
    return *slot;
}

int SqliteStore::latest_version() {
    return static_cast<int>(k_migrations.size());
}

core::Expected<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& file) {
    // SQLite counts its memory under a global mutex on every allocation unless told not to;
    // nothing here reads the counts. This must come before SQLite's first use (it is refused,
    // harmlessly, after it).
    static const bool configured = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    (void)configured;
    std::unique_ptr<SqliteStore> store(new SqliteStore());
    try {
        if (file != ":memory:") {
            auto dir = ensure_private_dir(file.parent_path());
            if (!dir) {
                return core::fail(dir.error());
            }
        }
        // The connection is only used under m_mutex, so SQLite's own lock per call is not
        // needed.
        store->m_db = std::make_unique<SQLite::Database>(
            file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
        store->m_db->setBusyTimeout(5000);
        store->m_db->exec("PRAGMA journal_mode = WAL");
        store->m_db->exec("PRAGMA synchronous = NORMAL");
        // Foreign keys are not enforced: checking that a checkpoint's job exists cost as much as
        // writing the checkpoint (about 9,000 instructions a step). Nothing relies on them: jobs
        // are never deleted, and a schedule's runs are deleted with it explicitly.
        store->m_db->exec("PRAGMA foreign_keys = OFF");
    } catch (const std::exception& e) {
        return core::fail(core::ErrorKind::io, "store.open",
                          "cannot open the job database " + file.string() + ": " + e.what());
    }
    auto migrated = store->migrate();
    if (!migrated) {
        return core::fail(migrated.error());
    }
    return store;
}

core::Status SqliteStore::migrate() {
    std::lock_guard lock(m_mutex);
    try {
        const int current = m_db->execAndGet("PRAGMA user_version").getInt();
        if (current > latest_version()) {
            return core::fail(core::ErrorKind::config, "store.too_new",
                              "the job database " + m_db->getFilename() + " has schema version " +
                                  std::to_string(current) + ", newer than this sota knows (" +
                                  std::to_string(latest_version()) +
                                  "); upgrade sota rather than risk it");
        }
        for (int v = current; v < latest_version(); ++v) {
            SQLite::Transaction tx(*m_db);
            m_db->exec(k_migrations[static_cast<std::size_t>(v)]);
            m_db->exec("PRAGMA user_version = " + std::to_string(v + 1));
            tx.commit();
        }
    } catch (const std::exception& e) {
        return core::fail(core::ErrorKind::io, "store.migrate",
                          std::string("cannot update the job database: ") + e.what());
    }
    return {};
}

int SqliteStore::schema_version() const {
    std::lock_guard lock(m_mutex);
    return m_db->execAndGet("PRAGMA user_version").getInt();
}

std::optional<CacheEntry> SqliteStore::cache_get(const std::string& kind, const std::string& key) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(
        *m_db, "SELECT value, stored_at, expires_at FROM cache WHERE kind = ? AND key = ?");
    q.bind(1, kind);
    q.bind(2, key);
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return CacheEntry{q.getColumn(0).getString(), from_ms(q.getColumn(1).getInt64()),
                      from_ms(q.getColumn(2).getInt64())};
}

void SqliteStore::cache_put(const std::string& kind, const std::string& key,
                            const CacheEntry& entry) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(
        *m_db,
        "INSERT INTO cache (kind, key, value, stored_at, expires_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, "
        "stored_at = excluded.stored_at, expires_at = excluded.expires_at");
    q.bind(1, kind);
    q.bind(2, key);
    q.bind(3, entry.value.data(), static_cast<int>(entry.value.size()));
    q.bind(4, to_ms(entry.stored_at));
    q.bind(5, to_ms(entry.expires_at));
    q.exec();
}

std::int64_t SqliteStore::cache_prune(core::WallTime now) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(*m_db, "DELETE FROM cache WHERE expires_at <= ?");
    q.bind(1, to_ms(now));
    return q.exec();
}

std::int64_t SqliteStore::cache_clear(const std::optional<std::string>& kind) {
    std::lock_guard lock(m_mutex);
    if (!kind) {
        return m_db->exec("DELETE FROM cache");
    }
    SQLite::Statement q(*m_db, "DELETE FROM cache WHERE kind = ?");
    q.bind(1, *kind);
    return q.exec();
}

std::vector<core::resilience::CacheStoreStats> SqliteStore::cache_stats(core::WallTime now) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(*m_db,
                        "SELECT kind, COUNT(*), SUM(expires_at <= ?), SUM(LENGTH(value)) FROM "
                        "cache GROUP BY kind ORDER BY kind");
    q.bind(1, to_ms(now));
    std::vector<core::resilience::CacheStoreStats> out;
    while (q.executeStep()) {
        out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(),
                       q.getColumn(2).getInt64(), q.getColumn(3).getInt64()});
    }
    return out;
}

void SqliteStore::add_cache_counts(
    const std::map<std::string, core::resilience::CacheKindStats>& counts) {
    std::lock_guard lock(m_mutex);
    commit_group_locked();
    SQLite::Transaction tx(*m_db);
    for (const auto& [kind, c] : counts) {
        SQLite::Statement q(
            *m_db,
            "INSERT INTO cache_counts (kind, l1_hits, l2_hits, misses, coalesced, stale_served) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind) DO UPDATE SET "
            "l1_hits = l1_hits + excluded.l1_hits, l2_hits = l2_hits + excluded.l2_hits, "
            "misses = misses + excluded.misses, coalesced = coalesced + excluded.coalesced, "
            "stale_served = stale_served + excluded.stale_served");
        q.bind(1, kind);
        q.bind(2, static_cast<std::int64_t>(c.l1_hits));
        q.bind(3, static_cast<std::int64_t>(c.l2_hits));
        q.bind(4, static_cast<std::int64_t>(c.misses));
        q.bind(5, static_cast<std::int64_t>(c.coalesced));
        q.bind(6, static_cast<std::int64_t>(c.stale_served));
        q.exec();
    }
    tx.commit();
}

std::map<std::string, core::resilience::CacheKindStats> SqliteStore::cache_counts() {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(
        *m_db, "SELECT kind, l1_hits, l2_hits, misses, coalesced, stale_served FROM cache_counts");
    std::map<std::string, core::resilience::CacheKindStats> out;
    while (q.executeStep()) {
        auto& c = out[q.getColumn(0).getString()];
        c.l1_hits = static_cast<std::uint64_t>(q.getColumn(1).getInt64());
        c.l2_hits = static_cast<std::uint64_t>(q.getColumn(2).getInt64());
        c.misses = static_cast<std::uint64_t>(q.getColumn(3).getInt64());
        c.coalesced = static_cast<std::uint64_t>(q.getColumn(4).getInt64());
        c.stale_served = static_cast<std::uint64_t>(q.getColumn(5).getInt64());
    }
    return out;
}

std::vector<BreakerSnapshot> SqliteStore::load_breakers() {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(*m_db,
                        "SELECT name, state, recent_failures, total_failures, total_successes, "
                        "rejected, opened_at, "
                        "retry_at FROM breakers ORDER BY name");
    std::vector<BreakerSnapshot> out;
    while (q.executeStep()) {
        BreakerSnapshot s;
        s.name = q.getColumn(0).getString();
        s.state = core::resilience::breaker_state_from_name(q.getColumn(1).getString())
                      .value_or(core::resilience::BreakerState::closed);
        s.recent_failures = q.getColumn(2).getInt();
        s.total_failures = q.getColumn(3).getInt64();
        s.total_successes = q.getColumn(4).getInt64();
        s.rejected = q.getColumn(5).getInt64();
        if (!q.getColumn(6).isNull()) {
            s.opened_at = from_ms(q.getColumn(6).getInt64());
        }
        if (!q.getColumn(7).isNull()) {
            s.retry_at = from_ms(q.getColumn(7).getInt64());
        }
        out.push_back(std::move(s));
    }
    return out;
}

void SqliteStore::save_breaker(const BreakerSnapshot& s) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(
        *m_db,
        "INSERT INTO breakers (name, state, recent_failures, total_failures, total_successes, "
        "rejected, "
        "opened_at, retry_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
        "CAST(strftime('%s','now') AS INTEGER) * 1000) "
        "ON CONFLICT (name) DO UPDATE SET state = excluded.state, "
        "recent_failures = excluded.recent_failures, total_failures = excluded.total_failures, "
        "total_successes = excluded.total_successes, rejected = excluded.rejected, "
        "opened_at = excluded.opened_at, retry_at = excluded.retry_at, updated_at = "
        "excluded.updated_at");
    q.bind(1, s.name);
    q.bind(2, core::resilience::to_string(s.state));
    q.bind(3, s.recent_failures);
    q.bind(4, s.total_failures);
    q.bind(5, s.total_successes);
    q.bind(6, s.rejected);
    if (s.opened_at) {
        q.bind(7, to_ms(*s.opened_at));
    }
    if (s.retry_at) {
        q.bind(8, to_ms(*s.retry_at));
    }
    q.exec();
}

void SqliteStore::delete_breaker(const std::string& name) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(*m_db, "DELETE FROM breakers WHERE name = ?");
    q.bind(1, name);
    q.exec();
}

namespace {
std::int64_t now_ms() {
    return to_ms(std::chrono::system_clock::now());
}
}  // namespace

std::int64_t SqliteStore::queue_publish(const std::string& target, const core::Article& article,
                                        core::WallTime next_attempt_at, const std::string& error) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(
        *m_db,
        "INSERT INTO publish_queue (target, slug, article, next_attempt_at, last_error, "
        "created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target, slug) WHERE state = "
        "'pending' "
        "DO UPDATE SET article = excluded.article, next_attempt_at = excluded.next_attempt_at, "
        "last_error = excluded.last_error, updated_at = excluded.updated_at RETURNING id");
    q.bind(1, target);
    q.bind(2, article.slug);
    q.bind(3, core::article_to_json(article));
    q.bind(4, to_ms(next_attempt_at));
    q.bind(5, error);
    q.bind(6, now_ms());
    q.bind(7, now_ms());
    q.executeStep();
    return q.getColumn(0).getInt64();
}

namespace {
std::vector<core::resilience::QueuedPublish> read_queue(SQLite::Statement& q) {
    std::vector<core::resilience::QueuedPublish> out;
    while (q.executeStep()) {
        core::resilience::QueuedPublish item;
        item.id = q.getColumn(0).getInt64();
        item.target = q.getColumn(1).getString();
        if (auto article = core::article_from_json(q.getColumn(2).getString())) {
            item.article = std::move(*article);
        }
        item.attempts = q.getColumn(3).getInt();
        item.next_attempt_at = from_ms(q.getColumn(4).getInt64());
        item.last_error = q.getColumn(5).getString();
        out.push_back(std::move(item));
    }
    return out;
}
}  // namespace

std::vector<core::resilience::QueuedPublish> SqliteStore::due_publishes(const std::string& target,
                                                                        core::WallTime now,
                                                                        int limit) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(
        *m_db,
        "SELECT id, target, article, attempts, next_attempt_at, last_error FROM publish_queue "
        "WHERE state = 'pending' AND target = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, "
        "id "
        "LIMIT ?");
    q.bind(1, target);
    q.bind(2, to_ms(now));
    q.bind(3, limit);
    return read_queue(q);
}

std::vector<core::resilience::QueuedPublish> SqliteStore::pending_publishes(
    const std::string& target) {
    // Every pending item is due by the end of time; LIMIT -1 means no limit in SQLite.
    return due_publishes(target, core::WallTime::max(), -1);
}

void SqliteStore::publish_done(std::int64_t id, const std::string& location) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(
        *m_db,
        "UPDATE publish_queue SET state = 'done', location = ?, updated_at = ? WHERE id = ?");
    q.bind(1, location);
    q.bind(2, now_ms());
    q.bind(3, id);
    q.exec();
}

void SqliteStore::publish_retry(std::int64_t id, int attempts, core::WallTime next_attempt_at,
                                const std::string& error) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(*m_db,
                        "UPDATE publish_queue SET attempts = ?, next_attempt_at = ?, last_error = "
                        "?, updated_at = ? "
                        "WHERE id = ?");
    q.bind(1, attempts);
    q.bind(2, to_ms(next_attempt_at));
    q.bind(3, error);
    q.bind(4, now_ms());
    q.bind(5, id);
    q.exec();
}

void SqliteStore::publish_gave_up(std::int64_t id, const std::string& error) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(
        *m_db,
        "UPDATE publish_queue SET state = 'gave_up', last_error = ?, updated_at = ? WHERE id = ?");
    q.bind(1, error);
    q.bind(2, now_ms());
    q.bind(3, id);
    q.exec();
}

}  // namespace sota::adapters
