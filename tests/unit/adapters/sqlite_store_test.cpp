#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <catch2/catch.hpp>

#include "adapters/sqlite_store.hpp"
#include "core/fiber.hpp"
#include "core/resilience/cache.hpp"
#include "core/sha256.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;
using namespace sota::core::resilience;
using namespace std::chrono_literals;

TEST_CASE("the store migrates a new file to the latest schema, owner-only", "[store]") {
    test::TempHome home;
    const auto file = home.path() / "state" / "sota.db";
    auto store = adapters::SqliteStore::open(file);
    REQUIRE(store);
    CHECK((*store)->schema_version() == adapters::SqliteStore::latest_version());
    CHECK((std::filesystem::status(file.parent_path()).permissions() &
           std::filesystem::perms::others_all) == std::filesystem::perms::none);
    store->reset();
    auto again = adapters::SqliteStore::open(file);  // re-opening migrates nothing
    REQUIRE(again);
    CHECK((*again)->schema_version() == adapters::SqliteStore::latest_version());
    again->reset();
    // A job's change of state moves no entry of the batch index (migration 12).
    SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
    SQLite::Statement columns(db, "SELECT name FROM pragma_index_info('jobs_batch')");
    std::vector<std::string> names;
    while (columns.executeStep()) {
        names.push_back(columns.getColumn(0).getString());
    }
    CHECK(names == std::vector<std::string>{"batch_id"});
}

TEST_CASE("a database from a newer sota is refused, not touched", "[store]") {
    test::TempHome home;
    const auto file = home.path() / "sota.db";
    {
        SQLite::Database db(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("PRAGMA user_version = 999");
    }
    auto store = adapters::SqliteStore::open(file);
    REQUIRE_FALSE(store);
    CHECK(store.error().code == "store.too_new");
    CHECK(store.error().message.find("999") != std::string::npos);
}

/// Takes a new file back to schema 10: what migrations 11, 13 and 14 added, dropped.
constexpr const char* k_drop_schema_11 =
    "ALTER TABLE schedule_runs DROP COLUMN batch_id; DROP INDEX jobs_parked; ALTER TABLE jobs DROP "
    "COLUMN retry_at; ALTER TABLE jobs DROP COLUMN "
    "waiting_for; ALTER TABLE jobs DROP COLUMN retries; ALTER TABLE jobs DROP COLUMN waited_ms; "
    "ALTER TABLE jobs DROP COLUMN unfinished_runs; DROP TABLE workflows; ";
/// Takes a new file back to schema 9: what migrations 10, 11, 13 and 14 added, dropped.
constexpr const char* k_drop_schema_10 =
    "ALTER TABLE schedule_runs DROP COLUMN batch_id; DROP INDEX jobs_parked; ALTER TABLE jobs DROP "
    "COLUMN retry_at; ALTER TABLE jobs DROP COLUMN "
    "waiting_for; ALTER TABLE jobs DROP COLUMN retries; ALTER TABLE jobs DROP COLUMN waited_ms; "
    "ALTER TABLE jobs DROP COLUMN unfinished_runs; DROP TABLE workflows; DROP TRIGGER "
    "jobs_counted_insert; DROP TRIGGER jobs_counted_delete; DROP TRIGGER jobs_counted_update; "
    "DROP TABLE job_state_counts; ";

TEST_CASE("events kept by an older schema keep their numbers, and new ones follow them",
          "[store]") {
    test::TempHome home;
    const auto file = home.path() / "sota.db";
    REQUIRE(adapters::SqliteStore::open(file));
    {  // The events table as schema 8 had it (AUTOINCREMENT), with two events in it.
        SQLite::Database db(file.string(), SQLite::OPEN_READWRITE);
        db.exec(
            std::string(k_drop_schema_10) +
            "DROP TABLE events; CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "job_id TEXT NOT NULL, type TEXT NOT NULL, step TEXT NOT NULL DEFAULT '', "
            "time INTEGER NOT NULL, data TEXT NOT NULL); "
            "CREATE INDEX events_job ON events (job_id, seq); "
            "INSERT INTO events VALUES (5, 'job_a', 'step_started', 's1', 1000, '{\"index\":1}'); "
            "INSERT INTO events VALUES (9, 'job_a', 'step_completed', 's1', 2000, '{}'); "
            "PRAGMA user_version = 8");
    }
    auto store = adapters::SqliteStore::open(file);
    REQUIRE(store);
    CHECK((*store)->schema_version() == adapters::SqliteStore::latest_version());
    core::pipeline::Event e;
    e.job_id = "job_a";
    e.type = core::pipeline::EventType::status_change;
    e.data = {{"state", "completed"}};
    (*store)->append_event(e);
    const auto events = (*store)->events("job_a", 0, 10);
    REQUIRE(events.size() == 3);
    CHECK(events[0].seq == 5);
    CHECK(events[0].data["index"] == 1);
    CHECK(events[1].seq == 9);
    CHECK(events[1].step == "s1");
    CHECK(events[2].seq == 10);
    store->reset();
    SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'events'").getInt() ==
          0);
}

TEST_CASE("job counts by state follow every change, and an older schema's jobs are counted",
          "[store]") {
    test::TempHome home;
    const auto file = home.path() / "sota.db";
    REQUIRE(adapters::SqliteStore::open(file));
    {  // Jobs stored by schema 9, which had no counts.
        SQLite::Database db(file.string(), SQLite::OPEN_READWRITE);
        db.exec(std::string(k_drop_schema_10) +
                "INSERT INTO jobs (id, keyword, workflow_name, spec, workflow, state, created_at, "
                "updated_at) VALUES ('old-1', 'k', 'standard', '{}', 'null', 'completed', 1, 1), "
                "('old-2', 'k', 'standard', '{}', 'null', 'queued', 1, 1); "
                "PRAGMA user_version = 9");
    }
    auto opened = adapters::SqliteStore::open(file);
    REQUIRE(opened);
    auto& store = **opened;
    CHECK(store.job_counts() ==
          std::map<std::string, std::int64_t>{{"completed", 1}, {"queued", 1}});
    auto job = [&](const std::string& id) {
        core::pipeline::JobRecord j;
        j.id = id;
        j.created_at = j.updated_at = std::chrono::system_clock::now();
        return j;
    };
    REQUIRE(store.create_job(job("new-1")));
    REQUIRE(store.create_jobs({job("new-2"), job("new-3")}));
    auto running = store.claim_jobs(42, std::chrono::system_clock::now(), 2, 2);
    REQUIRE(running.size() == 2);
    running[0].state = core::pipeline::JobState::completed;
    REQUIRE(store.update_job(running[0]));
    REQUIRE(store.update_job(running[0]));  // the same state again changes no count
    // The counts always agree with the jobs themselves.
    SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT state, COUNT(*) FROM jobs GROUP BY state");
    std::map<std::string, std::int64_t> scanned;
    while (q.executeStep()) {
        scanned[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    }
    CHECK(store.job_counts() == scanned);
    CHECK(scanned ==
          std::map<std::string, std::int64_t>{{"completed", 2}, {"queued", 2}, {"running", 1}});
}

TEST_CASE("an update that keeps the state writes everything else", "[store]") {
    test::TempHome home;
    auto opened = adapters::SqliteStore::open(home.path() / "sota.db");
    REQUIRE(opened);
    auto& store = **opened;
    core::pipeline::JobRecord j;
    j.id = "job-1";
    j.created_at = j.updated_at = std::chrono::system_clock::now();
    REQUIRE(store.create_job(j));
    auto claimed = store.claim_jobs(42, std::chrono::system_clock::now(), 1, 1);
    REQUIRE(claimed.size() == 1);
    auto job = claimed[0];
    job.attempts = 3;
    job.current_step = "draft";
    REQUIRE(store.update_job_keeping_state(job));
    auto stored = store.get_job("job-1");
    REQUIRE(stored);
    CHECK(stored->state == core::pipeline::JobState::running);
    CHECK(stored->attempts == 3);
    CHECK(stored->current_step == "draft");
    CHECK(stored->owner_pid == 42);
    // The state is the caller's to keep: one it did not store is not written this way.
    job.state = core::pipeline::JobState::completed;
    REQUIRE(store.update_job_keeping_state(job));
    CHECK(store.get_job("job-1")->state == core::pipeline::JobState::running);
    REQUIRE(store.update_job(job));
    CHECK(store.get_job("job-1")->state == core::pipeline::JobState::completed);
    CHECK(store.job_counts() == std::map<std::string, std::int64_t>{{"completed", 1}});
    job.id = "no-such-job";
    CHECK(store.update_job_keeping_state(job).error().code == "job.not_found");
}

TEST_CASE("jobs share one stored copy of their workflow, and older jobs keep their own",
          "[store]") {
    test::TempHome home;
    const auto file = home.path() / "sota.db";
    REQUIRE(adapters::SqliteStore::open(file));
    const std::string legacy_doc = R"({"name":"legacy","steps":[]})";
    {  // Schema 10, with a job that carries its workflow's whole text.
        SQLite::Database db(file.string(), SQLite::OPEN_READWRITE);
        db.exec(std::string(k_drop_schema_11) +
                "INSERT INTO jobs (id, keyword, workflow_name, spec, workflow, state, created_at, "
                "updated_at) VALUES ('old-1', 'k', 'legacy', '{}', '" +
                legacy_doc + "', 'queued', 1, 1); PRAGMA user_version = 10");
    }
    auto opened = adapters::SqliteStore::open(file);
    REQUIRE(opened);
    auto& store = **opened;
    CHECK(store.schema_version() == adapters::SqliteStore::latest_version());
    auto old = store.get_job("old-1");
    REQUIRE(old);
    REQUIRE(old->workflow);
    CHECK(*old->workflow == nlohmann::json::parse(legacy_doc));

    const auto doc = std::make_shared<const nlohmann::json>(
        nlohmann::json{{"name", "bench"}, {"steps", {{{"id", "s1"}, {"prompt", "Hi \"there\""}}}}});
    auto job = [&](const std::string& id) {
        core::pipeline::JobRecord j;
        j.id = id;
        j.workflow = doc;
        j.created_at = j.updated_at = std::chrono::system_clock::now();
        return j;
    };
    REQUIRE(store.create_job(job("new-1")));
    REQUIRE(store.create_jobs({job("new-2"), job("new-3")}));
    {
        SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
        CHECK(db.execAndGet("SELECT COUNT(*) FROM workflows").getInt() == 1);
        CHECK(db.execAndGet("SELECT doc FROM workflows").getString() == doc->dump());
        SQLite::Statement q(db, "SELECT workflow FROM jobs WHERE id LIKE 'new-%'");
        int refs = 0;
        while (q.executeStep()) {
            const std::string column = q.getColumn(0).getString();
            CHECK(column == "sha256:" + core::sha256_hex(doc->dump()));
            ++refs;
        }
        CHECK(refs == 3);
    }
    // Another connection, which has seen none of them, reads them from the table.
    auto other = adapters::SqliteStore::open(file);
    REQUIRE(other);
    for (const char* id : {"new-1", "new-3", "old-1"}) {
        auto read = (*other)->get_job(id);
        REQUIRE(read);
        REQUIRE(read->workflow);
        CHECK(*read->workflow ==
              (std::string(id) == "old-1" ? nlohmann::json::parse(legacy_doc) : *doc));
    }
    // A batch that fails (a duplicate id) leaves no job; the next insert, which reuses the
    // statement that failed, works, and stores again the document its job refers to.
    {
        SQLite::Database db(file.string(), SQLite::OPEN_READWRITE);
        db.exec("DELETE FROM jobs WHERE id LIKE 'new-%'; DELETE FROM workflows");
    }
    CHECK_FALSE(store.create_jobs({job("new-4"), job("new-4")}));  // a duplicate id fails it
    REQUIRE(store.create_job(job("new-5")));
    auto fresh = adapters::SqliteStore::open(file);
    REQUIRE(fresh);
    auto five = (*fresh)->get_job("new-5");
    REQUIRE(five);
    REQUIRE(five->workflow);
    CHECK(*five->workflow == *doc);
}

TEST_CASE("a write that failed does not fail the next one", "[store]") {
    auto opened = adapters::SqliteStore::open(":memory:");
    REQUIRE(opened);
    auto& store = **opened;
    auto job = [](const std::string& id) {
        core::pipeline::JobRecord j;
        j.id = id;
        j.created_at = j.updated_at = std::chrono::system_clock::now();
        return j;
    };
    REQUIRE(store.create_job(job("a")));
    CHECK_FALSE(store.create_job(job("a")));  // the id is taken
    REQUIRE(store.create_job(job("b")));      // the same statement, right after its failure
    CHECK_FALSE(store.create_jobs({job("c"), job("c")}));  // the batch's second is taken
    REQUIRE(store.create_jobs({job("d"), job("e")}));
    CHECK(store.get_job("b"));
    CHECK(store.get_job("e"));
    CHECK_FALSE(store.get_job("c"));  // the failed batch left nothing
}

TEST_CASE("events held back and written together keep their order and fields", "[store]") {
    auto opened = adapters::SqliteStore::open(":memory:");
    REQUIRE(opened);
    auto& store = **opened;
    // 37 events held back by the store, then written together.
    for (int i = 0; i < 37; ++i) {
        core::pipeline::Event e;
        e.job_id = i % 2 ? "job_odd" : "job_even";
        e.type = i % 3 ? core::pipeline::EventType::step_completed
                       : core::pipeline::EventType::step_started;
        e.step = "s" + std::to_string(i);
        e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1000 + i));
        e.data = {{"i", i}};
        store.append_event(e);
    }
    REQUIRE(store.flush_events());
    std::int64_t last = 0;
    int expected = 0;
    for (const auto& e : store.events("job_even", 0, 100)) {
        CHECK(e.seq > last);
        last = e.seq;
        CHECK(e.step == "s" + std::to_string(expected));
        CHECK(e.data["i"] == expected);
        CHECK(e.type == (expected % 3 ? core::pipeline::EventType::step_completed
                                      : core::pipeline::EventType::step_started));
        CHECK(e.time ==
              std::chrono::system_clock::time_point(std::chrono::milliseconds(1000 + expected)));
        expected += 2;
    }
    CHECK(expected == 38);
    CHECK(store.events("job_odd", 0, 100).size() == 18);
}

TEST_CASE("cache rows round-trip, prune and clear by kind", "[store]") {
    auto store = adapters::SqliteStore::open(":memory:");
    REQUIRE(store);
    auto& s = **store;
    const auto now = std::chrono::system_clock::now();
    s.cache_put("serp", "k1", {"v1", now, now + 1h});
    s.cache_put("serp", "k2", {std::string("bin\0ary", 7), now - 2h, now - 1h});
    s.cache_put("gaps", "k1", {"g", now, now + 1h});
    CHECK(s.cache_get("serp", "k1")->value == "v1");
    CHECK(s.cache_get("serp", "k2")->value == std::string("bin\0ary", 7));
    s.cache_put("serp", "k1", {"v2", now, now + 1h});
    CHECK(s.cache_get("serp", "k1")->value == "v2");
    const auto stats = s.cache_stats(now);
    REQUIRE(stats.size() == 2);
    CHECK(stats[1].kind == "serp");
    CHECK(stats[1].entries == 2);
    CHECK(stats[1].expired == 1);
    CHECK(s.cache_prune(now) == 1);
    CHECK(s.cache_clear(std::string("gaps")) == 1);
    CHECK(s.cache_clear(std::nullopt) == 1);

    s.add_cache_counts({{"serp", {3, 1, 2, 0, 1}}});
    s.add_cache_counts({{"serp", {1, 0, 0, 0, 0}}});
    CHECK(s.cache_counts().at("serp").l1_hits == 4);
}

TEST_CASE("breaker state survives in the store", "[store]") {
    auto store = adapters::SqliteStore::open(":memory:");
    REQUIRE(store);
    test::FakeClock clock;
    {
        BreakerRegistry registry(clock, store->get());
        auto& b = registry.get("service:serper", {2, 60s, 10s, 1});
        for (int i = 0; i < 2; ++i) {
            REQUIRE_FALSE(b.acquire());
            b.on_failure();
        }
        registry.persist(b);
    }
    const auto rows = (*store)->load_breakers();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].state == BreakerState::open);
    REQUIRE(rows[0].retry_at);
    BreakerRegistry restarted(clock, store->get());
    CHECK(restarted.get("service:serper", {2, 60s, 10s, 1}).acquire());
    CHECK(restarted.reset("service:serper"));
    CHECK((*store)->load_breakers().empty());
}

TEST_CASE("schedules and their runs round-trip, and a dead daemon's runs become interrupted",
          "[store][schedule]") {
    auto opened = adapters::SqliteStore::open(":memory:");
    REQUIRE(opened);
    auto& store = **opened;
    core::schedule::Schedule s;
    s.id = "sch_00000001";
    s.name = "weekly";
    s.cron = "0 3 * * 1";
    s.tz = "Europe/Berlin";
    s.command = {"refresh", "--older-than", "90d"};
    s.cwd = "/srv/site";
    s.missed = core::schedule::Missed::skip;
    s.created_at = core::WallTime(std::chrono::seconds(1'700'000'000));
    s.next_run_at = s.created_at + std::chrono::hours(24);
    REQUIRE(store.add_schedule(s));
    auto other = s;
    other.id = "sch_00000002";
    CHECK(store.add_schedule(other).error().code == "schedule.name_taken");

    auto found = store.find_schedule("weekly");
    REQUIRE(found);
    CHECK(found->id == s.id);
    CHECK(found->command == s.command);
    CHECK(found->cwd == "/srv/site");
    CHECK(found->missed == core::schedule::Missed::skip);
    CHECK(found->next_run_at == s.next_run_at);
    CHECK(store.find_schedule("sch_00000001"));
    CHECK_FALSE(store.find_schedule("nope"));

    found->paused = true;
    found->next_run_at += std::chrono::hours(1);
    REQUIRE(store.update_schedule(*found));
    CHECK(store.schedules().at(0).paused);
    CHECK(store.schedules().at(0).next_run_at == s.next_run_at + std::chrono::hours(1));

    core::schedule::ScheduleRun run;
    run.schedule_id = s.id;
    run.trigger = "cron";
    run.scheduled_for = s.next_run_at;
    run.started_at = s.next_run_at;
    run.outcome = "running";
    run.id = store.add_schedule_run(run);
    run.pid = 4242;
    run.log = "/tmp/x.log";
    store.update_schedule_run(run);
    auto second = run;
    second.outcome = "skipped_busy";
    second.ended_at = run.started_at;
    second.id = store.add_schedule_run(second);
    const auto interrupted =
        store.interrupt_schedule_runs(run.started_at + std::chrono::minutes(5));
    REQUIRE(interrupted.size() == 1);
    CHECK(interrupted[0].id == run.id);
    CHECK(interrupted[0].pid == 4242);
    CHECK(interrupted[0].outcome == "interrupted");
    CHECK(store.interrupt_schedule_runs(run.started_at + std::chrono::minutes(6)).empty());
    const auto runs = store.schedule_runs(s.id, 10);
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].outcome == "skipped_busy");  // newest first
    CHECK(runs[1].outcome == "interrupted");
    CHECK(runs[1].pid == 4242);
    CHECK(runs[1].ended_at == run.started_at + std::chrono::minutes(5));

    CHECK(store.remove_schedule(s.id));
    CHECK_FALSE(store.remove_schedule(s.id));
    CHECK(store.schedules().empty());
    CHECK(store.schedule_runs(s.id, 10).empty());
}

TEST_CASE("claims take the priority queue, then priority, then the group with fewest running",
          "[store]") {
    test::TempHome home;
    auto opened = adapters::SqliteStore::open(home.path() / "sota.db");
    REQUIRE(opened);
    auto& store = **opened;
    const auto t0 = std::chrono::system_clock::now();
    int n = 0;
    auto job = [&](const std::string& id, const std::string& batch, int priority,
                   const std::string& queue = "standard") {
        core::pipeline::JobRecord j;
        j.id = id;
        j.spec.keyword = id;
        j.batch_id = batch;
        j.priority = priority;
        j.queue = queue;
        j.created_at = t0 + std::chrono::milliseconds(++n);
        j.updated_at = j.created_at;
        REQUIRE(store.create_job(j));
    };
    // A big batch, a small one and single jobs, created in this order.
    for (int i = 1; i <= 4; ++i) {
        job("big-" + std::to_string(i), "batch-a", 0);
    }
    job("small-1", "batch-b", 0);
    job("small-2", "batch-b", 0);
    job("single", "", 0);
    job("urgent-single", "", 5);
    job("rush", "", 0, "priority");

    auto claim = [&](bool allow_standard = true) {
        auto j = store.claim_next_job(42, t0, allow_standard);
        return j ? j->id : std::string("none");
    };
    CHECK(claim(false) == "rush");  // the priority queue first, even when standard is full
    CHECK(claim(false) == "none");
    CHECK(claim() == "urgent-single");  // then the highest priority
    // Then the group with the fewest running: singles have 2 running, the batches none.
    CHECK(claim() == "big-1");
    CHECK(claim() == "small-1");
    CHECK(claim() == "big-2");  // a:1 b:1 -> by name
    CHECK(claim() == "small-2");
    CHECK(claim() == "single");  // b has nothing left queued; a:2 and singles:2 -> by name
    CHECK(claim() == "big-3");
    CHECK(claim() == "big-4");
    CHECK(claim() == "none");
    const auto counts = store.job_counts();
    CHECK(counts.at("running") == 9);

    // Several at once, in the same order, with a cap on the standard queue.
    job("rush-2", "", 0, "priority");
    job("late-1", "batch-c", 0);
    job("late-2", "batch-c", 0);
    job("late-3", "batch-c", 0);
    const auto some = store.claim_jobs(42, t0, 10, 2);
    REQUIRE(some.size() == 3);
    CHECK(some[0].id == "rush-2");
    CHECK(some[1].id == "late-1");
    CHECK(some[2].id == "late-2");
    for (const auto& j : some) {
        CHECK(j.state == core::pipeline::JobState::running);
        CHECK(j.owner_pid == 42);
    }
    CHECK(store.claim_jobs(42, t0, 10, 10).size() == 1);
    CHECK(store.claim_jobs(42, t0, 10, 10).empty());

    // One claim of many over two waiting batches still takes turns between them; once one
    // is empty, the other's jobs come as many at a time as there is room for.
    for (int i = 1; i <= 2; ++i) {
        job("d-" + std::to_string(i), "batch-d", 0);
    }
    for (int i = 1; i <= 4; ++i) {
        job("e-" + std::to_string(i), "batch-e", 0);
    }
    std::vector<std::string> order;
    for (const auto& j : store.claim_jobs(42, t0, 10, 10)) {
        order.push_back(j.id);
    }
    CHECK(order == std::vector<std::string>{"d-1", "e-1", "d-2", "e-2", "e-3", "e-4"});
}

TEST_CASE("checkpoints saved together share a commit, and each is committed when saved",
          "[store]") {
    test::TempHome home;
    const auto file = home.path() / "sota.db";
    auto opened = adapters::SqliteStore::open(file);
    REQUIRE(opened);
    auto& store = **opened;
    constexpr int k_jobs = 40;
    for (int i = 0; i < k_jobs; ++i) {
        core::pipeline::JobRecord j;
        j.id = "job-" + std::to_string(i);
        j.spec.keyword = j.id;
        j.created_at = j.updated_at = std::chrono::system_clock::now();
        REQUIRE(store.create_job(j));
    }
    auto checkpoint = [](int i) {
        core::pipeline::Checkpoint c;
        c.step = "s1";
        c.artifacts = {{"a1", "output " + std::to_string(i)}};
        c.usage = nlohmann::json::object();
        c.finished_at = std::chrono::system_clock::now();
        return c;
    };
    std::atomic<int> saved{0};
    std::atomic<int> seen_by_others{0};
    {
        core::FiberPool pool(1);
        core::Signal go;
        for (int i = 0; i < k_jobs; ++i) {
            pool.spawn([&, i] {
                go.wait();
                if (store.save_checkpoint("job-" + std::to_string(i), checkpoint(i))) {
                    ++saved;
                }
                // Once saved, another connection (another process) sees it.
                SQLite::Database other(file.string(), SQLite::OPEN_READONLY);
                SQLite::Statement q(other, "SELECT COUNT(*) FROM checkpoints WHERE job_id = ?");
                q.bind(1, "job-" + std::to_string(i));
                q.executeStep();
                seen_by_others += q.getColumn(0).getInt();
            });
        }
        go.notify();
    }
    CHECK(saved.load() == k_jobs);
    CHECK(seen_by_others.load() == k_jobs);
    const auto stats = store.group_stats();
    CHECK(stats.writes == k_jobs);
    CHECK(stats.commits <= 2);  // all forty were ready together

    // Off a fiber a write commits at once.
    REQUIRE(store.save_checkpoint("job-0", checkpoint(0)));
    CHECK(store.group_stats().commits == stats.commits + 1);
    CHECK(store.checkpoints("job-0").size() == 1);
}

TEST_CASE("a write within the commit window joins the open group", "[store]") {
    test::TempHome home;
    auto opened = adapters::SqliteStore::open(home.path() / "sota.db");
    REQUIRE(opened);
    auto& store = **opened;
    store.set_commit_window(std::chrono::milliseconds(300));
    for (const char* id : {"early", "late"}) {
        core::pipeline::JobRecord j;
        j.id = id;
        j.created_at = j.updated_at = std::chrono::system_clock::now();
        REQUIRE(store.create_job(j));
    }
    core::pipeline::Checkpoint c;
    c.step = "s1";
    c.artifacts = {{"a1", "x"}};
    c.usage = nlohmann::json::object();
    const auto before = store.group_stats();
    const auto start = std::chrono::steady_clock::now();
    std::atomic<int> saved{0};
    std::atomic<long> early_ms{0};
    {
        core::FiberPool pool(1);
        pool.spawn([&] {
            saved += store.save_checkpoint("early", c) ? 1 : 0;
            early_ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - start)
                                             .count());
        });
        pool.spawn([&] {
            // Not ready when the first write came: it sleeps first, and still joins.
            core::sleep_until(start + std::chrono::milliseconds(20));
            saved += store.save_checkpoint("late", c) ? 1 : 0;
        });
    }
    CHECK(saved.load() == 2);
    CHECK(store.group_stats().commits == before.commits + 1);
    CHECK(early_ms.load() >= 290);  // the first writer waited out the window for its commit
    CHECK(store.checkpoints("late").size() == 1);
}

TEST_CASE("jobs a dead daemon left running or validating go back to the queue", "[store]") {
    test::TempHome home;
    auto opened = adapters::SqliteStore::open(home.path() / "sota.db");
    REQUIRE(opened);
    auto& store = **opened;
    const auto now = std::chrono::system_clock::now();
    for (const auto& [id, state, owner] :
         std::vector<std::tuple<std::string, core::pipeline::JobState, std::int64_t>>{
             {"mid-step", core::pipeline::JobState::running, 7},
             {"writing-result", core::pipeline::JobState::validating, 7},
             {"mine", core::pipeline::JobState::running, 42},
             {"done", core::pipeline::JobState::completed, 0}}) {
        core::pipeline::JobRecord j;
        j.id = id;
        j.spec.keyword = id;
        j.state = state;
        j.owner_pid = owner;
        j.created_at = j.updated_at = now;
        REQUIRE(store.create_job(j));
    }
    CHECK(store.requeue_abandoned(42) == 2);
    CHECK(store.get_job("mid-step")->state == core::pipeline::JobState::queued);
    CHECK(store.get_job("writing-result")->state == core::pipeline::JobState::queued);
    CHECK(store.get_job("mine")->state == core::pipeline::JobState::running);
    CHECK(store.get_job("done")->state == core::pipeline::JobState::completed);
    CHECK(core::pipeline::job_state_from_string("validating") ==
          core::pipeline::JobState::validating);
    CHECK_FALSE(core::pipeline::ended(core::pipeline::JobState::validating));
}

TEST_CASE("waiting jobs keep their retry time and budget, and are queued again when it comes",
          "[store][parking]") {
    test::TempHome home;
    auto opened = adapters::SqliteStore::open(home.path() / "sota.db");
    REQUIRE(opened);
    auto& store = **opened;
    const auto now = std::chrono::system_clock::now();
    for (const auto& id : {"soon", "later"}) {
        core::pipeline::JobRecord j;
        j.id = id;
        j.spec.keyword = id;
        j.created_at = j.updated_at = now;
        REQUIRE(store.create_job(j));
    }
    auto soon = *store.get_job("soon");
    soon.state = core::pipeline::JobState::waiting;
    soon.retry_at = now + 5s;
    soon.waiting_for = "service:openai";
    soon.retries = 2;
    soon.waited_ms = 40'000;
    soon.error = {{"code", "breaker.open"}, {"message", "open"}};
    REQUIRE(store.update_job(soon));
    auto later = *store.get_job("later");
    later.state = core::pipeline::JobState::waiting;
    later.retry_at = now + 60s;
    REQUIRE(store.update_job(later));

    const auto read = store.get_job("soon");
    REQUIRE(read->retry_at);
    CHECK(std::chrono::abs(*read->retry_at - *soon.retry_at) < 1ms);
    CHECK(read->waiting_for == "service:openai");
    CHECK(read->retries == 2);
    CHECK(read->waited_ms == 40'000);
    CHECK(store.waiting_jobs() ==
          std::map<std::string, std::int64_t>{{"", 1}, {"service:openai", 1}});
    CHECK(store.job_counts().at("waiting") == 2);

    CHECK(store.wake_waiting(now) == 0);  // not yet
    CHECK(store.claim_jobs(42, now, 4, 4).empty());
    CHECK(store.wake_waiting(now + 6s) == 1);
    auto claimed = store.claim_jobs(42, now + 6s, 4, 4);
    REQUIRE(claimed.size() == 1);
    CHECK(claimed[0].id == "soon");
    CHECK(claimed[0].retries == 2);  // what it spent stays with it
    CHECK(store.get_job("later")->state == core::pipeline::JobState::waiting);
}

TEST_CASE("a job started twice by processes that died under it is quarantined as poison",
          "[store][poison]") {
    test::TempHome home;
    auto opened = adapters::SqliteStore::open(home.path() / "sota.db");
    REQUIRE(opened);
    auto& store = **opened;
    const auto now = std::chrono::system_clock::now();
    for (const auto& id : {"crasher", "bystander"}) {
        core::pipeline::JobRecord j;
        j.id = id;
        j.spec.keyword = id;
        j.created_at = j.updated_at = now;
        REQUIRE(store.create_job(j));
    }
    // First daemon (pid 7) takes both and dies.
    REQUIRE(store.claim_jobs(7, now, 2, 2).size() == 2);
    CHECK(store.quarantine_abandoned(8, now).empty());  // once is not enough
    CHECK(store.requeue_abandoned(8) == 2);
    // The second (pid 8) takes both; the bystander ends (waiting counts as an outcome), then the
    // crasher kills the daemon again.
    auto second = store.claim_jobs(8, now, 2, 2);
    REQUIRE(second.size() == 2);
    for (auto& j : second) {
        if (j.id == "bystander") {
            j.state = core::pipeline::JobState::waiting;
            j.retry_at = now;
            REQUIRE(store.update_job(j));
        }
    }
    REQUIRE(store.wake_waiting(now) == 1);
    REQUIRE(store.claim_jobs(8, now, 1, 1).size() == 1);  // the bystander again: its count is 1
    const auto poisoned = store.quarantine_abandoned(9, now);
    REQUIRE(poisoned.size() == 1);
    CHECK(poisoned[0].id == "crasher");
    const auto crasher = store.get_job("crasher");
    CHECK(crasher->state == core::pipeline::JobState::failed);
    CHECK(crasher->error["code"] == "job.poison");
    CHECK(crasher->error["message"].get<std::string>().find("sota retry crasher") !=
          std::string::npos);
    CHECK(store.requeue_abandoned(9) == 1);
    CHECK(store.get_job("bystander")->state == core::pipeline::JobState::queued);
}
