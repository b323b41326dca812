// The real sotad on a temporary socket, driven by the real sota and by raw HTTP.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "adapters/daemon_client.hpp"
#include "core/api/protocol.hpp"
#include "core/text.hpp"
#include "tests/integration/sotad_harness.hpp"
#include "tests/support/fake_wordpress.hpp"

using namespace sota;
using nlohmann::json;
using test::first_line;
using test::k_keyword;
using test::k_no_cache;
namespace fs = std::filesystem;

namespace {

/// Sends raw bytes to the socket and returns the answer.
std::string raw_exchange(const fs::path& socket, const std::string& bytes) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    std::string answer;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        answer.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return answer;
}

std::string post(const std::string& path, const std::string& body) {
    return "POST " + path +
           " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("sotad takes jobs over its socket: submit, wait, status, result, list",
          "[daemon][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    auto daemon = start_daemon(home, env);

    struct stat st {};
    REQUIRE(::stat(socket_of(home).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    auto submitted = run_sota(
        home, env,
        {"submit", "--keyword", k_keyword, "--site-pages",
         (fs::path(SOTA_SOURCE_DIR) / "data/demo/site_pages.csv").string(), "--out", "out"});
    INFO(submitted.err);
    REQUIRE(submitted.exit_code == 0);
    const std::string id = first_line(submitted.out);
    CHECK(id.rfind("job_", 0) == 0);
    auto waited = run_sota(home, env, {"wait", id, "--timeout", "60"});
    CHECK(waited.exit_code == 0);
    CHECK(waited.out == id + " completed\n");

    auto status = run_sota(home, env, {"status", id, "--json"});
    REQUIRE(status.exit_code == 0);
    const json view = json::parse(status.out);
    CHECK(view["status"] == "completed");
    CHECK(view["step"] == 8);
    CHECK(view["total_steps"] == 8);
    CHECK(view["result"]["score"].get<int>() >= 90);
    CHECK(fs::path(view["result"]["directory"].get<std::string>()) == home.path() / "out");

    auto md = run_sota(home, env, {"result", id, "--format", "md"});
    CHECK(md.out.rfind("# Best Espresso Grinder", 0) == 0);
    auto html = run_sota(home, env, {"result", id, "--format", "html", "-o", "a.html"});
    CHECK(html.exit_code == 0);
    CHECK(test::read_text(home.path() / "a.html").find("<h1>") != std::string::npos);
    auto list = run_sota(home, env, {"list", "--json"});
    CHECK(json::parse(list.out)["jobs"][0]["id"] == id);
    auto none_failed = run_sota(home, env, {"list", "--status", "failed", "--json"});
    CHECK(json::parse(none_failed.out)["jobs"].empty());
    auto table = run_sota(home, env, {"list", "--status", "completed"});
    CHECK(table.out.find(id + "  completed  8/8") != std::string::npos);
    auto health = run_sota(home, env, {"status", "--json"});
    REQUIRE(health.exit_code == 0);
    CHECK(json::parse(health.out)["stats"]["jobs"]["completed"] == 1);
    auto events = run_sota(home, env, {"logs", id, "--json"});
    CHECK(json::parse(first_line(events.out))["type"] == "status_change");

    // The same Idempotency-Key gives back the same job.
    auto a = run_sota(home, env, {"submit", "--keyword", k_keyword, "--idempotency-key", "row-7"});
    auto b = run_sota(home, env, {"submit", "--keyword", k_keyword, "--idempotency-key", "row-7"});
    CHECK(first_line(a.out) == first_line(b.out));
    CHECK(first_line(a.out) != id);

    // Unknown ids and bad input: JSON errors with stable codes.
    auto missing = run_sota(home, env, {"status", "job_0_nope"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("no job job_0_nope") != std::string::npos);
    auto bad = run_sota(home, env, {"submit", "--keyword", "ab"});
    CHECK(bad.exit_code == 2);

    // One daemon per user.
    auto second = test::run_process(
        {{SOTAD_BINARY, "--foreground"}, env, "", std::nullopt, std::chrono::seconds(10)});
    CHECK(second.exit_code == 1);
    CHECK(second.err.find("already running") != std::string::npos);

    CHECK(daemon->stop(SIGTERM) == 0);
    CHECK_FALSE(fs::exists(socket_of(home)));
    CHECK(daemon->log().find("sotad stopped") != std::string::npos);
    // At the default level the log has each job's start and end, not a line per step (sota
    // logs has every event).
    const std::string log = daemon->log();
    CHECK(log.find("job " + id + " started") != std::string::npos);
    CHECK(log.find("job " + id + " completed") != std::string::npos);
    CHECK(log.find("step_completed") == std::string::npos);
}

TEST_CASE("malformed HTTP and JSON get 4xx JSON errors and the daemon stays up",
          "[daemon][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    auto daemon = start_daemon(home, env);
    const auto socket = socket_of(home);

    const std::string garbage = raw_exchange(socket, "THIS IS NOT HTTP\r\n\r\n");
    CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);
    const std::string bad_json = raw_exchange(socket, post("/v1/jobs", "{bad"));
    CHECK(bad_json.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(bad_json.find("\"code\":\"request.bad_json\"") != std::string::npos);
    const std::string unknown =
        raw_exchange(socket, "GET /v1/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(unknown.rfind("HTTP/1.1 404", 0) == 0);
    CHECK(unknown.find("route.unknown") != std::string::npos);
    const std::string method =
        raw_exchange(socket, "DELETE /v1/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(method.rfind("HTTP/1.1 405", 0) == 0);
    const std::string key =
        raw_exchange(socket, post("/orchestrator/ultra-sota",
                                  R"({"keyword":"best espresso grinder","serperApiKey":"x"})"));
    CHECK(key.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(key.find("keys are never sent in requests") != std::string::npos);

    adapters::DaemonClient client(socket);
    auto health = client.call("GET", "/v1/health");
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK(json::parse(health->body)["status"] == "ok");
}

TEST_CASE("after kill -9 every accepted job completes and no checkpointed step runs twice",
          "[daemon][integration][resume]") {
    test::DemoWorld world;
    test::TempHome home;
    auto env = world_env(home, world);
    env.insert(k_no_cache.begin(), k_no_cache.end());
    world.section_delay_ms->store(4000);
    auto daemon = start_daemon(home, env, 2);
    std::vector<std::string> ids;
    for (const char* kw : {"best espresso grinder", "best burr grinder", "quiet coffee grinder"}) {
        auto r = run_sota(home, env, {"submit", "--keyword", kw});
        REQUIRE(r.exit_code == 0);
        ids.push_back(first_line(r.out));
    }
    // Both workers are writing sections; the third job waits in the queue.
    for (int i = 0; i < 400 && test::prompts_seen(world.llm_server)["write_section"] < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(daemon->stop(SIGKILL) == 128 + SIGKILL);
    const auto before = test::prompts_seen(world.llm_server);
    CHECK(before.at("blueprint") == 2);

    world.section_delay_ms->store(0);
    daemon = start_daemon(home, env, 2);
    std::vector<std::string> wait = {"wait", "--timeout", "60"};
    wait.insert(wait.end(), ids.begin(), ids.end());
    auto waited = run_sota(home, env, wait);
    INFO(daemon->log());
    CHECK(waited.exit_code == 0);
    const auto after = test::prompts_seen(world.llm_server);
    CHECK(after.at("semantic_keywords") == 3);  // once per job, never again after the restart
    CHECK(after.at("gap_analysis") == 3);
    CHECK(after.at("blueprint") == 3);
    CHECK(daemon->log().find("requeued 2 job(s)") != std::string::npos);
}

TEST_CASE("program steps in sotad wait on their own threads, not on the jobs' threads",
          "[daemon][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    // Each program leaves a mark and waits (at most 10 s) until three marks are there. Jobs
    // whose program waits held their thread would leave only as many marks as sotad has
    // threads for jobs (2 on a 2-core machine), and every program would report 2.
    const auto marks = home.path() / "marks";
    fs::create_directories(marks);
    test::write_text(home.path() / "meet.sh", R"SH(cat > /dev/null
touch "$1/$$"
i=0
while [ "$(ls "$1" | wc -l)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
echo "{\"seen\": $(ls "$1" | wc -l)}"
)SH");
    test::write_text(home.path() / "meet.toml",
                     "name = \"meet\"\n[[steps]]\nid = \"meet\"\ninputs = [\"keyword\"]\n"
                     "outputs = [\"seen\"]\nrun = [\"sh\", \"" +
                         (home.path() / "meet.sh").string() + "\", \"" + marks.string() +
                         "\"]\ntimeout = \"30s\"\n");
    auto daemon = start_daemon(home, env, 6);
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) {
        auto r = run_sota(home, env,
                          {"submit", "--keyword", "grinder " + std::to_string(i), "--workflow",
                           (home.path() / "meet.toml").string(), "--out",
                           (home.path() / ("out" + std::to_string(i))).string()});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        ids.push_back(first_line(r.out));
    }
    std::vector<std::string> wait = {"wait", "--timeout", "60"};
    wait.insert(wait.end(), ids.begin(), ids.end());
    auto waited = run_sota(home, env, wait);
    INFO(daemon->log());
    REQUIRE(waited.exit_code == 0);
    for (int i = 0; i < 4; ++i) {
        const json result =
            json::parse(test::read_text(home.path() / ("out" + std::to_string(i)) / "result.json"),
                        nullptr, false);
        CHECK(result["artifacts"]["seen"].get<int>() >= 3);
    }
}

TEST_CASE("two clients following one job see the same events to the end", "[daemon][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    world.section_delay_ms->store(300);
    auto daemon = start_daemon(home, env);
    auto r = run_sota(home, env, {"submit", "--keyword", k_keyword});
    REQUIRE(r.exit_code == 0);
    const std::string id = first_line(r.out);
    std::vector<std::string> seen[2];
    std::thread watchers[2];
    for (int w = 0; w < 2; ++w) {
        watchers[w] = std::thread([&, w] {
            adapters::DaemonClient client(socket_of(home));
            (void)client.stream("/v1/jobs/" + id + "/events?follow=1", [&](std::string_view line) {
                seen[w].emplace_back(line);
                return true;
            });
        });
    }
    for (auto& t : watchers) {
        t.join();
    }
    REQUIRE_FALSE(seen[0].empty());
    CHECK(seen[0] == seen[1]);
    CHECK(json::parse(seen[0].back())["type"] == "result_ready");
    auto logs = run_sota(home, env, {"logs", id});
    CHECK(logs.exit_code == 0);
    CHECK(logs.out.find("validate done in") != std::string::npos);
    CHECK(logs.out.find("result ready: ") != std::string::npos);
    auto watched = run_sota(home, env, {"watch", id});  // an ended job: its whole story, then exit
    CHECK(watched.exit_code == 0);
    CHECK(watched.err.find("job " + id + " completed") != std::string::npos);
    // `sota submit --wait` follows the same stream.
    auto followed = run_sota(home, env, {"submit", "--wait", "--keyword", "best burr grinder"});
    CHECK(followed.exit_code == 0);
    CHECK(followed.err.find("result ready") != std::string::npos);
}

TEST_CASE("SIGHUP reloads the configuration: workers change in place, other keys are named",
          "[daemon][integration]") {
    test::TempHome home;
    auto env = test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    REQUIRE(run_sota(home, env, {"config", "set", "daemon.workers", "3"}).exit_code == 0);
    test::Background daemon({SOTAD_BINARY, "--foreground"}, env, home.path() / "sotad.out");
    adapters::DaemonClient client(socket_of(home));
    auto workers = [&] {
        auto stats = client.call("GET", "/v1/stats");
        return stats && stats->status == 200 ? json::parse(stats->body).value("workers", 0) : 0;
    };
    for (int i = 0; i < 200 && workers() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(workers() == 3);
    REQUIRE(run_sota(home, env, {"config", "set", "daemon.workers", "5"}).exit_code == 0);
    REQUIRE(run_sota(home, env, {"config", "set", "llm.model", "gpt-4.1"}).exit_code == 0);
    ::kill(daemon.pid(), SIGHUP);
    for (int i = 0; i < 100 && workers() != 5; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(workers() == 5);
    CHECK(daemon.log().find("llm.model = gpt-4.1 (was gpt-4o-mini); applies after `sota daemon "
                            "restart`") != std::string::npos);

    // A broken file changes nothing, and the daemon stays up.
    test::write_text(home.path() / "config" / "config.toml",
                     test::read_text(home.path() / "config" / "config.toml") + "\n[daemon\n");
    ::kill(daemon.pid(), SIGHUP);
    for (int i = 0; i < 100 && daemon.log().find("was not reloaded") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(daemon.log().find("was not reloaded") != std::string::npos);
    CHECK(workers() == 5);
    CHECK(daemon.stop(SIGTERM) == 0);
}

TEST_CASE("jobs are cancelled and retried through the daemon", "[daemon][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    world.section_delay_ms->store(8000);
    auto daemon = start_daemon(home, env);
    const std::string id = first_line(run_sota(home, env, {"submit", "--keyword", k_keyword}).out);
    for (int i = 0; i < 400 && test::prompts_seen(world.llm_server)["write_section"] == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const auto start = std::chrono::steady_clock::now();
    auto cancelled = run_sota(home, env, {"cancel", id});
    CHECK(cancelled.exit_code == 0);
    auto waited = run_sota(home, env, {"wait", id, "--timeout", "20"});
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    CHECK(waited.exit_code == 1);
    CHECK(waited.out == id + " cancelled\n");
    CHECK(run_sota(home, env, {"cancel", id}).err.find("already cancelled") != std::string::npos);

    world.section_delay_ms->store(0);
    CHECK(run_sota(home, env, {"retry", id}).exit_code == 0);
    CHECK(run_sota(home, env, {"wait", id, "--timeout", "60"}).exit_code == 0);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") ==
          1);  // resumed after the blueprint
}

TEST_CASE("without a daemon the job commands say how to start one and exit 3",
          "[daemon][integration]") {
    test::TempHome home;
    auto env = test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    const auto start = std::chrono::steady_clock::now();
    auto r = run_sota(home, env, {"status"});
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("sotad is not running") != std::string::npos);
    CHECK(r.err.find("sota daemon start") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    CHECK(run_sota(home, env, {"run", "--daemon", "--keyword", k_keyword}).exit_code == 3);
}

TEST_CASE("docs/protocol.md lists exactly the routes the daemon declares", "[daemon][docs]") {
    const std::string doc = test::read_text(fs::path(SOTA_SOURCE_DIR) / "docs/protocol.md");
    std::set<std::string> documented;
    std::size_t pos = 0;
    while ((pos = doc.find("\n| ", pos)) != std::string::npos) {
        const auto end = doc.find('\n', pos + 1);
        const std::string row = doc.substr(pos + 3, end - pos - 3);
        pos = end;
        const auto tick = row.find('`');
        if ((row.rfind("GET", 0) == 0 || row.rfind("POST", 0) == 0 ||
             row.rfind("DELETE", 0) == 0) &&
            tick != std::string::npos) {
            const std::string method = core::trim(row.substr(0, row.find('|')));
            const std::string path = row.substr(tick + 1, row.find('`', tick + 1) - tick - 1);
            const auto handler_start = row.find('|', row.find('`', tick + 1)) + 1;
            const std::string handler =
                core::trim(row.substr(handler_start, row.find('|', handler_start) - handler_start));
            documented.insert(method + " " + path + " " + handler);
        }
    }
    std::set<std::string> declared;
    for (const auto& r : core::api::routes()) {
        declared.insert(std::string(r.method) + " " + r.pattern + " " + r.name);
    }
    CHECK(documented == declared);
}

TEST_CASE("batches are all-or-nothing, idempotent, and share the workers fairly",
          "[daemon][integration][batch]") {
    test::DemoWorld world;
    test::TempHome home;
    auto env = world_env(home, world);
    env["SOTA_DAEMON_PRIORITY_SHARE"] = "0";
    world.section_delay_ms->store(150);
    auto daemon = start_daemon(home, env, 1);
    adapters::DaemonClient client(socket_of(home));

    const json bad = {{"jobs",
                       {{{"keyword", "best espresso grinder"}},
                        {{"keyword", "ab"}},
                        {{"keyword", "burr grinder", "queue", "later"}}}}};
    auto refused = client.call("POST", "/v1/batches", bad.dump());
    REQUIRE(refused);
    CHECK(refused->status == 400);
    const json errors = json::parse(refused->body)["errors"];
    REQUIRE(errors.size() == 2);
    CHECK(errors[0]["index"] == 1);
    CHECK(errors[1]["index"] == 2);
    CHECK(json::parse(client.call("GET", "/v1/jobs")->body)["jobs"].empty());  // nothing queued

    json rows = json::array();
    for (int i = 0; i < 4; ++i) {
        rows.push_back({{"keyword", "espresso grinder part " + std::to_string(i)},
                        {"idempotency_key", "row-" + std::to_string(i)}});
    }
    auto accepted = client.call("POST", "/v1/batches", json{{"jobs", rows}}.dump(),
                                {{"Idempotency-Key", "nightly-1"}});
    REQUIRE(accepted);
    REQUIRE(accepted->status == 202);
    const json batch = json::parse(accepted->body);
    CHECK(batch["batch_id"] == "nightly-1");
    CHECK(batch["created"] == 4);
    // A single job submitted after the batch does not wait for the whole batch.
    auto single = run_sota(home, env, {"submit", "--keyword", "urgent espresso question"});
    REQUIRE(single.exit_code == 0);
    CHECK(run_sota(home, env, {"wait", first_line(single.out), "--timeout", "60"}).exit_code == 0);
    const json counts = json::parse(client.call("GET", "/v1/batches/nightly-1")->body)["counts"];
    CHECK(counts.value("queued", 0) >= 2);

    // The same batch again: nothing new. Rows with known keys in a new batch: not duplicated.
    auto again = client.call("POST", "/v1/batches", json{{"jobs", rows}}.dump(),
                             {{"Idempotency-Key", "nightly-1"}});
    CHECK(again->status == 200);
    CHECK(json::parse(again->body)["jobs"] == batch["jobs"]);
    rows.push_back({{"keyword", "espresso grinder part 4"}, {"idempotency_key", "row-4"}});
    auto more = client.call("POST", "/v1/batches", json{{"jobs", rows}}.dump());
    REQUIRE(more->status == 202);
    CHECK(json::parse(more->body)["created"] == 1);
    CHECK(json::parse(more->body)["existing"] == 4);

    std::vector<std::string> wait = {"wait", "--timeout", "120"};
    const json more_jobs = json::parse(more->body)["jobs"];
    for (const auto& id : more_jobs) {
        wait.push_back(id.get<std::string>());
    }
    auto waited = run_sota(home, env, wait);
    INFO(waited.out << waited.err);
    CHECK(waited.exit_code == 0);
    auto listed = client.call("GET", "/v1/jobs?batch=nightly-1");
    CHECK(json::parse(listed->body)["jobs"].size() == 4);
}

TEST_CASE("sota daemon start and stop manage a detached sotad, and autostart starts it",
          "[daemon][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    CHECK(run_sota(home, env, {"daemon", "status"}).exit_code == 3);
    auto started = run_sota(home, env, {"daemon", "start"});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    CHECK(started.err.find("sotad started (pid ") != std::string::npos);
    CHECK(run_sota(home, env, {"daemon", "start"}).err.find("already running") !=
          std::string::npos);
    auto id = first_line(run_sota(home, env, {"submit", "--keyword", k_keyword}).out);
    CHECK(run_sota(home, env, {"wait", id, "--timeout", "60"}).exit_code == 0);
    auto stopped = run_sota(home, env, {"daemon", "stop"});
    CHECK(stopped.exit_code == 0);
    CHECK(stopped.err.find("stopped") != std::string::npos);
    CHECK_FALSE(fs::exists(socket_of(home)));

    auto auto_env = env;
    auto_env["SOTA_DAEMON_AUTOSTART"] = "true";
    auto submitted = run_sota(home, auto_env, {"submit", "--wait", "--keyword", k_keyword});
    CHECK(submitted.exit_code == 0);
    CHECK(run_sota(home, env, {"daemon", "stop"}).exit_code == 0);
}

TEST_CASE("sotad without --foreground detaches and returns once it answers",
          "[daemon][integration]") {
    test::TempHome home;
    auto env = test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    test::ProcessSpec spec;
    spec.argv = {SOTAD_BINARY};
    spec.env = env;
    spec.timeout = std::chrono::seconds(20);
    const auto started = test::run_process(spec);
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    adapters::DaemonClient client(socket_of(home));
    auto health = client.call("GET", "/v1/health");  // already answering: no wait
    REQUIRE(health);
    const int pid = json::parse(health->body).value("pid", 0);
    REQUIRE(pid > 0);
    CHECK(::getpgid(pid) != ::getpgrp());  // detached: not in our process group
    const auto again = test::run_process(spec);
    CHECK(again.exit_code == 1);
    CHECK(again.err.find("already running") != std::string::npos);
    CHECK(run_sota(home, env, {"daemon", "stop"}).exit_code == 0);
    CHECK_FALSE(fs::exists(socket_of(home)));
    auto bad = env;
    bad["SOTA_LOG_LEVEL"] = "bogus";
    spec.env = bad;
    const auto refused = test::run_process(spec);
    CHECK(refused.exit_code == 5);
    CHECK(refused.err.find("log.level") != std::string::npos);
}

TEST_CASE("sotad retries deferred WordPress posts on its housekeeping timer",
          "[daemon][integration][publish]") {
    test::DemoWorld world;
    test::TempHome home;
    test::FakeHttpServer wp_server;
    auto wp = std::make_shared<test::FakeWordPress>();
    test::install_wordpress(wp_server, wp);
    wp->writes_down = true;
    auto env = world_env(home, world);
    env["SOTA_WORDPRESS_URL"] = wp_server.base_url();
    env["SOTA_WORDPRESS_USER"] = wp->user;
    env["WORDPRESS_APP_PASSWORD"] = wp->app_password;
    env["SOTA_DAEMON_HOUSEKEEPING"] = "1s";
    auto daemon = start_daemon(home, env);
    auto submitted =
        run_sota(home, env, {"submit", "--keyword", k_keyword, "--publish", "draft", "--wait"});
    INFO(submitted.err);
    CHECK(submitted.exit_code == 0);
    const auto posts = [&] {
        std::lock_guard lock(wp->mutex);
        return wp->posts.size();
    };
    CHECK(posts() == 0);  // the site refused it; it waits in the publish queue

    wp->writes_down = false;
    for (int i = 0; i < 200 && posts() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // The daemon logs the drain once its publishing is done, just after the post appears.
    for (int i = 0; i < 50 && daemon->log().find("publish queue: 1 published") == std::string::npos;
         ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    INFO(daemon->log());
    CHECK(posts() == 1);
    CHECK(daemon->log().find("publish queue: 1 published") != std::string::npos);
}
