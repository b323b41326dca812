// Measures sotad: N jobs of 8 sequential prompt steps against a fake OpenAI-compatible server
// with a fixed latency, M jobs in flight, every step checkpointed in the job database. Prints
// wall time against the ideal (jobs / in-flight x 8 x latency), daemon CPU per step, peak RSS
// and threads, how long the batch took to be accepted, and how fast a job's status answers.
//
//     build/bench/sota_daemon_bench [--jobs 2000] [--in-flight 200] [--latency-ms 50] [--curl]
//
// --curl sends the model requests through libcurl (http.plain_client = false) rather than sota's
// own HTTP/1.1 client, which a plain-HTTP server on an IP address gets by default.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "adapters/daemon_client.hpp"
#include "bench/daemon_ready.hpp"
#include "tests/support/background.hpp"
#include "tests/support/fake_providers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct ProcStat {
    double cpu_s = 0;
    double system_s = 0;
    long rss_peak_kb = 0;
    long threads = 0;
};

/// CPU time this program (the fake model server and the client) has used.
double own_cpu_s() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

ProcStat read_proc(int pid) {
    ProcStat s;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), {});
    const auto close = content.rfind(')');
    std::istringstream fields(content.substr(close + 2));
    std::string f;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14) {
            utime = std::stol(f);
        } else if (i == 15) {
            stime = std::stol(f);
        }
    }
    const auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    s.cpu_s = static_cast<double>(utime + stime) / ticks;
    s.system_s = static_cast<double>(stime) / ticks;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            s.rss_peak_kb = std::stol(line.substr(6));
        } else if (line.rfind("Threads:", 0) == 0) {
            s.threads = std::stol(line.substr(8));
        }
    }
    return s;
}

int arg(int argc, char** argv, const std::string& name, int fallback) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (argv[i] == name) {
            return std::atoi(argv[i + 1]);
        }
    }
    return fallback;
}

}  // namespace

/// Where a job's time went, from the events the daemon stored (times in ms).
struct Timeline {
    double step_ms = 0;         // step_started -> step_completed, on average
    double job_ms = 0;          // the first status_change -> result_ready
    double after_steps_ms = 0;  // the last step_completed -> result_ready
    double slot_idle_ms = 0;    // a job's result_ready -> the start of the job taking its slot
    double last_result_ms = 0;  // the last result_ready, in ms since the epoch
};

double one_number(SQLite::Database& db, const char* sql) {
    SQLite::Statement q(db, sql);
    return q.executeStep() && !q.getColumn(0).isNull() ? q.getColumn(0).getDouble() : 0.0;
}

Timeline read_timeline(const std::filesystem::path& db_file, int in_flight) {
    SQLite::Database db(db_file.string(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(10'000);
    Timeline t;
    t.step_ms = one_number(db,
                           "SELECT AVG(c.time - s.time) FROM events s JOIN events c ON "
                           "c.job_id = s.job_id AND c.step = s.step AND c.type = 'step_completed' "
                           "WHERE s.type = 'step_started'");
    t.job_ms =
        one_number(db,
                   "SELECT AVG(r.time - b.t) FROM (SELECT job_id, MIN(time) AS t FROM events "
                   "WHERE type = 'status_change' GROUP BY job_id) b JOIN events r ON "
                   "r.job_id = b.job_id AND r.type = 'result_ready'");
    t.after_steps_ms = one_number(
        db,
        "SELECT AVG(r.time - l.t) FROM (SELECT job_id, MAX(time) AS t FROM events WHERE "
        "type = 'step_completed' GROUP BY job_id) l JOIN events r ON r.job_id = l.job_id AND "
        "r.type = 'result_ready'");
    t.last_result_ms = one_number(db, "SELECT MAX(time) FROM events WHERE type = 'result_ready'");
    // The n-th job to end frees the slot the (n + in_flight)-th job to start takes.
    SQLite::Statement idle(
        db,
        "WITH b AS (SELECT MIN(time) AS t, ROW_NUMBER() OVER (ORDER BY MIN(time)) AS n FROM "
        "events WHERE type = 'status_change' GROUP BY job_id), e AS (SELECT time AS t, "
        "ROW_NUMBER() OVER (ORDER BY time) AS n FROM events WHERE type = 'result_ready') "
        "SELECT AVG(b.t - e.t) FROM e JOIN b ON b.n = e.n + ?");
    idle.bind(1, in_flight);
    if (idle.executeStep() && !idle.getColumn(0).isNull()) {
        t.slot_idle_ms = idle.getColumn(0).getDouble();
    }
    return t;
}

constexpr int k_scale_jobs = 10'000;

struct Scale {
    double accept_s = 0;
    double cli_status_ms = 0;
    double get_ms = 0;
    double stats_ms = 0;
    std::int64_t stored = 0;
};

/// A 10,000-job batch sent as `sota batch --daemon` sends it, then the job table grown past
/// 100,000 rows, then `sota status JOBID` (the real command) and GET /v1/jobs/{id} timed. The
/// model holds every call meanwhile, so the one worker runs nothing.
Scale measure_scale(const sota::test::TempHome& home, const std::map<std::string, std::string>& env,
                    const std::filesystem::path& workflow_file, std::atomic<bool>& hold) {
    Scale scale;
    hold = true;
    sota::test::Background daemon({SOTAD_BINARY, "--foreground", "--workers", "1"}, env,
                                  home.path() / "sotad-scale.log");
    sota::adapters::DaemonClient client(home.path() / "run" / "sotad.sock");
    for (int i = 0; i < 200 && !client.call("GET", "/v1/health"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const auto start = Clock::now();
    std::string batch_id, some_id;
    for (int part = 0; part < k_scale_jobs / 1000; ++part) {
        json rows = json::array();
        for (int i = 0; i < 1000; ++i) {
            rows.push_back({{"keyword", "scale keyword " + std::to_string(part * 1000 + i)},
                            {"workflow", workflow_file.string()},
                            {"idempotency_key", "row-" + std::to_string(part * 1000 + i)}});
        }
        json body = {{"jobs", rows}};
        if (!batch_id.empty()) {
            body["batch_id"] = batch_id;
        }
        auto r = client.call("POST", "/v1/batches", body.dump(), {}, std::chrono::seconds(120));
        if (!r || r->status != 202) {
            std::fprintf(stderr, "a scale part was refused\n");
            std::exit(1);
        }
        const json answer = json::parse(r->body);
        batch_id = answer.value("batch_id", "");
        some_id = answer["jobs"][500].get<std::string>();
    }
    scale.accept_s = std::chrono::duration<double>(Clock::now() - start).count();

    {  // Ten copies of every job, as finished jobs: well past 100,000 rows.
        SQLite::Database db((home.path() / "state" / "sota.db").string(), SQLite::OPEN_READWRITE);
        db.setBusyTimeout(30'000);
        db.exec(
            "WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 9) "
            "INSERT INTO jobs (id, keyword, workflow_name, spec, workflow, state, current_step, "
            "attempts, error, result, created_at, updated_at, owner_pid, queue, priority, "
            "idempotency_key, batch_id) SELECT jobs.id || '_' || c.k, keyword, workflow_name, "
            "spec, workflow, 'completed', current_step, attempts, error, result, created_at, "
            "updated_at, 0, queue, priority, NULL, NULL FROM jobs, c");
        SQLite::Statement count(db, "SELECT COUNT(*) FROM jobs");
        count.executeStep();
        scale.stored = count.getColumn(0).getInt64();
    }

    constexpr int k_cli_calls = 20;
    const auto cli_start = Clock::now();
    for (int i = 0; i < k_cli_calls; ++i) {
        sota::test::ProcessSpec spec;
        spec.argv = {SOTA_BINARY, "status", some_id};
        spec.env = env;
        if (sota::test::run_process(spec).exit_code != 0) {
            std::fprintf(stderr, "sota status failed\n");
            std::exit(1);
        }
    }
    scale.cli_status_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - cli_start).count() / k_cli_calls;
    constexpr int k_get_calls = 200;
    const auto get_start = Clock::now();
    for (int i = 0; i < k_get_calls; ++i) {
        (void)client.call("GET", "/v1/jobs/" + some_id);
    }
    scale.get_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - get_start).count() / k_get_calls;
    const auto stats_start = Clock::now();
    for (int i = 0; i < k_get_calls; ++i) {
        (void)client.call("GET", "/v1/stats");
    }
    scale.stats_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - stats_start).count() / k_get_calls;
    hold = false;
    daemon.stop(SIGTERM);
    return scale;
}

int main(int argc, char** argv) {
    const int jobs = arg(argc, argv, "--jobs", 2000);
    const int in_flight = arg(argc, argv, "--in-flight", 200);
    const int latency_ms = arg(argc, argv, "--latency-ms", 50);
    bool curl = false;
    for (int i = 1; i < argc; ++i) {
        curl = curl || std::string(argv[i]) == "--curl";
    }
    constexpr int k_steps = 8;

    sota::test::FakeHttpServer llm_server;
    auto llm = std::make_shared<sota::test::FakeLlm>();
    llm->api_key = "bench-key";
    auto hold = std::make_shared<std::atomic<bool>>(false);  // the scale phase keeps calls waiting
    llm->responder = [latency_ms, hold](const json&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(latency_ms));
        for (int i = 0; i < 6000 && hold->load(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return std::string("done");
    };
    sota::test::install_openai(llm_server, llm);

    sota::test::TempHome home;
    std::string workflow = "name = \"bench\"\n";
    for (int s = 1; s <= k_steps; ++s) {
        workflow += "[[steps]]\nid = \"s" + std::to_string(s) + "\"\noutputs = [\"a" +
                    std::to_string(s) + "\"]\n";
        workflow += s == 1 ? "inputs = [\"keyword\"]\nprompt = \"Step 1 for {{keyword}}\"\n"
                           : "inputs = [\"a" + std::to_string(s - 1) + "\"]\nprompt = \"Step " +
                                 std::to_string(s) + ": {{a" + std::to_string(s - 1) + "}}\"\n";
    }
    const auto workflow_file = home.path() / "bench.toml";
    sota::test::write_text(workflow_file, workflow);

    auto env = sota::test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    env["SOTA_PROVIDERS_OPENAI_BASE_URL"] = llm_server.base_url() + "/v1";
    env["OPENAI_API_KEY"] = llm->api_key;
    env["SOTA_RUN_OUT_DIR"] = (home.path() / "out").string();
    env["SOTA_LOG_LEVEL"] = "warn";
    // Every slot runs the batch (by default a quarter is kept for the priority queue).
    env["SOTA_DAEMON_PRIORITY_SHARE"] = "0";
    if (curl) {
        env["SOTA_HTTP_PLAIN_CLIENT"] = "false";
    }
    sota::test::Background daemon(
        {SOTAD_BINARY, "--foreground", "--workers", std::to_string(in_flight)}, env,
        home.path() / "sotad.log");
    sota::adapters::DaemonClient client(home.path() / "run" / "sotad.sock");
    if (!sota::bench::wait_until_ready(client)) {
        std::fprintf(stderr, "sotad did not answer within 10 s\n");
        return 1;
    }
    const ProcStat idle = read_proc(daemon.pid());

    // Every job in one batch: accepted all at once, then run.
    const double bench_cpu_before = own_cpu_s();
    const auto start = Clock::now();
    const auto start_wall = std::chrono::system_clock::now();
    json rows = json::array();
    for (int i = 0; i < jobs; ++i) {
        rows.push_back({{"keyword", "bench keyword " + std::to_string(i)},
                        {"workflow", workflow_file.string()}});
    }
    auto accepted = client.call("POST", "/v1/batches", json{{"jobs", rows}}.dump(), {},
                                std::chrono::seconds(120));
    if (!accepted || accepted->status != 202) {
        std::fprintf(stderr, "the batch was refused: %s\n",
                     accepted ? accepted->body.c_str() : accepted.error().message.c_str());
        return 1;
    }
    const double submit_s = std::chrono::duration<double>(Clock::now() - start).count();

    long max_threads = 0;
    std::int64_t completed = 0, failed = 0;
    json store_stats = json::object();
    while (completed + failed < jobs) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        max_threads = std::max(max_threads, read_proc(daemon.pid()).threads);
        auto stats = client.call("GET", "/v1/stats");
        if (!stats) {
            std::fprintf(stderr, "stats failed: %s\n", stats.error().message.c_str());
            return 1;
        }
        const json doc = json::parse(stats->body);
        store_stats = doc.value("store", json::object());
        const json s = doc["jobs"];
        completed = s.value("completed", std::int64_t{0});
        failed = s.value("failed", std::int64_t{0});
        if (Clock::now() - start > std::chrono::minutes(10)) {
            std::fprintf(stderr, "gave up after 10 minutes: %lld completed\n",
                         static_cast<long long>(completed));
            return 1;
        }
    }
    const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
    const double bench_cpu_s = own_cpu_s() - bench_cpu_before;
    const ProcStat done = read_proc(daemon.pid());
    // How fast one job's status answers, through the real CLI path (HTTP over the socket).
    const std::string some_id = json::parse(accepted->body)["jobs"][jobs / 2].get<std::string>();
    const auto status_start = Clock::now();
    constexpr int k_status_calls = 100;
    for (int i = 0; i < k_status_calls; ++i) {
        auto r = client.call("GET", "/v1/jobs/" + some_id);
        if (!r || r->status != 200) {
            std::fprintf(stderr, "status failed\n");
            return 1;
        }
    }
    const double status_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - status_start).count() /
        k_status_calls;
    daemon.stop(SIGTERM);
    const Timeline timeline = read_timeline(home.path() / "state" / "sota.db", in_flight);
    const Scale scale = measure_scale(home, env, workflow_file, *hold);

    const double ideal_s = static_cast<double>(jobs) / in_flight * k_steps * latency_ms / 1000.0;
    const double steps = static_cast<double>(jobs) * k_steps;
    std::printf("sotad benchmark: %d jobs x %d prompt steps, %d in flight, %d ms model latency\n",
                jobs, k_steps, in_flight, latency_ms);
    std::printf("  model requests over    %s\n",
                curl ? "libcurl (--curl)" : "sota's HTTP/1.1 client (http.plain_client)");
    std::printf("  jobs completed         %lld (failed %lld)\n", static_cast<long long>(completed),
                static_cast<long long>(failed));
    std::printf("  accept a %d-job batch  %.2f s (%.3f ms per job)\n", jobs, submit_s,
                submit_s * 1000 / jobs);
    std::printf("  wall time              %.2f s (ideal %.2f s, %.2fx)\n", wall_s, ideal_s,
                wall_s / ideal_s);
    // The loop above looks every 50 ms, so it sees the end up to 50 ms late; the events say
    // when the last job really ended.
    const double last_s =
        (timeline.last_result_ms -
         static_cast<double>(
             std::chrono::duration_cast<std::chrono::milliseconds>(start_wall.time_since_epoch())
                 .count())) /
        1000.0;
    std::printf("  last job ended         %.2f s after the batch was sent (%.2fx; stored events)\n",
                last_s, last_s / ideal_s);
    std::printf("  daemon CPU per step    %.3f ms (%.2f s in all, %.2f s of it in the kernel)\n",
                (done.cpu_s - idle.cpu_s) * 1000 / steps, done.cpu_s - idle.cpu_s,
                done.system_s - idle.system_s);
    std::printf("  fake server CPU        %.2f s (this program, on the same cores)\n", bench_cpu_s);
    std::printf("  daemon peak RSS        %.1f MB\n", static_cast<double>(done.rss_peak_kb) / 1024);
    std::printf("  daemon threads (max)   %ld\n", max_threads);
    const auto writes = store_stats.value("writes", std::int64_t{0});
    const auto commits = store_stats.value("commits", std::int64_t{0});
    std::printf("  store writes / commits %lld / %lld (%.1f per commit)\n",
                static_cast<long long>(writes), static_cast<long long>(commits),
                commits > 0 ? static_cast<double>(writes) / static_cast<double>(commits) : 0.0);
    std::printf("  model requests         %zu\n", llm_server.count("/v1/chat/completions"));
    std::printf("  where a job's time went (ms, means, from the stored events):\n");
    std::printf("    one step             %.1f (the model answers in %d)\n", timeline.step_ms,
                latency_ms);
    std::printf("    a job, start to end  %.1f (ideal %d), of which %.1f after its last step\n",
                timeline.job_ms, k_steps * latency_ms, timeline.after_steps_ms);
    std::printf("    a slot idle between jobs %.1f\n", timeline.slot_idle_ms);
    std::printf("  job status (GET)       %.2f ms with %d jobs stored\n", status_ms, jobs);
    std::printf("  accept %d jobs       %.2f s in %d parts of 1,000 (%.3f ms per job)\n",
                k_scale_jobs, scale.accept_s, k_scale_jobs / 1000,
                scale.accept_s * 1000 / k_scale_jobs);
    std::printf("  sota status JOBID      %.1f ms (the whole command) with %lld jobs stored\n",
                scale.cli_status_ms, static_cast<long long>(scale.stored));
    std::printf("  job status (GET)       %.2f ms with %lld jobs stored\n", scale.get_ms,
                static_cast<long long>(scale.stored));
    std::printf("  daemon stats (GET)     %.2f ms with %lld jobs stored\n", scale.stats_ms,
                static_cast<long long>(scale.stored));
    return failed == 0 ? 0 : 1;
}
