// The job tables of SqliteStore: jobs, step checkpoints and events (schema migration 3).
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <cstring>

#include "adapters/recent.hpp"
#include "adapters/sqlite_store.hpp"
#include "adapters/sqlite_time.hpp"
#include "core/fiber.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"

namespace sota::adapters {

using core::pipeline::Checkpoint;
using core::pipeline::Event;
using core::pipeline::JobRecord;
using nlohmann::json;

namespace {

core::Unexpected store_error(const std::string& what, const std::exception& e) {
    return core::fail(core::ErrorKind::io, "store.write",
                      "cannot " + what + " in the job database: " + e.what(), true);
}

std::string dump_or_null(const json& value) {
    return value.is_null() ? std::string() : core::dump_json(value);
}

json parse_or_null(const SQLite::Column& column) {
    if (column.isNull()) {
        return nullptr;
    }
    return core::parse_json(column.getString());
}

/// How a job's workflow column names a document of the workflows table.
constexpr const char* k_workflow_ref = "sha256:";

constexpr const char* k_job_columns =
    "SELECT id, spec, workflow, state, current_step, attempts, error, result, created_at, "
    "updated_at, owner_pid, queue, priority, idempotency_key, batch_id, retry_at, waiting_for, "
    "retries, waited_ms FROM jobs ";

/// The same columns and the job's progress, summed over its checkpoints (what a client is shown;
/// claims and batch counts need none of it).
constexpr const char* k_job_columns_with_progress =
    "SELECT id, spec, workflow, state, current_step, attempts, error, result, created_at, "
    "updated_at, owner_pid, queue, priority, idempotency_key, batch_id, retry_at, waiting_for, "
    "retries, waited_ms, "
    "(SELECT COUNT(*) FROM checkpoints c WHERE c.job_id = jobs.id), "
    "(SELECT COALESCE(SUM(json_extract(c.usage, '$.input_tokens') + "
    "json_extract(c.usage, '$.output_tokens')), 0) FROM checkpoints c WHERE c.job_id = jobs.id), "
    "(SELECT TOTAL(json_extract(c.usage, '$.cost_usd')) FROM checkpoints c "
    "WHERE c.job_id = jobs.id) FROM jobs ";

}  // namespace

SqliteStore::KnownWorkflow& SqliteStore::known_workflow_locked(std::string column) {
    const bool is_ref = column.rfind(k_workflow_ref, 0) == 0;
    if (auto* known = find_recent(m_workflows, [&](const KnownWorkflow& k) {
            return is_ref ? k.ref == column : k.text == column;
        })) {
        return *known;
    }
    KnownWorkflow known;
    if (is_ref) {
        SQLite::Statement& q = cached_locked("SELECT doc FROM workflows WHERE digest = ?");
        q.bind(1, column.substr(std::strlen(k_workflow_ref)));
        known.text = q.executeStep() ? q.getColumn(0).getString() : "null";  // a lost document
        known.ref = std::move(column);
    } else {
        known.text = std::move(column);
    }
    json parsed = core::parse_json(known.text);
    if (parsed.is_object()) {
        known.doc = std::make_shared<const json>(std::move(parsed));
    }
    return add_recent(m_workflows, std::move(known));
}

std::string SqliteStore::workflow_ref_locked(const std::shared_ptr<const json>& doc) {
    KnownWorkflow& known = known_workflow_locked(doc);
    if (known.ref.empty()) {
        known.ref = k_workflow_ref + core::sha256_hex(known.text);
    }
    // Every insert says so again: a transaction that stored it may have been rolled back.
    SQLite::Statement& q =
        cached_locked("INSERT OR IGNORE INTO workflows (digest, doc) VALUES (?, ?)");
    q.bindNoCopy(1, known.ref.c_str() + std::strlen(k_workflow_ref));
    q.bindNoCopy(2, known.text);
    q.exec();
    return known.ref;
}

SqliteStore::KnownWorkflow& SqliteStore::known_workflow_locked(
    const std::shared_ptr<const json>& doc) {
    // The jobs of a batch share one document: the pointer usually answers.
    if (auto* known = find_recent(m_workflows, [&](const KnownWorkflow& k) {
            return k.doc == doc || (k.doc && *k.doc == *doc);
        })) {
        return *known;
    }
    return add_recent(m_workflows, KnownWorkflow{doc->dump(), doc, ""});
}

JobRecord SqliteStore::job_from_row_locked(SQLite::Statement& q) {
    JobRecord job;
    job.id = q.getColumn(0).getString();
    auto spec = core::pipeline::spec_from_json(core::parse_json(q.getColumn(1).getString()));
    if (spec) {
        job.spec = std::move(*spec);
    }
    if (q.getColumn(2).isNull()) {
        job.workflow = nullptr;
    } else {
        job.workflow = known_workflow_locked(q.getColumn(2).getString()).doc;
    }
    job.state = core::pipeline::job_state_from_string(q.getColumn(3).getString())
                    .value_or(core::pipeline::JobState::failed);
    job.current_step = q.getColumn(4).getString();
    job.attempts = q.getColumn(5).getInt();
    job.error = parse_or_null(q.getColumn(6));
    job.result = parse_or_null(q.getColumn(7));
    job.created_at = from_ms(q.getColumn(8).getInt64());
    job.updated_at = from_ms(q.getColumn(9).getInt64());
    job.owner_pid = q.getColumn(10).getInt64();
    job.queue = q.getColumn(11).getString();
    job.priority = q.getColumn(12).getInt();
    job.idempotency_key = q.getColumn(13).isNull() ? "" : q.getColumn(13).getString();
    job.batch_id = q.getColumn(14).isNull() ? "" : q.getColumn(14).getString();
    if (!q.getColumn(15).isNull()) {
        job.retry_at = from_ms(q.getColumn(15).getInt64());
    }
    job.waiting_for = q.getColumn(16).getString();
    job.retries = q.getColumn(17).getInt();
    job.waited_ms = q.getColumn(18).getInt64();
    if (q.getColumnCount() > 21) {
        job.progress.steps_done = q.getColumn(19).getInt();
        job.progress.tokens = q.getColumn(20).getInt64();
        job.progress.cost_usd = q.getColumn(21).getDouble();
    }
    return job;
}

struct SqliteStore::Group {
    core::SteadyTime opened;
    core::Signal committed;
    core::Status status;
};

void SqliteStore::commit_group_locked() {
    if (!m_group) {
        return;
    }
    const auto group = std::move(m_group);
    ++m_group_stats.commits;
    try {
        flush_events_locked();
        cached_locked("COMMIT").exec();
    } catch (const std::exception& e) {
        group->status = store_error("commit", e);
        if (!sqlite3_get_autocommit(m_db->getHandle())) {
            try {
                m_db->exec("ROLLBACK");
            } catch (const std::exception&) {
                // nothing more to undo
            }
        }
    }
    group->committed.notify();
}

core::Status SqliteStore::group_write(std::unique_lock<std::mutex>& lock, const std::string& what,
                                      const std::function<void()>& write) {
    bool leader = false;
    if (!m_group) {
        try {
            cached_locked("BEGIN").exec();
        } catch (const std::exception& e) {
            return store_error(what, e);
        }
        m_group = std::make_shared<Group>();
        m_group->opened = std::chrono::steady_clock::now();
        leader = true;
    }
    const auto group = m_group;
    ++m_group_stats.writes;
    core::Status mine;
    try {
        write();
    } catch (const std::exception& e) {
        mine = store_error(what, e);
        if (sqlite3_get_autocommit(m_db->getHandle())) {
            // The error rolled the whole transaction back: the group is lost.
            m_group.reset();
            group->status = mine;
            group->committed.notify();
            return mine;
        }
    }
    if (leader) {
        if (core::on_fiber()) {
            // The writes of the commit window join this one; their fibers then go on together,
            // so their next requests and answers come in bunches too (see commit_window).
            lock.unlock();
            core::sleep_until(group->opened + m_commit_window);
            lock.lock();
        }
        if (m_group == group) {
            commit_group_locked();
        }
    } else {
        lock.unlock();
        group->committed.wait();
        lock.lock();
    }
    if (!mine) {
        return mine;
    }
    return group->status;
}

void SqliteStore::set_commit_window(std::chrono::microseconds window) {
    std::lock_guard lock(m_mutex);
    m_commit_window = window;
}

SqliteStore::GroupStats SqliteStore::group_stats() const {
    std::lock_guard lock(m_mutex);
    return m_group_stats;
}

void SqliteStore::insert_job_locked(const JobRecord& job) {
    SQLite::Statement& q = cached_locked(
        "INSERT INTO jobs (id, keyword, workflow_name, spec, workflow, state, "
        "current_step, attempts, created_at, updated_at, owner_pid, queue, "
        "priority, idempotency_key, batch_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, job.id);
    q.bind(2, job.spec.keyword);
    q.bind(3, job.spec.workflow);
    q.bind(4, core::dump_json(core::pipeline::to_json(job.spec)));
    if (job.workflow) {
        q.bind(5, workflow_ref_locked(job.workflow));
    } else {
        q.bind(5, "null");
    }
    q.bind(6, core::pipeline::to_string(job.state));
    q.bind(7, job.current_step);
    q.bind(8, job.attempts);
    q.bind(9, to_ms(job.created_at));
    q.bind(10, to_ms(job.updated_at));
    q.bind(11, job.owner_pid);
    q.bind(12, job.queue);
    q.bind(13, job.priority);
    if (job.idempotency_key.empty()) {
        q.bind(14);
    } else {
        q.bind(14, job.idempotency_key);
    }
    if (job.batch_id.empty()) {
        q.bind(15);
    } else {
        q.bind(15, job.batch_id);
    }
    q.exec();
}

core::Status SqliteStore::create_job(const JobRecord& job) {
    std::lock_guard lock(m_mutex);
    try {
        insert_job_locked(job);
    } catch (const std::exception& e) {
        return store_error("add job " + job.id, e);
    }
    return {};
}

core::Status SqliteStore::create_jobs(const std::vector<JobRecord>& jobs) {
    std::lock_guard lock(m_mutex);
    commit_group_locked();
    try {
        SQLite::Transaction tx(*m_db);
        for (const auto& job : jobs) {
            insert_job_locked(job);
        }
        tx.commit();
    } catch (const std::exception& e) {
        return store_error("add a batch of " + std::to_string(jobs.size()) + " jobs", e);
    }
    return {};
}

std::optional<JobRecord> SqliteStore::get_job(const std::string& id) {
    std::lock_guard lock(m_mutex);
    static const std::string sql = std::string(k_job_columns_with_progress) + "WHERE id = ?";
    SQLite::Statement& q = cached_locked(sql.c_str());
    q.bind(1, id);
    std::optional<JobRecord> job;
    if (q.executeStep()) {
        job = job_from_row_locked(q);
    }
    q.reset();  // a statement left open would hold its read snapshot
    return job;
}

std::vector<JobRecord> SqliteStore::recent_jobs(int limit) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(*m_db, std::string(k_job_columns_with_progress) +
                                   "ORDER BY created_at DESC, id DESC LIMIT ?");
    q.bind(1, limit);
    std::vector<JobRecord> jobs;
    while (q.executeStep()) {
        jobs.push_back(job_from_row_locked(q));
    }
    return jobs;
}

core::Status SqliteStore::update_job(const JobRecord& job) {
    return write_job(job, true);
}

core::Status SqliteStore::update_job_keeping_state(const JobRecord& job) {
    return write_job(job, false);
}

core::Status SqliteStore::write_job(const JobRecord& job, bool with_state) {
    std::unique_lock lock(m_mutex);
    bool found = true;
    auto written = group_write(lock, "update job " + job.id, [&] {
        flush_events_locked();
        // Without the state, no index entry of the job moves and no count changes. A run that
        // ends in a recorded outcome (any state but running or validating) clears the count
        // of runs that did not.
        SQLite::Statement& q = cached_locked(
            with_state
                ? "UPDATE jobs SET current_step = ?1, attempts = ?2, error = ?3, result = ?4, "
                  "updated_at = ?5, owner_pid = ?6, retry_at = ?7, waiting_for = ?8, "
                  "retries = ?9, waited_ms = ?10, state = ?12, unfinished_runs = CASE WHEN ?12 "
                  "IN ('running', 'validating') THEN unfinished_runs ELSE 0 END WHERE id = ?11"
                : "UPDATE jobs SET current_step = ?1, attempts = ?2, error = ?3, result = ?4, "
                  "updated_at = ?5, owner_pid = ?6, retry_at = ?7, waiting_for = ?8, "
                  "retries = ?9, waited_ms = ?10 WHERE id = ?11");
        q.bind(1, job.current_step);
        q.bind(2, job.attempts);
        const std::string error = dump_or_null(job.error);
        const std::string result = dump_or_null(job.result);
        if (error.empty()) {
            q.bind(3);
        } else {
            q.bind(3, error);
        }
        if (result.empty()) {
            q.bind(4);
        } else {
            q.bind(4, result);
        }
        q.bind(5, to_ms(job.updated_at));
        q.bind(6, job.owner_pid);
        if (job.retry_at) {
            q.bind(7, to_ms(*job.retry_at));
        } else {
            q.bind(7);
        }
        q.bindNoCopy(8, job.waiting_for);
        q.bind(9, job.retries);
        q.bind(10, static_cast<std::int64_t>(job.waited_ms));
        q.bindNoCopy(11, job.id);
        if (with_state) {
            q.bindNoCopy(12, core::pipeline::to_string(job.state));
        }
        found = q.exec() > 0;
    });
    if (written && !found) {
        return core::fail(core::ErrorKind::not_found, "job.not_found",
                          "no job " + job.id + " in the job database");
    }
    return written;
}

core::Status SqliteStore::save_checkpoint(const std::string& job_id, const Checkpoint& c) {
    std::unique_lock lock(m_mutex);
    return group_write(lock, "save the checkpoint of step " + c.step, [&] {
        flush_events_locked();
        SQLite::Statement& q = cached_locked(
            "INSERT OR REPLACE INTO checkpoints (job_id, step, artifacts, usage, duration_ms, "
            "finished_at) VALUES (?, ?, ?, ?, ?, ?)");
        // Texts are bound without a copy (they outlive exec()): a step's artifacts are a whole
        // article.
        const std::string artifacts = core::dump_json(c.artifacts);
        const std::string usage = core::dump_json(c.usage);
        q.bindNoCopy(1, job_id);
        q.bindNoCopy(2, c.step);
        q.bindNoCopy(3, artifacts);
        q.bindNoCopy(4, usage);
        q.bind(5, c.duration_ms);
        q.bind(6, to_ms(c.finished_at));
        q.exec();
    });
}

std::vector<Checkpoint> SqliteStore::checkpoints(const std::string& job_id) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement& q = cached_locked(
        "SELECT step, artifacts, usage, duration_ms, finished_at FROM checkpoints "
        "WHERE job_id = ? ORDER BY finished_at, step");
    q.bind(1, job_id);
    std::vector<Checkpoint> out;
    while (q.executeStep()) {
        Checkpoint c;
        c.step = q.getColumn(0).getString();
        c.artifacts = parse_or_null(q.getColumn(1));
        c.usage = parse_or_null(q.getColumn(2));
        c.duration_ms = q.getColumn(3).getInt64();
        c.finished_at = from_ms(q.getColumn(4).getInt64());
        out.push_back(std::move(c));
    }
    return out;
}

core::Status SqliteStore::drop_checkpoint(const std::string& job_id, const std::string& step) {
    std::lock_guard lock(m_mutex);
    try {
        SQLite::Statement q(*m_db, "DELETE FROM checkpoints WHERE job_id = ? AND step = ?");
        q.bind(1, job_id);
        q.bind(2, step);
        q.exec();
    } catch (const std::exception& e) {
        return store_error("drop the checkpoint of step " + step, e);
    }
    return {};
}

std::int64_t SqliteStore::append_event(const Event& event) {
    return append_event_json(event, core::dump_json(event.data));
}

std::int64_t SqliteStore::append_event_json(const Event& event, std::string data_json) {
    std::unique_lock lock(m_mutex);
    m_pending_events.push_back(
        {event.job_id, event.type, event.step, event.time, std::move(data_json)});
    if (m_pending_events.size() < 256) {
        return 0;  // written with the next checkpoint, job update, read or flush
    }
    std::int64_t seq = 0;
    // The log is best effort; the checkpoints are what resume relies on.
    (void)group_write(lock, "write events", [&] {
        flush_events_locked();
        seq = m_db->getLastInsertRowid();
    });
    return seq;
}

core::Status SqliteStore::flush_events() {
    std::unique_lock lock(m_mutex);
    if (m_pending_events.empty()) {
        return {};
    }
    return group_write(lock, "write events", [&] { flush_events_locked(); });
}

void SqliteStore::flush_events_locked() {
    for (const auto& event : m_pending_events) {
        SQLite::Statement& q = cached_locked(
            "INSERT INTO events (job_id, type, step, time, data) VALUES (?, ?, ?, ?, ?)");
        q.bindNoCopy(1, event.job_id);  // the texts outlive exec()
        q.bindNoCopy(2, core::pipeline::to_string(event.type));
        q.bindNoCopy(3, event.step);
        q.bind(4, to_ms(event.time));
        q.bindNoCopy(5, event.data);
        q.exec();
    }
    m_pending_events.clear();
}

std::vector<Event> SqliteStore::events(const std::string& job_id, std::int64_t after_seq,
                                       int limit) {
    std::lock_guard lock(m_mutex);
    if (!m_pending_events.empty()) {
        try {
            if (m_group) {
                flush_events_locked();  // read back at once, committed with the group
            } else {
                SQLite::Transaction tx(*m_db);
                flush_events_locked();
                tx.commit();
            }
        } catch (const std::exception&) {
            m_pending_events.clear();  // best effort, as when they were appended
        }
    }
    SQLite::Statement q(*m_db,
                        "SELECT seq, type, step, time, data FROM events WHERE job_id = ? AND seq > "
                        "? ORDER BY seq LIMIT ?");
    q.bind(1, job_id);
    q.bind(2, after_seq);
    q.bind(3, limit);
    std::vector<Event> out;
    while (q.executeStep()) {
        Event e;
        e.seq = q.getColumn(0).getInt64();
        e.job_id = job_id;
        e.type = core::pipeline::event_type_from_string(q.getColumn(1).getString())
                     .value_or(core::pipeline::EventType::log);
        e.step = q.getColumn(2).getString();
        e.time = from_ms(q.getColumn(3).getInt64());
        e.data = parse_or_null(q.getColumn(4));
        out.push_back(std::move(e));
    }
    return out;
}

std::optional<JobRecord> SqliteStore::find_by_idempotency_key(const std::string& key) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(*m_db, std::string(k_job_columns) + "WHERE idempotency_key = ?");
    q.bind(1, key);
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return job_from_row_locked(q);
}

namespace {

// The queued standard groups (each batch, and single jobs as ''), with each one's highest
// priority. The batches are found by skipping through the jobs_waiting index from one batch id
// to the next, so this costs a few index seeks per batch however many jobs are queued.
constexpr const char* k_waiting_groups =
    "WITH RECURSIVE batches(g) AS ("
    " SELECT (SELECT MIN(batch_id) FROM jobs WHERE state = 'queued' AND queue = 'standard'"
    "  AND batch_id IS NOT NULL)"
    " UNION ALL"
    " SELECT (SELECT MIN(batch_id) FROM jobs WHERE state = 'queued' AND queue = 'standard'"
    "  AND batch_id > batches.g) FROM batches WHERE batches.g IS NOT NULL), "
    "waiting AS ("
    " SELECT g, (SELECT MAX(priority) FROM jobs WHERE state = 'queued' AND queue = 'standard'"
    "  AND batch_id = batches.g) AS p FROM batches WHERE g IS NOT NULL"
    " UNION ALL"
    " SELECT '', (SELECT MAX(priority) FROM jobs WHERE state = 'queued' AND queue = 'standard'"
    "  AND batch_id IS NULL))";

// Up to two waiting groups: with only one, fairness has nothing to weigh.
const char* two_waiting_groups_sql() {
    static const std::string sql =
        std::string(k_waiting_groups) + " SELECT g, p FROM waiting WHERE p IS NOT NULL LIMIT 2";
    return sql.c_str();
}

// The group to serve: the highest priority, then the fewest jobs running (counted from the
// jobs_active index alone), then by name.
const char* fair_group_sql() {
    static const std::string sql =
        std::string(k_waiting_groups) +
        ", busy AS (SELECT COALESCE(batch_id, '') AS g, COUNT(*) AS n FROM jobs INDEXED BY "
        "jobs_active WHERE state IN ('running', 'validating') GROUP BY batch_id) "
        "SELECT waiting.g, waiting.p FROM waiting LEFT JOIN busy USING (g) "
        "WHERE waiting.p IS NOT NULL ORDER BY waiting.p DESC, COALESCE(busy.n, 0), waiting.g "
        "LIMIT 1";
    return sql.c_str();
}

}  // namespace

std::optional<JobRecord> SqliteStore::claim_next_job(std::int64_t owner_pid, core::WallTime now,
                                                     bool allow_standard) {
    auto jobs = claim_jobs(owner_pid, now, 1, allow_standard ? 1 : 0);
    if (jobs.empty()) {
        return std::nullopt;
    }
    return std::move(jobs.front());
}

std::vector<JobRecord> SqliteStore::claim_jobs(std::int64_t owner_pid, core::WallTime now,
                                               int max_jobs, int max_standard) {
    std::unique_lock lock(m_mutex);
    std::vector<JobRecord> jobs;
    // The claims join the group commit: they are settled once this returns, and another
    // process cannot take the same jobs (its write waits for ours, then finds them running).
    auto claimed = group_write(lock, "claim jobs", [&] {
        int standard = 0;
        bool urgent_left = true;
        while (static_cast<int>(jobs.size()) < max_jobs) {
            const int room = max_jobs - static_cast<int>(jobs.size());
            auto more = claim_locked(owner_pid, now, urgent_left, room,
                                     std::min(room, max_standard - standard));
            if (more.jobs.empty()) {
                break;
            }
            urgent_left = more.urgent_left;
            for (auto& job : more.jobs) {
                standard += job.queue == "standard" ? 1 : 0;
                jobs.push_back(std::move(job));
            }
        }
    });
    if (!claimed) {
        return {};
    }
    return jobs;
}

SqliteStore::Claimed SqliteStore::claim_locked(std::int64_t owner_pid, core::WallTime now,
                                               bool urgent_left, int max_jobs, int max_standard) {
    Claimed out;
    // Rows are read first, then claimed: a statement does not scan rows while they change.
    auto read_rows = [&](SQLite::Statement& q) {
        while (q.executeStep()) {
            out.jobs.push_back(job_from_row_locked(q));
        }
        q.reset();
    };
    if (urgent_left) {
        static const std::string urgent_sql = std::string(k_job_columns) +
                                              "WHERE state = 'queued' AND queue = 'priority' "
                                              "ORDER BY priority DESC, created_at, id LIMIT ?";
        SQLite::Statement& urgent = cached_locked(urgent_sql.c_str());
        urgent.bind(1, max_jobs);
        read_rows(urgent);
        // Fewer than asked: none is left (no job is added while the claim holds the lock).
        out.urgent_left = static_cast<int>(out.jobs.size()) == max_jobs;
    }
    if (out.jobs.empty() && max_standard > 0) {
        // Fairness: among the groups with queued jobs (each batch, and single jobs together),
        // the highest priority first, then the group with the fewest jobs running. Counting
        // the running jobs is the costly part, and only done when more than one group waits;
        // with one group waiting, its jobs are taken as many at a time as there is room for.
        std::vector<std::pair<std::string, int>> waiting;
        SQLite::Statement& groups = cached_locked(two_waiting_groups_sql());
        while (groups.executeStep()) {
            waiting.emplace_back(groups.getColumn(0).getString(), groups.getColumn(1).getInt());
        }
        groups.reset();
        int take = max_standard;
        if (waiting.size() > 1) {
            SQLite::Statement& fair = cached_locked(fair_group_sql());
            waiting.clear();
            if (fair.executeStep()) {
                waiting.emplace_back(fair.getColumn(0).getString(), fair.getColumn(1).getInt());
            }
            fair.reset();
            take = 1;  // the counts change with each claim
        }
        if (!waiting.empty()) {
            const auto& [g, p] = waiting.front();
            static const std::string pick_batch_sql =
                std::string(k_job_columns) +
                "WHERE state = 'queued' AND queue = 'standard' AND batch_id = ? AND priority = ? "
                "ORDER BY created_at, id LIMIT ?";
            static const std::string pick_single_sql =
                std::string(k_job_columns) +
                "WHERE state = 'queued' AND queue = 'standard' AND batch_id IS NULL AND "
                "priority = ? ORDER BY created_at, id LIMIT ?";
            SQLite::Statement& pick =
                cached_locked(g.empty() ? pick_single_sql.c_str() : pick_batch_sql.c_str());
            if (g.empty()) {
                pick.bind(1, p);
                pick.bind(2, take);
            } else {
                pick.bind(1, g);
                pick.bind(2, p);
                pick.bind(3, take);
            }
            read_rows(pick);
        }
    }
    SQLite::Statement& claim = cached_locked(
        "UPDATE jobs SET state = 'running', owner_pid = ?, updated_at = ?, "
        "unfinished_runs = unfinished_runs + 1 WHERE id = ? AND state = 'queued'");
    std::vector<JobRecord> taken;
    for (auto& job : out.jobs) {
        claim.bind(1, owner_pid);
        claim.bind(2, to_ms(now));
        claim.bind(3, job.id);
        const bool mine = claim.exec() == 1;
        claim.reset();
        if (mine) {
            job.state = core::pipeline::JobState::running;
            job.owner_pid = owner_pid;
            taken.push_back(std::move(job));
        }
    }
    out.jobs = std::move(taken);
    return out;
}

std::vector<JobRecord> SqliteStore::batch_jobs(const std::string& batch_id) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(*m_db, std::string(k_job_columns) + "WHERE batch_id = ? ORDER BY rowid");
    q.bind(1, batch_id);
    std::vector<JobRecord> jobs;
    while (q.executeStep()) {
        jobs.push_back(job_from_row_locked(q));
    }
    return jobs;
}

int SqliteStore::requeue_abandoned(std::int64_t owner_pid) {
    std::lock_guard lock(m_mutex);
    commit_group_locked();
    SQLite::Statement q(*m_db,
                        "UPDATE jobs SET state = 'queued', owner_pid = 0 "
                        "WHERE state IN ('running', 'validating') "
                        "AND owner_pid != ?");
    q.bind(1, owner_pid);
    return q.exec();
}

std::vector<JobRecord> SqliteStore::quarantine_abandoned(std::int64_t owner_pid, core::WallTime now,
                                                         int max_runs) {
    std::lock_guard lock(m_mutex);
    commit_group_locked();
    std::vector<JobRecord> jobs;
    try {
        SQLite::Transaction tx(*m_db);
        static const std::string sql = std::string(k_job_columns) +
                                       "WHERE state IN ('running', 'validating') AND "
                                       "owner_pid != ? AND unfinished_runs >= ?";
        SQLite::Statement q(*m_db, sql);
        q.bind(1, owner_pid);
        q.bind(2, max_runs);
        while (q.executeStep()) {
            jobs.push_back(job_from_row_locked(q));
        }
        SQLite::Statement mark(*m_db,
                               "UPDATE jobs SET state = 'failed', owner_pid = 0, error = ?, "
                               "updated_at = ?, unfinished_runs = 0 WHERE id = ?");
        for (auto& job : jobs) {
            const std::string step =
                job.current_step.empty() ? "" : " (last during step " + job.current_step + ")";
            job.state = core::pipeline::JobState::failed;
            job.owner_pid = 0;
            job.updated_at = now;
            job.error = {
                {"kind", "internal"},
                {"code", "job.poison"},
                {"message", "the job was started " + std::to_string(max_runs) +
                                " times and each time the daemon running it died before it "
                                "ended" +
                                step +
                                ", so it is not started again automatically; look at "
                                "sotad's log, then retry it deliberately with `sota retry " +
                                job.id + "`"},
                {"retryable", false}};
            mark.bind(1, core::dump_json(job.error));
            mark.bind(2, to_ms(now));
            mark.bind(3, job.id);
            mark.exec();
            mark.reset();
        }
        tx.commit();
    } catch (const std::exception&) {
        return {};  // left to be requeued; the next start looks again
    }
    return jobs;
}

int SqliteStore::wake_waiting(core::WallTime now) {
    std::unique_lock lock(m_mutex);
    {
        // Most of the time nothing is due: one read of the jobs_parked index, no write.
        SQLite::Statement& due = cached_locked(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'waiting' AND retry_at <= ?)");
        due.bind(1, to_ms(now));
        const bool any = due.executeStep() && due.getColumn(0).getInt() != 0;
        due.reset();
        if (!any) {
            return 0;
        }
    }
    int woken = 0;
    auto written = group_write(lock, "queue waiting jobs", [&] {
        SQLite::Statement& q = cached_locked(
            "UPDATE jobs SET state = 'queued' WHERE state = 'waiting' AND retry_at <= ?");
        q.bind(1, to_ms(now));
        woken = q.exec();
    });
    return written ? woken : 0;
}

std::map<std::string, std::int64_t> SqliteStore::waiting_jobs() {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(*m_db,
                        "SELECT waiting_for, COUNT(*) FROM jobs WHERE state = 'waiting' "
                        "GROUP BY waiting_for");
    std::map<std::string, std::int64_t> counts;
    while (q.executeStep()) {
        counts[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    }
    return counts;
}

std::vector<JobRecord> SqliteStore::list_jobs(const JobFilter& filter) {
    std::lock_guard lock(m_mutex);
    std::string sql = std::string(k_job_columns_with_progress) + "WHERE 1 = 1";
    if (!filter.state.empty()) {
        sql += " AND state = :state";
    }
    if (!filter.workflow.empty()) {
        sql += " AND workflow_name = :workflow";
    }
    if (!filter.batch.empty()) {
        sql += " AND batch_id = :batch";
    }
    if (!filter.keyword.empty()) {
        sql += " AND keyword LIKE :keyword ESCAPE '\\'";
    }
    if (filter.since) {
        sql += " AND created_at >= :since";
    }
    if (!filter.before_id.empty()) {
        sql += " AND id < :before";
    }
    sql += " ORDER BY id DESC LIMIT :limit";
    SQLite::Statement q(*m_db, sql);
    if (!filter.state.empty()) {
        q.bind(":state", filter.state);
    }
    if (!filter.workflow.empty()) {
        q.bind(":workflow", filter.workflow);
    }
    if (!filter.batch.empty()) {
        q.bind(":batch", filter.batch);
    }
    if (!filter.keyword.empty()) {
        std::string pattern;
        for (char c : filter.keyword) {
            if (c == '%' || c == '_' || c == '\\') {
                pattern.push_back('\\');
            }
            pattern.push_back(c);
        }
        q.bind(":keyword", "%" + pattern + "%");
    }
    if (filter.since) {
        q.bind(":since", to_ms(*filter.since));
    }
    if (!filter.before_id.empty()) {
        q.bind(":before", filter.before_id);
    }
    q.bind(":limit", filter.limit);
    std::vector<JobRecord> jobs;
    while (q.executeStep()) {
        jobs.push_back(job_from_row_locked(q));
    }
    return jobs;
}

std::map<std::string, std::int64_t> SqliteStore::job_counts() {
    std::lock_guard lock(m_mutex);
    // Kept up to date by triggers on the jobs table (migration 10).
    SQLite::Statement& q =
        cached_locked("SELECT state, jobs FROM job_state_counts WHERE jobs > 0 ORDER BY state");
    std::map<std::string, std::int64_t> counts;
    while (q.executeStep()) {
        counts[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    }
    return counts;
}

}  // namespace sota::adapters
