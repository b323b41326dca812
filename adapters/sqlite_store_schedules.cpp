// The schedule tables of SqliteStore (schema migration 6).
#include <SQLiteCpp/SQLiteCpp.h>

#include <nlohmann/json.hpp>

#include "adapters/sqlite_store.hpp"
#include "adapters/sqlite_time.hpp"
#include "core/text.hpp"

namespace sota::adapters {

using core::schedule::Schedule;
using core::schedule::ScheduleRun;
using nlohmann::json;

namespace {

constexpr const char* k_schedule_columns =
    "SELECT id, name, cron, tz, command, missed, paused, created_at, next_run_at, cwd "
    "FROM schedules ";

Schedule schedule_from_row(SQLite::Statement& q) {
    Schedule s;
    s.id = q.getColumn(0).getString();
    s.name = q.getColumn(1).getString();
    s.cron = q.getColumn(2).getString();
    s.tz = q.getColumn(3).getString();
    const json command = core::parse_json(q.getColumn(4).getString());
    if (command.is_array()) {
        s.command = command.get<std::vector<std::string>>();
    }
    s.missed = core::schedule::missed_from_string(q.getColumn(5).getString())
                   .value_or(core::schedule::Missed::once);
    s.paused = q.getColumn(6).getInt() != 0;
    s.created_at = from_ms(q.getColumn(7).getInt64());
    s.next_run_at = from_ms(q.getColumn(8).getInt64());
    s.cwd = q.getColumn(9).getString();
    return s;
}

constexpr const char* k_run_columns =
    "SELECT id, schedule_id, kind, scheduled_for, started_at, ended_at, outcome, exit_code, pid, "
    "log, batch_id FROM schedule_runs ";

ScheduleRun run_from_row(SQLite::Statement& q) {
    ScheduleRun r;
    r.id = q.getColumn(0).getInt64();
    r.schedule_id = q.getColumn(1).getString();
    r.trigger = q.getColumn(2).getString();
    r.scheduled_for = from_ms(q.getColumn(3).getInt64());
    r.started_at = from_ms(q.getColumn(4).getInt64());
    if (!q.getColumn(5).isNull()) {
        r.ended_at = from_ms(q.getColumn(5).getInt64());
    }
    r.outcome = q.getColumn(6).getString();
    r.exit_code = q.getColumn(7).getInt();
    r.pid = q.getColumn(8).getInt64();
    r.log = q.getColumn(9).getString();
    r.batch_id = q.getColumn(10).getString();
    return r;
}

}  // namespace

core::Status SqliteStore::add_schedule(const Schedule& s) {
    std::lock_guard lock(m_mutex);
    try {
        if (!s.name.empty()) {
            SQLite::Statement taken(*m_db, "SELECT id FROM schedules WHERE name = ?");
            taken.bind(1, s.name);
            if (taken.executeStep()) {
                return core::fail(core::ErrorKind::provider, "schedule.name_taken",
                                  "a schedule named '" + s.name + "' exists (" +
                                      taken.getColumn(0).getString() +
                                      "); pick another --name or remove it first");
            }
        }
        SQLite::Statement q(*m_db,
                            "INSERT INTO schedules (id, name, cron, tz, command, missed, paused, "
                            "created_at, next_run_at, cwd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        q.bind(1, s.id);
        q.bind(2, s.name);
        q.bind(3, s.cron);
        q.bind(4, s.tz);
        q.bind(5, json(s.command).dump());
        q.bind(6, core::schedule::to_string(s.missed));
        q.bind(7, s.paused ? 1 : 0);
        q.bind(8, to_ms(s.created_at));
        q.bind(9, to_ms(s.next_run_at));
        q.bind(10, s.cwd);
        q.exec();
    } catch (const std::exception& e) {
        return core::fail(core::ErrorKind::io, "store.write",
                          std::string("cannot add the schedule to the job database: ") + e.what(),
                          true);
    }
    return {};
}

std::vector<Schedule> SqliteStore::schedules() {
    std::lock_guard lock(m_mutex);
    std::vector<Schedule> out;
    SQLite::Statement q(*m_db, std::string(k_schedule_columns) + "ORDER BY created_at, id");
    while (q.executeStep()) {
        out.push_back(schedule_from_row(q));
    }
    return out;
}

std::optional<Schedule> SqliteStore::find_schedule(const std::string& id_or_name) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(
        *m_db, std::string(k_schedule_columns) + "WHERE id = ? OR (name != '' AND name = ?)");
    q.bind(1, id_or_name);
    q.bind(2, id_or_name);
    if (!q.executeStep()) {
        return std::nullopt;
    }
    return schedule_from_row(q);
}

core::Status SqliteStore::update_schedule(const Schedule& s) {
    std::lock_guard lock(m_mutex);
    try {
        SQLite::Statement q(*m_db, "UPDATE schedules SET paused = ?, next_run_at = ? WHERE id = ?");
        q.bind(1, s.paused ? 1 : 0);
        q.bind(2, to_ms(s.next_run_at));
        q.bind(3, s.id);
        q.exec();
    } catch (const std::exception& e) {
        return core::fail(core::ErrorKind::io, "store.write",
                          "cannot save schedule " + s.id + ": " + e.what(), true);
    }
    return {};
}

bool SqliteStore::remove_schedule(const std::string& id) {
    std::lock_guard lock(m_mutex);
    commit_group_locked();
    SQLite::Transaction tx(*m_db);
    SQLite::Statement runs(*m_db, "DELETE FROM schedule_runs WHERE schedule_id = ?");
    runs.bind(1, id);
    runs.exec();
    SQLite::Statement q(*m_db, "DELETE FROM schedules WHERE id = ?");
    q.bind(1, id);
    const bool removed = q.exec() > 0;
    tx.commit();
    return removed;
}

std::int64_t SqliteStore::add_schedule_run(const ScheduleRun& r) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(
        *m_db,
        "INSERT INTO schedule_runs (schedule_id, kind, scheduled_for, started_at, "
        "ended_at, outcome, exit_code, pid, log, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, r.schedule_id);
    q.bind(2, r.trigger);
    q.bind(3, to_ms(r.scheduled_for));
    q.bind(4, to_ms(r.started_at));
    if (r.ended_at) {
        q.bind(5, to_ms(*r.ended_at));
    } else {
        q.bind(5);
    }
    q.bind(6, r.outcome);
    q.bind(7, r.exit_code);
    q.bind(8, r.pid);
    q.bind(9, r.log);
    q.bind(10, r.batch_id);
    q.exec();
    return m_db->getLastInsertRowid();
}

void SqliteStore::update_schedule_run(const ScheduleRun& r) {
    std::lock_guard lock(m_mutex);
    SQLite::Statement q(
        *m_db,
        "UPDATE schedule_runs SET ended_at = ?, outcome = ?, exit_code = ?, pid = ?, "
        "log = ?, batch_id = ? WHERE id = ?");
    if (r.ended_at) {
        q.bind(1, to_ms(*r.ended_at));
    } else {
        q.bind(1);
    }
    q.bind(2, r.outcome);
    q.bind(3, r.exit_code);
    q.bind(4, r.pid);
    q.bind(5, r.log);
    q.bind(6, r.batch_id);
    q.bind(7, r.id);
    q.exec();
}

std::vector<ScheduleRun> SqliteStore::schedule_runs(const std::string& schedule_id, int limit) {
    std::lock_guard lock(m_mutex);
    std::vector<ScheduleRun> out;
    SQLite::Statement q(
        *m_db, std::string(k_run_columns) + "WHERE schedule_id = ? ORDER BY id DESC LIMIT ?");
    q.bind(1, schedule_id);
    q.bind(2, limit);
    while (q.executeStep()) {
        out.push_back(run_from_row(q));
    }
    return out;
}

std::vector<ScheduleRun> SqliteStore::interrupt_schedule_runs(core::WallTime now) {
    std::lock_guard lock(m_mutex);
    commit_group_locked();  // a transaction of its own
    std::vector<ScheduleRun> out;
    try {
        SQLite::Transaction tx(*m_db);
        SQLite::Statement q(*m_db,
                            std::string(k_run_columns) + "WHERE outcome = 'running' ORDER BY id");
        while (q.executeStep()) {
            out.push_back(run_from_row(q));
        }
        SQLite::Statement mark(*m_db,
                               "UPDATE schedule_runs SET outcome = 'interrupted', ended_at = ? "
                               "WHERE outcome = 'running'");
        mark.bind(1, to_ms(now));
        mark.exec();
        tx.commit();
    } catch (const std::exception&) {
        return {};  // the runs stay "running" and are looked at again on the next start
    }
    for (auto& run : out) {
        run.outcome = "interrupted";
        run.ended_at = now;
    }
    return out;
}

}  // namespace sota::adapters
