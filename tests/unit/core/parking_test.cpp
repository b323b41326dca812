#include <catch2/catch.hpp>

#include "core/pipeline/engine.hpp"
#include "core/pipeline/parking.hpp"
#include "tests/support/memory_job_store.hpp"

using namespace sota::core;
using namespace sota::core::pipeline;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

Error breaker_open(Millis until_trial) {
    Error e{ErrorKind::provider, "breaker.open", "the circuit breaker service:openai is open",
            true};
    e.retry_after = until_trial;
    e.detail = "service:openai";
    return e;
}

Error server_error() {
    return Error{ErrorKind::provider, "provider.server_error",
                 "openai answered 503 (after 6 attempts)", true};
}

JobRecord a_job() {
    JobRecord job;
    job.id = "job_1_park";
    job.state = JobState::running;
    job.owner_pid = 42;
    return job;
}

}  // namespace

TEST_CASE("which failures a job waits out and which fail it", "[parking]") {
    CHECK(recovery_for(breaker_open(30s)) == Recovery::wait_for_breaker);
    CHECK(recovery_for(server_error()) == Recovery::retry_later);
    CHECK(recovery_for(Error{ErrorKind::network, "http.connect", "connection refused", true}) ==
          Recovery::retry_later);
    CHECK(recovery_for(Error{ErrorKind::network, "step.timeout", "took too long", true}) ==
          Recovery::retry_later);
    CHECK(recovery_for(Error{ErrorKind::credentials, "provider.auth", "bad key", true}) ==
          Recovery::fail);
    CHECK(recovery_for(Error{ErrorKind::billing, "provider.quota", "no credit", true}) ==
          Recovery::fail);
    CHECK(recovery_for(Error{ErrorKind::provider, "provider.invalid_request", "bad", false}) ==
          Recovery::fail);
    CHECK(recovery_for(Error{ErrorKind::network, "job.deadline", "too late", true}) ==
          Recovery::fail);
    CHECK(recovery_for(Error{ErrorKind::cancelled, "job.interrupted", "stop", false}) ==
          Recovery::fail);
}

TEST_CASE("an open breaker parks a job until its trial call, spread, for free", "[parking]") {
    const ParkPolicy policy;
    const WallTime now = std::chrono::system_clock::now();
    std::vector<WallTime> times;
    for (const double random : {0.0, 0.5, 0.999}) {
        JobRecord job = a_job();
        REQUIRE_FALSE(park(job, breaker_open(30s), policy, now, random));
        CHECK(job.state == JobState::waiting);
        CHECK(job.owner_pid == 0);
        CHECK(job.waiting_for == "service:openai");
        CHECK(job.error["code"] == "breaker.open");
        CHECK(job.retries == 0);  // nothing was sent: no retry spent
        REQUIRE(job.retry_at);
        CHECK(*job.retry_at >= now + 30s);
        CHECK(*job.retry_at < now + 38s);  // spread over a quarter of the wait
        CHECK(job.waited_ms == std::chrono::duration_cast<Millis>(*job.retry_at - now).count());
        times.push_back(*job.retry_at);
    }
    CHECK(times[0] < times[1]);
    CHECK(times[1] < times[2]);
}

TEST_CASE("failed steps are retried later, doubling, until job.retries is spent", "[parking]") {
    ParkPolicy policy;
    policy.max_retries = 3;
    policy.first_delay = 10s;
    const WallTime now = std::chrono::system_clock::now();
    JobRecord job = a_job();
    std::vector<Millis> delays;
    for (int i = 0; i < 3; ++i) {
        REQUIRE_FALSE(park(job, server_error(), policy, now, 0.5));
        delays.push_back(std::chrono::duration_cast<Millis>(*job.retry_at - now));
        CHECK(job.waiting_for.empty());
    }
    CHECK(delays == std::vector<Millis>{10s, 20s, 40s});
    CHECK(job.retries == 3);
    const auto failure = park(job, server_error(), policy, now, 0.5);
    REQUIRE(failure);
    CHECK(failure->code == "job.retries_spent");
    CHECK_FALSE(failure->retryable);
    CHECK(failure->message.find("job.retries = 3") != std::string::npos);
    CHECK(failure->message.find("openai answered 503") != std::string::npos);  // the cause
    CHECK(failure->message.find("sota retry job_1_park") != std::string::npos);

    // A lasting failure fails at once, unchanged.
    JobRecord other = a_job();
    const auto denied = park(
        other, Error{ErrorKind::credentials, "provider.auth", "bad key", false}, policy, now, 0.5);
    REQUIRE(denied);
    CHECK(denied->code == "provider.auth");
    CHECK(other.state == JobState::running);
}

TEST_CASE("a job waits at most job.max_wait in all, then fails saying so", "[parking]") {
    ParkPolicy policy;
    policy.max_wait = 70s;
    const WallTime now = std::chrono::system_clock::now();
    JobRecord job = a_job();
    REQUIRE_FALSE(park(job, breaker_open(30s), policy, now, 0));
    REQUIRE_FALSE(park(job, breaker_open(30s), policy, now, 0));
    REQUIRE_FALSE(park(job, breaker_open(30s), policy, now, 0));  // cut to the 10 s left
    CHECK(*job.retry_at == now + 10s);
    CHECK(job.waited_ms == 70'000);
    const auto failure = park(job, breaker_open(30s), policy, now, 0);
    REQUIRE(failure);
    CHECK(failure->code == "job.wait_exhausted");
    CHECK(failure->message.find("job.max_wait = 70 s") != std::string::npos);
    CHECK(failure->message.find("service:openai") != std::string::npos);

    requeue_for_retry(job, now);  // a deliberate retry starts the budgets again
    CHECK(job.state == JobState::queued);
    CHECK(job.waited_ms == 0);
    CHECK(job.retries == 0);
    CHECK_FALSE(job.retry_at);
    CHECK(job.error.is_null());
}

TEST_CASE(
    "with parking, a step refused by an open breaker leaves its job waiting, its "
    "finished steps checkpointed, and without it the job fails",
    "[parking][engine]") {
    for (const bool parking : {true, false}) {
        sota::test::MemoryJobStore store;
        StepServices services;
        RecordingReporter events;
        SystemClock clock;
        Workflow workflow;
        workflow.name = "two";
        for (const auto* id : {"first", "second"}) {
            StepSpec s;
            s.id = id;
            s.kind = StepKind::builtin;
            s.uses = id;
            s.inputs = {std::string(id) == "first" ? "keyword" : "a"};
            s.outputs = {std::string(id) == "first" ? "a" : "b"};
            workflow.steps.push_back(s);
            services.step_overrides[id] = [id](StepContext&) -> Expected<json> {
                if (std::string(id) == "second") {
                    return fail(breaker_open(30s));
                }
                return json{{"a", "done"}};
            };
        }
        JobRecord job = a_job();
        job.spec.keyword = "espresso";
        REQUIRE(store.create_job(job));
        Engine engine(store, services, events, clock);
        if (parking) {
            engine.set_parking(ParkPolicy{});
        }
        const auto outcome = engine.run(job, workflow, {});
        const auto stored = store.get_job(job.id);
        REQUIRE(stored);
        CHECK(store.checkpoints(job.id).size() == 1);
        if (parking) {
            CHECK(outcome.state == JobState::waiting);
            CHECK(stored->state == JobState::waiting);
            CHECK(stored->retry_at);
            CHECK(stored->waiting_for == "service:openai");
            const auto all = events.events();
            const auto& last = all.back();
            CHECK(last.type == EventType::status_change);
            CHECK(last.data["state"] == "waiting");
            CHECK(last.data["waiting_for"] == "service:openai");
            CHECK(last.data.contains("retry_at"));
        } else {
            CHECK(outcome.state == JobState::failed);
            CHECK(stored->state == JobState::failed);
            CHECK(stored->error["code"] == "breaker.open");
        }
    }
}
