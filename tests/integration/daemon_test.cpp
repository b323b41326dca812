// The real sotad on a temporary socket, driven by the real sota and by raw HTTP.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "adapters/daemon_client.hpp"
#include "core/text.hpp"
#include "tests/support/background.hpp"
#include "tests/support/demo_world.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string k_keyword = "best espresso grinder";

/// The demo world's settings as sotad reads them: SOTA_* variables and provider key variables.
std::map<std::string, std::string> world_env(const test::TempHome& home,
                                             const test::DemoWorld& world) {
    auto env = test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    env["SOTA_RUN_OUT_DIR"] = (home.path() / "articles").string();  // not the daemon's cwd
    const auto args = world.sota_args();
    for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
        const std::string& v = args[i + 1];
        const auto eq = v.find('=');
        if (args[i] == "--set") {
            std::string key = "SOTA_" + v.substr(0, eq);
            for (auto& c : key) {
                c = c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            }
            env[key] = v.substr(eq + 1);
        } else if (args[i] == "--key") {
            const std::string name = v.substr(0, eq);
            env[name == "openai" ? "OPENAI_API_KEY" : "SERPER_API_KEY"] = v.substr(eq + 1);
        }
    }
    return env;
}

fs::path socket_of(const test::TempHome& home) {
    return home.path() / "run" / "sotad.sock";
}

/// sotad, started and waited for until it answers (at most 10 s).
std::unique_ptr<test::Background> start_daemon(const test::TempHome& home,
                                               std::map<std::string, std::string> env,
                                               int workers = 2) {
    auto d = std::make_unique<test::Background>(
        std::vector<std::string>{SOTAD_BINARY, "--foreground", "--workers",
                                 std::to_string(workers)},
        std::move(env), home.path() / "sotad.out");
    adapters::DaemonClient client(socket_of(home));
    for (int i = 0; i < 200; ++i) {
        auto health = client.call("GET", "/v1/health");
        if (health && health->status == 200) {
            return d;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("sotad did not answer within 10 s; its log:\n" << d->log());
    return d;
}

test::ProcessResult run_sota(const test::TempHome& home, std::map<std::string, std::string> env,
                             std::vector<std::string> args) {
    test::ProcessSpec spec;
    spec.argv = {SOTA_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = std::move(env);
    spec.timeout = std::chrono::seconds(60);
    spec.cwd = home.str();
    return test::run_process(spec);
}

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

std::string first_line(const std::string& text) {
    return core::trim(text.substr(0, text.find('\n')));
}

const std::map<std::string, std::string> k_no_cache = {
    {"SOTA_CACHE_TTL_KEYWORDS", "0"}, {"SOTA_CACHE_TTL_GAPS", "0"}, {"SOTA_CACHE_TTL_SERP", "0"}};

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

#include "core/api/protocol.hpp"

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
    CHECK(::getpgid(pid) != ::getpgrp());  // its own session, not ours
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

TEST_CASE("sota batch checks every row, runs them inline or through sotad, never twice",
          "[batch][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    test::write_text(home.path() / "bad.csv",
                     "keyword,priority\nbest espresso grinder,1\nab,2\nburr grinder,high\n");
    auto refused = run_sota(home, env, {"batch", "bad.csv"});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("bad.csv:3: keyword: must be 3-200 characters") != std::string::npos);
    CHECK(refused.err.find("bad.csv:4: priority: must be a whole number") != std::string::npos);
    CHECK(refused.err.find("nothing was submitted") != std::string::npos);
    CHECK(world.llm_server.requests().empty());

    auto dry = run_sota(home, env, {"batch", "bad.csv", "--dry-run", "--json", "--skip-invalid"});
    CHECK(dry.exit_code == 0);
    CHECK(json::parse(first_line(dry.out))["job"]["keyword"] == "best espresso grinder");

    // Inline, a bounded pool; a row that fails makes the exit code 4.
    test::write_text(home.path() / "k.csv",
                     "keyword,mode,url\n"
                     "best espresso grinder,,\n"
                     "best burr grinder,,\n"
                     "espresso grinder refresh,refresh,http://home-barista.example/gone\n");
    auto inline_run = run_sota(home, env, {"batch", "k.csv", "--results", "r.csv"});
    INFO(inline_run.err);
    CHECK(inline_run.exit_code == 4);
    CHECK(inline_run.err.find("2 completed, 1 failed, 0 skipped") != std::string::npos);
    const std::string results = test::read_text(home.path() / "r.csv");
    CHECK(results.rfind("line,keyword,job_id,status,score,cost_usd,tokens,directory,error", 0) ==
          0);
    CHECK(results.find("\r\n4,espresso grinder refresh,,failed,") != std::string::npos);
    const auto blueprints = test::prompts_seen(world.llm_server).at("blueprint");
    CHECK(blueprints == 2);

    // The same file again, inline or through the daemon: finished rows are not run again.
    auto again = run_sota(home, env, {"batch", "k.csv"});
    CHECK(again.exit_code == 4);
    auto daemon = start_daemon(home, env);
    // sotad checks each row's inputs too: the page to refresh is gone, so nothing is queued.
    auto gone = run_sota(home, env, {"batch", "k.csv", "--daemon"});
    CHECK(gone.exit_code == 2);
    CHECK(gone.err.find("home-barista.example/gone") != std::string::npos);
    test::write_text(home.path() / "good.csv",
                     "keyword\nbest espresso grinder\nbest burr grinder\nquiet grinder\n");
    auto submitted =
        run_sota(home, env, {"batch", "good.csv", "--daemon", "--wait", "--results", "r.json"});
    INFO(submitted.err);
    CHECK(submitted.exit_code == 0);
    CHECK(first_line(submitted.out).rfind("batch_", 0) == 0);
    CHECK(submitted.err.find("3 completed, 0 failed") != std::string::npos);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") ==
          blueprints + 1);  // only the new row
    CHECK(json::parse(test::read_text(home.path() / "r.json")).size() == 3);
}

namespace {

/// Runs `sota batch FILE --parallel 2` and kills it (SIGKILL) once both jobs are writing
/// sections; returns the batch id it printed.
std::string killed_batch(const test::TempHome& home, const std::map<std::string, std::string>& env,
                         test::DemoWorld& world, const std::string& file) {
    const auto sections = test::prompts_seen(world.llm_server)["write_section"];
    test::ProcessSpec spec;
    spec.argv = {SOTA_BINARY, "batch", file, "--parallel", "2"};
    spec.env = env;
    spec.cwd = home.str();
    spec.during = [&](int pid) {
        // One job sends at most 4 sections at once: 5 means both are past their blueprints.
        for (int i = 0;
             i < 400 && test::prompts_seen(world.llm_server)["write_section"] < sections + 5; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::kill(pid, SIGKILL);
    };
    const auto r = test::run_process(spec);
    CHECK(r.exit_code == 128 + SIGKILL);
    const auto at = r.err.find("batch batch_");
    REQUIRE(at != std::string::npos);
    return r.err.substr(at + 6, r.err.find(':', at) - at - 6);
}

}  // namespace

TEST_CASE("sota batch --resume continues a killed batch from its checkpoints, here or in sotad",
          "[batch][integration][resume]") {
    test::DemoWorld world;
    test::TempHome home;
    auto env = world_env(home, world);
    env.insert(k_no_cache.begin(), k_no_cache.end());
    test::write_text(home.path() / "a.csv", "keyword\nbest espresso grinder\nbest burr grinder\n");
    test::write_text(home.path() / "b.csv", "keyword\nquiet coffee grinder\nhand grinder\n");
    CHECK(run_sota(home, env, {"batch", "--resume", "batch_1_0000000"}).exit_code == 1);
    CHECK(run_sota(home, env, {"batch", "a.csv", "--resume", "x"}).exit_code == 2);

    world.section_delay_ms->store(4000);
    const std::string first = killed_batch(home, env, world, "a.csv");
    world.section_delay_ms->store(0);
    auto resumed = run_sota(home, env, {"batch", "--resume", first, "--results", "r.csv"});
    INFO(resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(resumed.err.find("2 completed, 0 failed") != std::string::npos);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") == 2);  // restored, not asked again
    CHECK(test::prompts_seen(world.llm_server).at("semantic_keywords") == 2);

    // The second batch is handed to sotad, which resumes both jobs.
    world.section_delay_ms->store(4000);
    const std::string second = killed_batch(home, env, world, "b.csv");
    world.section_delay_ms->store(0);
    auto daemon = start_daemon(home, env);
    auto handed = run_sota(home, env, {"batch", "--resume", second, "--daemon", "--wait"});
    INFO(handed.err << daemon->log());
    CHECK(handed.exit_code == 0);
    // sotad requeues jobs left running by a dead process when it starts; the rest on --resume.
    CHECK(handed.err.find("jobs queued again") != std::string::npos);
    CHECK(handed.err.find("2 completed, 0 failed") != std::string::npos);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") == 4);
    CHECK(test::prompts_seen(world.llm_server).at("gap_analysis") == 4);
}

TEST_CASE("an inline batch on a terminal shows an overall bar and a line per running job",
          "[batch][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    test::write_text(home.path() / "k.csv", "keyword\nbest espresso grinder\nbest burr grinder\n");
    world.section_delay_ms->store(400);
    test::ProcessSpec spec;
    spec.argv = {SOTA_BINARY, "batch", "k.csv", "--parallel", "2"};
    spec.env = env;
    spec.cwd = home.str();
    spec.pty = true;
    spec.timeout = std::chrono::seconds(60);
    const auto r = test::run_process(spec);
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("\x1b[") != std::string::npos);  // redrawn in place
    CHECK(r.out.find("0/2 done, 0 failed, 2 running") != std::string::npos);
    CHECK(r.out.find("best burr grinder") != std::string::npos);
    CHECK(r.out.find("step 4/8 generate") != std::string::npos);
    CHECK(r.out.find("2/2 done, 0 failed, 0 running") != std::string::npos);
    CHECK(r.out.find("[##############################]") != std::string::npos);
    CHECK(r.out.find("2 completed, 0 failed") != std::string::npos);
}

#include <fcntl.h>
#include <sys/file.h>

#include "tests/support/fake_wordpress.hpp"

TEST_CASE("sota refresh picks stale WordPress posts, is safe under cron, and runs each once",
          "[refresh][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    test::FakeHttpServer wp_server;
    auto wp = std::make_shared<test::FakeWordPress>();
    test::install_wordpress(wp_server, wp);
    const auto old1 =
        wp->add_post("Best Espresso Grinder Guide", "espresso-grinder-guide", 200, {7});
    wp->terms["categories"] = {
        {{"id", 7}, {"name", "Espresso Machines"}, {"slug", "espresso-machines"}},
        {{"id", 8},
         {
             "name",
             "Espresso",
         },
         {"slug", "espresso"}}};
    const auto old2 = wp->add_post("Burr Grinder Basics", "burr-grinder-basics", 120);
    wp->add_post("This Week in Coffee", "this-week", 5);
    auto env = world_env(home, world);
    env["SOTA_WORDPRESS_URL"] = wp_server.base_url();
    env["SOTA_WORDPRESS_USER"] = wp->user;
    env["WORDPRESS_APP_PASSWORD"] = wp->app_password;

    auto dry = run_sota(home, env, {"refresh", "--older-than", "90d", "--dry-run"});
    INFO(dry.err);
    REQUIRE(dry.exit_code == 0);
    CHECK(dry.out.find(std::to_string(old1) + "\t") != std::string::npos);
    CHECK(dry.out.find(std::to_string(old2) + "\t") != std::string::npos);
    CHECK(dry.out.find("this-week") == std::string::npos);
    CHECK(dry.err.find("2 article(s) to refresh (dry run") != std::string::npos);
    CHECK(world.llm_server.requests().empty());

    // Categories by name (any case), slug or id; an unknown one is named.
    for (const char* category : {"espresso machines", "espresso-machines", "7"}) {
        auto in_category = run_sota(
            home, env, {"refresh", "--older-than", "90d", "--category", category, "--dry-run"});
        INFO(category << ": " << in_category.err);
        CHECK(in_category.exit_code == 0);
        CHECK(in_category.out.find(std::to_string(old1) + "\t") != std::string::npos);
        CHECK(in_category.out.find(std::to_string(old2) + "\t") == std::string::npos);
    }
    auto unknown = run_sota(home, env, {"refresh", "--category", "Grinders", "--dry-run"});
    CHECK(unknown.exit_code != 0);
    CHECK(unknown.err.find("no category 'Grinders'") != std::string::npos);

    {
        // Another refresh holds the lock: this one skips, successfully.
        fs::create_directories(home.path() / "run");
        const int fd =
            ::open((home.path() / "run" / "refresh.lock").c_str(), O_RDWR | O_CREAT, 0600);
        REQUIRE(::flock(fd, LOCK_EX) == 0);
        auto busy = run_sota(home, env, {"refresh", "--older-than", "90d"});
        CHECK(busy.exit_code == 0);
        CHECK(busy.err.find("still running; skipping") != std::string::npos);
        ::close(fd);
    }

    auto ran = run_sota(home, env, {"refresh", "--older-than", "90d", "--results", "r.csv"});
    INFO(ran.err);
    CHECK(ran.exit_code == 0);
    CHECK(ran.err.find("2 completed, 0 failed") != std::string::npos);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") == 2);
    auto again = run_sota(home, env, {"refresh", "--older-than", "90d"});
    CHECK(again.exit_code == 0);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") == 2);  // the same posts: not again

    // Or from a list of pages instead of WordPress.
    test::write_text(home.path() / "pages.txt",
                     "https://blog.example/dial-in-espresso/\nhttps://blog.example/burr-care/\n");
    auto listed =
        run_sota(home, env, {"refresh", "--from", "pages.txt", "--dry-run", "--limit", "1"});
    CHECK(listed.exit_code == 0);
    CHECK(listed.out == "-\t-\thttps://blog.example/dial-in-espresso/\n");

    auto no_site = run_sota(home, world_env(home, world), {"refresh", "--older-than", "90d"});
    CHECK(no_site.exit_code == 5);
    CHECK(no_site.err.find("wordpress.url") != std::string::npos);
}

namespace {

/// A schedule as `sota schedule show --json` prints it.
json show_schedule(const test::TempHome& home, const std::map<std::string, std::string>& env,
                   const std::string& id) {
    auto shown = run_sota(home, env, {"schedule", "show", id, "--json"});
    INFO(shown.err);
    REQUIRE(shown.exit_code == 0);
    return json::parse(shown.out);
}

/// Waits up to 20 s for the schedule's newest run to have `outcome`; returns the runs.
json wait_for_run(const test::TempHome& home, const std::map<std::string, std::string>& env,
                  const std::string& id, const std::string& outcome) {
    json runs;
    for (int i = 0; i < 100; ++i) {
        runs = show_schedule(home, env, id)["runs"];
        if (!runs.empty() && runs[0].value("outcome", "") == outcome) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return runs;
}

/// Moves a schedule's next run to `when` in the job database, as if that time had come.
void set_next_run(const test::TempHome& home, const std::string& id, core::WallTime when) {
    SQLite::Database db((home.path() / "state" / "sota.db").string(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    SQLite::Statement q(db, "UPDATE schedules SET next_run_at = ? WHERE id = ? OR name = ?");
    q.bind(1, static_cast<std::int64_t>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch())
                      .count()));
    q.bind(2, id);
    q.bind(3, id);
    REQUIRE(q.exec() == 1);
}

}  // namespace

TEST_CASE("sotad keeps schedules: add checks the command, run-now runs it, pause and remove",
          "[daemon][schedule][integration]") {
    test::TempHome home;
    auto env = test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    test::write_text(home.path() / "k.csv", "keyword\nburr grinder review\n");
    auto daemon = start_daemon(home, env);

    auto bad_flag = run_sota(
        home, env, {"schedule", "add", "--cron", "0 3 * * 1", "--", "refresh", "--older", "90d"});
    CHECK(bad_flag.exit_code == 2);
    CHECK(bad_flag.err.find("did you mean '--older-than'") != std::string::npos);
    CHECK(bad_flag.err.find("nothing was scheduled") != std::string::npos);
    CHECK(
        run_sota(home, env, {"schedule", "add", "--cron", "0 3 * * 1", "--", "doctor"}).exit_code ==
        2);
    auto bad_cron = run_sota(
        home, env, {"schedule", "add", "--cron", "0 3 * *", "--", "batch", "k.csv", "--dry-run"});
    CHECK(bad_cron.exit_code == 2);
    CHECK(bad_cron.err.find("5 fields") != std::string::npos);
    CHECK(run_sota(home, env,
                   {"schedule", "add", "--cron", "@daily", "--tz", "Mars/Base", "--", "batch",
                    "k.csv", "--dry-run"})
              .exit_code == 2);
    auto none = run_sota(home, env, {"schedule", "list", "--json"});
    CHECK(json::parse(none.out).empty());  // nothing was added

    auto added = run_sota(home, env,
                          {"schedule", "add", "--cron", "0 3 * * *", "--tz", "Europe/Berlin",
                           "--name", "nightly", "--", "batch", "k.csv", "--dry-run"});
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
    const std::string id = first_line(added.out);
    CHECK(id.starts_with("sch_"));
    CHECK(run_sota(
              home, env,
              {"schedule", "add", "--cron", "@daily", "--name", "nightly", "--", "batch", "k.csv"})
              .err.find("exists") != std::string::npos);

    const json listed = json::parse(run_sota(home, env, {"schedule", "list", "--json"}).out);
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["tz"] == "Europe/Berlin");
    CHECK(listed[0]["next_run_local"].get<std::string>().ends_with(" 03:00"));
    CHECK(listed[0]["cwd"] == home.str());
    CHECK(listed[0]["command"] == json({"batch", "k.csv", "--dry-run"}));

    // run-now runs the command in the directory it was added from (k.csv is relative).
    auto ran = run_sota(home, env, {"schedule", "run-now", "nightly", "--wait"});
    INFO(ran.out << ran.err);
    CHECK(ran.exit_code == 0);
    CHECK(ran.out.find("burr grinder review") != std::string::npos);
    const json runs = show_schedule(home, env, id)["runs"];
    REQUIRE(runs.size() == 1);
    CHECK(runs[0]["trigger"] == "manual");
    CHECK(runs[0]["outcome"] == "succeeded");
    CHECK(fs::exists(runs[0]["log"].get<std::string>()));

    CHECK(json::parse(run_sota(home, env, {"schedule", "pause", id, "--json"}).out)["paused"] ==
          true);
    CHECK(json::parse(run_sota(home, env, {"schedule", "resume", id, "--json"}).out)["paused"] ==
          false);
    CHECK(run_sota(home, env, {"schedule", "remove", "nightly"}).exit_code == 0);
    CHECK(run_sota(home, env, {"schedule", "show", id}).err.find("no schedule") !=
          std::string::npos);
}

TEST_CASE("a schedule skips a run while the previous is going, and catches up missed runs",
          "[daemon][schedule][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    test::write_text(home.path() / "k.csv", "keyword\nburr grinder review\n");
    world.section_delay_ms->store(8000);
    auto daemon = start_daemon(home, env);

    // A long run (the model is slow): run-now again is refused, and a due cron run is skipped.
    const std::string slow = first_line(
        run_sota(home, env,
                 {"schedule", "add", "--cron", "0 0 1 1 *", "--", "run", "--keyword", k_keyword})
            .out);
    REQUIRE(run_sota(home, env, {"schedule", "run-now", slow}).exit_code == 0);
    auto again = run_sota(home, env, {"schedule", "run-now", slow});
    CHECK(again.exit_code != 0);
    CHECK(again.err.find("is running") != std::string::npos);
    set_next_run(home, slow, std::chrono::system_clock::now() - std::chrono::seconds(1));
    json runs = wait_for_run(home, env, slow, "skipped_busy");
    REQUIRE(runs.size() == 2);
    CHECK(runs[0]["outcome"] == "skipped_busy");
    CHECK(runs[1]["outcome"] == "running");
    CHECK(daemon->log().find("is skipped: the previous run") != std::string::npos);

    // Two more schedules; sotad goes down (stopping the slow run) and misses their runs.
    const std::string once = first_line(
        run_sota(home, env,
                 {"schedule", "add", "--cron", "0 0 1 1 *", "--", "batch", "k.csv", "--dry-run"})
            .out);
    const std::string skip =
        first_line(run_sota(home, env,
                            {"schedule", "add", "--cron", "0 0 1 1 *", "--missed", "skip", "--",
                             "batch", "k.csv", "--dry-run"})
                       .out);
    CHECK(daemon->stop(SIGTERM) == 0);
    for (const auto& id : {once, skip}) {
        set_next_run(home, id, std::chrono::system_clock::now() - std::chrono::hours(5));
    }
    world.section_delay_ms->store(0);
    daemon = start_daemon(home, env);
    CHECK(show_schedule(home, env, slow)["runs"][1]["outcome"] == "interrupted");
    runs = wait_for_run(home, env, once, "succeeded");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0]["trigger"] == "missed");
    runs = wait_for_run(home, env, skip, "skipped_missed");
    REQUIRE(runs.size() == 1);
    for (const auto& id : {once, skip}) {
        const json s = show_schedule(home, env, id);
        CHECK(s["next_run"].get<std::string>() >
              core::iso8601_utc(std::chrono::system_clock::now()));
    }
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
    INFO(daemon->log());
    CHECK(posts() == 1);
    CHECK(daemon->log().find("publish queue: 1 published") != std::string::npos);
}
