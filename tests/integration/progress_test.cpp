// A daemon job's progress as a user sees it while it runs: `sota status JOB`, `sota list` and
// GET /v1/jobs/{id} name the step it is in and count the steps done, tokens and cost so far.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/daemon_client.hpp"
#include "core/pipeline/job.hpp"
#include "tests/integration/sotad_harness.hpp"

using namespace sota;
using nlohmann::json;
using test::first_line;
using test::k_keyword;

namespace {

/// The job as GET /v1/jobs/{id} answers it.
json get_job(const test::TempHome& home, const std::string& id) {
    adapters::DaemonClient client(test::socket_of(home));
    auto reply = client.call("GET", "/v1/jobs/" + id);
    REQUIRE(reply);
    REQUIRE(reply->status == 200);
    return json::parse(reply->body);
}

/// The line of `text` that holds `id`.
std::string line_with(const std::string& text, const std::string& id) {
    const auto at = text.find(id);
    if (at == std::string::npos) {
        return "";
    }
    const auto start = text.rfind('\n', at);
    const auto end = text.find('\n', at);
    return text.substr(start == std::string::npos ? 0 : start + 1,
                       end == std::string::npos
                           ? std::string::npos
                           : end - (start == std::string::npos ? 0 : start + 1));
}

}  // namespace

TEST_CASE(
    "a running daemon job shows its step, steps done, tokens and cost in status, list and "
    "GET",
    "[daemon][integration][progress]") {
    test::DemoWorld world;
    test::TempHome home;
    auto env = world_env(home, world);
    env.insert(test::k_no_cache.begin(), test::k_no_cache.end());
    // Each section takes 1.5 s: the job stays in its generate step (the fourth) long enough to
    // be looked at.
    world.section_delay_ms->store(1500);
    auto daemon = start_daemon(home, env);
    auto submitted = run_sota(home, env, {"submit", "--keyword", k_keyword});
    INFO(submitted.err);
    REQUIRE(submitted.exit_code == 0);
    const std::string id = first_line(submitted.out);

    json view;
    for (int i = 0; i < 600; ++i) {
        view = get_job(home, id);
        if (view.value("step_name", "") == "generate" ||
            core::pipeline::ended(view.value("status", std::string()))) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    INFO(view.dump());
    REQUIRE(view["status"] == "running");
    CHECK(view["step_name"] == "generate");
    CHECK(view["step"] == 4);
    CHECK(view["total_steps"] == 8);
    CHECK(view["steps_done"] == 3);  // keywords, gaps and the blueprint are checkpointed
    CHECK(view["tokens"].get<std::int64_t>() > 0);
    CHECK(view["cost_usd"].get<double>() > 0);

    // `sota status JOB --json` and `sota list --json` show the same job the same way.
    auto status = run_sota(home, env, {"status", id, "--json"});
    REQUIRE(status.exit_code == 0);
    const json shown = json::parse(status.out);
    auto listed = run_sota(home, env, {"list", "--json"});
    REQUIRE(listed.exit_code == 0);
    const json row = json::parse(listed.out)["jobs"][0];
    REQUIRE(row["id"] == id);
    for (const auto* field : {"status", "step", "step_name", "steps_done", "tokens"}) {
        INFO(field);
        CHECK(shown[field] == view[field]);
        CHECK(row[field] == view[field]);
    }

    // The text forms say the same.
    auto text = run_sota(home, env, {"status", id});
    CHECK(text.out.find(id + "  running  " + k_keyword + "  step 4/8 generate (3 done, ") !=
          std::string::npos);
    auto table = run_sota(home, env, {"list"});
    const std::string line = line_with(table.out, id);
    INFO(table.out);
    CHECK(line.find("running") != std::string::npos);
    CHECK(line.find("4/8 generate") != std::string::npos);
    CHECK(line.find("3 done, " + std::to_string(view["tokens"].get<std::int64_t>()) + " tokens") !=
          std::string::npos);

    world.section_delay_ms->store(0);
    REQUIRE(run_sota(home, env, {"wait", id, "--timeout", "60"}).exit_code == 0);
    const json done = get_job(home, id);
    CHECK(done["step"] == 8);
    CHECK(done["steps_done"] == 8);
    CHECK(done["tokens"].get<std::int64_t>() > view["tokens"].get<std::int64_t>());
    CHECK(done["tokens"] == done["result"]["tokens"]);
}
