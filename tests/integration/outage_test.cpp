// Provider outages and error rates against the real sotad with its default resilience
// settings: jobs wait out an open breaker (state waiting, holding no worker) and resume from
// their checkpoints; a job that kills sotad twice is quarantined.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/daemon_client.hpp"
#include "tests/integration/sotad_harness.hpp"

using namespace sota;
using nlohmann::json;
using test::first_line;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

/// A workflow of two prompt steps (two model calls a job, the second after a checkpoint).
fs::path two_prompts(const test::TempHome& home) {
    const auto file = home.path() / "two.toml";
    test::write_text(
        file,
        "name = \"two\"\n"
        "[[steps]]\nid = \"outline\"\ninputs = [\"keyword\"]\noutputs = [\"outline\"]\n"
        "prompt = \"Outline an article about {{keyword}}\"\n"
        "[[steps]]\nid = \"summary\"\ninputs = [\"outline\"]\n"
        "outputs = [\"summary\"]\nprompt = \"Summarise {{outline}}\"\n");
    return file;
}

/// Submits `n` jobs of `workflow` as one batch; returns its id.
std::string submit_batch(adapters::DaemonClient& client, const test::TempHome& home,
                         const fs::path& workflow, int n) {
    json rows = json::array();
    for (int i = 0; i < n; ++i) {
        rows.push_back({{"keyword", "espresso grinder " + std::to_string(i)},
                        {"workflow", workflow.string()},
                        {"out", (home.path() / "out" / std::to_string(i)).string()}});
    }
    auto accepted = client.call("POST", "/v1/batches", json{{"jobs", rows}}.dump());
    REQUIRE(accepted);
    INFO(accepted->body);
    REQUIRE(accepted->status == 202);
    return json::parse(accepted->body)["batch_id"].get<std::string>();
}

/// A batch's jobs counted by state.
json batch_counts(adapters::DaemonClient& client, const std::string& batch) {
    auto reply = client.call("GET", "/v1/batches/" + batch);
    REQUIRE(reply);
    REQUIRE(reply->status == 200);
    return json::parse(reply->body)["counts"];
}

/// Waits (at most `limit`) until no job of the batch is left to run; returns the counts.
json wait_for_batch(adapters::DaemonClient& client, const std::string& batch, int total,
                    std::chrono::seconds limit, const std::function<void()>& meanwhile = {}) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    json counts;
    while (std::chrono::steady_clock::now() < deadline) {
        counts = batch_counts(client, batch);
        const int done =
            counts.value("completed", 0) + counts.value("failed", 0) + counts.value("cancelled", 0);
        if (done == total) {
            return counts;
        }
        if (meanwhile) {
            meanwhile();
        }
        std::this_thread::sleep_for(250ms);
    }
    return counts;
}

}  // namespace

TEST_CASE(
    "a two-minute provider outage during a 300-job batch: every job completes, and fewer "
    "than 20 requests reach the provider while it is down",
    "[.outage][daemon][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    world.llm->outage_after = 150;  // mid-batch: some jobs done, some between their two steps
    world.llm->outage_for = 120s;
    // The defaults: daemon.workers, retry.*, breaker.*, job.*.
    auto daemon = test::start_daemon(home, env, 4);
    adapters::DaemonClient client(test::socket_of(home));
    const std::string batch = submit_batch(client, home, two_prompts(home), 300);

    // While the provider is down, the parked jobs show what they wait for and when they try
    // again: in status, list, their events and `sota breakers`.
    bool seen_waiting = false;
    std::string waiting_id;
    const auto look = [&] {
        if (seen_waiting || !world.llm->outage_began || world.llm->outage_over()) {
            return;
        }
        auto listed = test::run_sota(home, env, {"list", "--status", "waiting", "--json"});
        const json jobs = json::parse(listed.out, nullptr, false);
        if (!jobs.is_object() || jobs["jobs"].empty()) {
            return;
        }
        const json job = jobs["jobs"][0];
        waiting_id = job["id"].get<std::string>();
        CHECK(job["waiting_for"] == "service:openai");
        CHECK(job["error"]["code"] == "breaker.open");
        CHECK(job.contains("retry_at"));
        auto table = test::run_sota(home, env, {"list", "--status", "waiting"});
        CHECK(table.out.find("waiting (next try ") != std::string::npos);
        auto status = test::run_sota(home, env, {"status", waiting_id});
        CHECK(status.out.find("waiting on service:openai, next try at ") != std::string::npos);
        auto breakers = test::run_sota(home, env, {"breakers", "--json"});
        bool counted = false;
        for (const auto& b : json::parse(breakers.out)) {
            counted =
                counted || (b["name"] == "service:openai" && b["waiting_jobs"].get<int>() > 0);
        }
        CHECK(counted);
        seen_waiting = true;
    };
    const json counts = wait_for_batch(client, batch, 300, 330s, look);
    INFO(counts.dump());
    INFO(daemon->log().substr(0, 20000));
    CHECK(world.llm->outage_over());
    CHECK(counts.value("completed", 0) == 300);
    CHECK(world.llm->outage_requests < 20);
    CHECK(seen_waiting);

    // The waiting job's events say why it waited and until when, then that it went on.
    REQUIRE_FALSE(waiting_id.empty());
    bool waited = false;
    auto streamed = client.stream("/v1/jobs/" + waiting_id + "/events", [&](std::string_view line) {
        const json e = json::parse(line, nullptr, false);
        if (e.is_object() && e["type"] == "status_change" && e["data"]["state"] == "waiting") {
            waited = waited || (e["data"].contains("retry_at") &&
                                e["data"]["error"]["code"] == "breaker.open");
        }
        return true;
    });
    REQUIRE(streamed);
    CHECK(waited);
    // Nothing failed, so nothing was logged at warn about a job.
    CHECK(daemon->log().find("failed:") == std::string::npos);
}

TEST_CASE("a provider answering 30 % 5xx and 10 % 429 completes every job of a 200-job batch",
          "[.outage][daemon][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    world.llm->flaky_server_error = 0.3;
    world.llm->flaky_rate_limit = 0.1;
    world.llm->seed = 20261203;
    // Default resilience settings; more jobs at once than daemon.workers only to keep the
    // test short (the delays between retries are what takes the time).
    auto daemon = test::start_daemon(home, env, 24);
    adapters::DaemonClient client(test::socket_of(home));
    const std::string batch = submit_batch(client, home, two_prompts(home), 200);
    const json counts = wait_for_batch(client, batch, 200, 300s);
    INFO(counts.dump());
    INFO(daemon->log().substr(0, 20000));
    CHECK(counts.value("completed", 0) == 200);
    CHECK(world.llm_server.count("/v1/chat/completions") > 500);  // the failures were real
}

TEST_CASE("a job that kills sotad twice is failed with job.poison and not started again",
          "[daemon][integration][poison]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    // The step kills the daemon running it, as a crash in the job's own work would.
    const auto workflow = home.path() / "crash.toml";
    test::write_text(workflow,
                     "name = \"crash\"\n[[steps]]\nid = \"crash\"\ninputs = [\"keyword\"]\n"
                     "outputs = [\"never\"]\nrun = [\"sh\", \"-c\", \"sleep 1; kill -9 $PPID; "
                     "sleep 5\"]\ntimeout = \"20s\"\n");
    const auto wait_for_death = [](test::Background& daemon) {
        for (int i = 0; i < 200 && !daemon.exited(); ++i) {
            std::this_thread::sleep_for(100ms);
        }
        REQUIRE(daemon.exited());
    };
    std::string id;
    {
        auto first = test::start_daemon(home, env);
        auto submitted = test::run_sota(
            home, env,
            {"submit", "--keyword", "espresso grinder", "--workflow", workflow.string()});
        INFO(submitted.err);
        REQUIRE(submitted.exit_code == 0);
        id = first_line(submitted.out);
        wait_for_death(*first);
    }
    {
        auto second = test::start_daemon(home, env);  // requeues it once; it crashes again
        wait_for_death(*second);
        CHECK(second->log().find("requeued 1 job(s)") != std::string::npos);
    }
    auto third = test::start_daemon(home, env);
    auto status = test::run_sota(home, env, {"status", id, "--json"});
    REQUIRE(status.exit_code == 0);
    const json view = json::parse(status.out);
    CHECK(view["status"] == "failed");
    CHECK(view["error"]["code"] == "job.poison");
    const std::string message = view["error"]["message"];
    CHECK(message.find("not started again automatically") != std::string::npos);
    CHECK(message.find("sota retry " + id) != std::string::npos);
    std::this_thread::sleep_for(1500ms);  // long enough for the step to have killed it again
    CHECK_FALSE(third->exited());
    CHECK(third->log().find("job " + id + " failed: ") != std::string::npos);
    CHECK(third->log().find("(job.poison)") != std::string::npos);
}
