#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <thread>

#include "core/pipeline/engine.hpp"
#include "tests/support/memory_job_store.hpp"

using namespace sota::core;
using namespace sota::core::pipeline;
using nlohmann::json;

namespace {

/// The standard workflow with every built-in step replaced by a function that records its
/// calls and produces placeholder artifacts.
struct Harness {
    sota::test::MemoryJobStore store;
    StepServices services;
    RecordingReporter events;
    SystemClock clock;
    Workflow workflow = *find_builtin_workflow("standard");
    JobRecord job;
    std::mutex mutex;
    std::map<std::string, int> calls;

    Harness() {
        for (const auto& s : workflow.steps) {
            set(s.uses, [](StepContext&) { return Expected<json>(json::object()); });
        }
        job.id = "job_1_test";
        job.spec.keyword = "espresso grinder";
        job.workflow = std::make_shared<const json>(to_json(workflow));
        REQUIRE(store.create_job(job));
    }

    /// Replaces a step; `fn` returns nothing special: outputs are filled in.
    void set(const std::string& step, std::function<Expected<json>(StepContext&)> fn) {
        services.step_overrides[step] = [this, step, fn](StepContext& ctx) -> Expected<json> {
            {
                std::lock_guard lock(mutex);
                ++calls[step];
            }
            auto out = fn(ctx);
            if (!out) {
                return out;
            }
            for (const auto& name : ctx.spec().outputs) {
                if (!out->contains(name)) {
                    (*out)[name] = step + " output";
                }
            }
            return out;
        };
    }

    RunOutcome run(CancelToken cancel = {}) {
        Engine engine(store, services, events, clock);
        return engine.run(job, workflow, cancel);
    }

    int called(const std::string& step) {
        std::lock_guard lock(mutex);
        return calls[step];
    }
};

}  // namespace

TEST_CASE("the engine runs every step and checkpoints each before the next starts", "[engine]") {
    Harness h;
    std::vector<std::string> seen_before_generate;
    h.set("generate", [&](StepContext& ctx) -> Expected<json> {
        for (const auto& c : h.store.checkpoints(h.job.id)) {
            seen_before_generate.push_back(c.step);
        }
        CHECK(ctx.input("outline") == "blueprint output");
        return json::object();
    });
    const auto outcome = h.run();
    REQUIRE(outcome.state == JobState::completed);
    CHECK(seen_before_generate ==
          std::vector<std::string>{"semantic_keywords", "gap_analysis", "blueprint"});
    CHECK(h.store.checkpoints(h.job.id).size() == 8);
    CHECK(outcome.artifacts["quality"] == "validate output");
    // The engine leaves the job validating: its caller writes the result, then completes it.
    CHECK(h.store.get_job(h.job.id)->state == JobState::validating);
    CHECK(outcome.ran.size() == 8);
}

TEST_CASE("references and internal links run at the same time", "[engine]") {
    Harness h;
    std::mutex m;
    std::condition_variable cv;
    int started = 0;
    auto meet = [&](StepContext&) -> Expected<json> {
        std::unique_lock lock(m);
        ++started;
        cv.notify_all();
        // Each waits for the other: only concurrent steps both get past this.
        const bool both = cv.wait_for(lock, std::chrono::seconds(5), [&] { return started == 2; });
        if (!both) {
            return fail(ErrorKind::internal, "test.serial", "steps ran one after the other");
        }
        return json::object();
    };
    h.set("references", meet);
    h.set("internal_links", meet);
    const auto outcome = h.run();
    REQUIRE(outcome.state == JobState::completed);
}

TEST_CASE("a resumed job never runs a finished step again", "[engine]") {
    Harness h;
    std::atomic<bool> broken{true};
    h.set("generate", [&](StepContext&) -> Expected<json> {
        if (broken) {
            return fail(ErrorKind::network, "http.timeout", "the model timed out", true);
        }
        return json::object();
    });
    auto first = h.run();
    REQUIRE(first.state == JobState::failed);
    CHECK(first.error->code == "http.timeout");
    CHECK(h.store.get_job(h.job.id)->error["code"] == "http.timeout");
    CHECK(resumable(h.store.get_job(h.job.id)->state));

    broken = false;
    auto second = h.run();
    REQUIRE(second.state == JobState::completed);
    CHECK(second.restored ==
          std::vector<std::string>{"semantic_keywords", "gap_analysis", "blueprint"});
    for (const char* step : {"semantic_keywords", "gap_analysis", "blueprint"}) {
        CHECK(h.called(step) == 1);
    }
    CHECK(h.called("generate") == 2);
    CHECK(h.job.attempts == 2);
    std::size_t restored_events = 0;
    for (const auto& e : h.events.events()) {
        restored_events += e.type == EventType::step_restored;
    }
    CHECK(restored_events == 3);
}

TEST_CASE("a step past its timeout is cancelled and the job fails, resumable", "[engine]") {
    Harness h;
    for (auto& s : h.workflow.steps) {
        if (s.uses == "blueprint") {
            s.timeout = Millis(100);
        }
    }
    h.set("blueprint", [&](StepContext& ctx) -> Expected<json> {
        for (int i = 0; i < 500 && !ctx.cancel().cancelled(); ++i) {
            std::this_thread::sleep_for(Millis(10));
        }
        return fail(ErrorKind::cancelled, "http.cancelled", "cancelled");
    });
    const auto start = std::chrono::steady_clock::now();
    const auto outcome = h.run();
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    REQUIRE(outcome.state == JobState::failed);
    CHECK(outcome.error->code == "step.timeout");
    CHECK(outcome.error->retryable);
    CHECK(outcome.error->message.find("step.blueprint.timeout") != std::string::npos);
    CHECK(h.called("generate") == 0);
}

namespace {
/// A model whose calls wait `paced` for the rate limiter (reported as the resilient path does)
/// and then answer at once.
class PacedProvider final : public llm::Provider {
  public:
    PacedProvider(resilience::CallHooks hooks, Millis paced, bool reported)
        : m_hooks(std::move(hooks)), m_paced(paced), m_reported(reported) {}
    ProviderKind kind() const override { return ProviderKind::openai; }
    void complete(llm::Request, llm::Callback done) override {
        if (m_reported && m_hooks.on_rate_limited) {
            m_hooks.on_rate_limited(m_paced);
        }
        std::this_thread::sleep_for(m_paced);
        llm::Response r;
        r.text = "ok";
        done(std::move(r));
    }

  private:
    resilience::CallHooks m_hooks;
    Millis m_paced;
    bool m_reported;
};
}  // namespace

TEST_CASE(
    "time a step waits for the organisation's rate limit does not count against its "
    "timeout",
    "[engine]") {
    // The same 600 ms wait, once as the rate limiter's (reported) and once as a slow answer.
    const bool reported = GENERATE(true, false);
    Harness h;
    for (auto& s : h.workflow.steps) {
        if (s.uses == "blueprint") {
            s.timeout = Millis(150);
        }
    }
    h.services.llm = [reported](
                         const std::string&,
                         resilience::CallHooks hooks) -> Expected<std::unique_ptr<llm::Provider>> {
        return std::unique_ptr<llm::Provider>(
            std::make_unique<PacedProvider>(hooks, Millis(600), reported));
    };
    h.set("blueprint", [](StepContext& ctx) -> Expected<json> {
        llm::Request request;
        request.messages.push_back({"user", "outline"});
        auto answer = ctx.complete(std::move(request));
        if (!answer) {
            return fail(answer.error());
        }
        return json::object();
    });
    const auto outcome = h.run();
    INFO((outcome.error ? outcome.error->message : std::string()));
    if (reported) {
        CHECK(outcome.state == JobState::completed);
    } else {
        REQUIRE(outcome.state == JobState::failed);
        CHECK(outcome.error->code == "step.timeout");
    }
}

TEST_CASE("cancelling stops the running step at once and leaves the job interrupted", "[engine]") {
    Harness h;
    CancelToken cancel;
    h.set("gap_analysis", [&](StepContext& ctx) -> Expected<json> {
        cancel.cancel();  // Ctrl-C arrives while this step runs
        for (int i = 0; i < 500 && !ctx.cancel().cancelled(); ++i) {
            std::this_thread::sleep_for(Millis(10));
        }
        return fail(ErrorKind::cancelled, "http.cancelled", "cancelled");
    });
    const auto outcome = h.run(cancel);
    REQUIRE(outcome.state == JobState::interrupted);
    CHECK(h.store.get_job(h.job.id)->state == JobState::interrupted);
    CHECK(h.store.checkpoints(h.job.id).size() == 1);  // semantic_keywords only
    CHECK(h.called("blueprint") == 0);
}

TEST_CASE("the workflow deadline stops a job that runs too long", "[engine]") {
    Harness h;
    h.workflow.deadline = Millis(150);
    h.set("semantic_keywords", [&](StepContext& ctx) -> Expected<json> {
        for (int i = 0; i < 500 && !ctx.cancel().cancelled(); ++i) {
            std::this_thread::sleep_for(Millis(10));
        }
        return fail(ErrorKind::cancelled, "http.cancelled", "cancelled");
    });
    const auto outcome = h.run();
    REQUIRE(outcome.state == JobState::failed);
    CHECK(outcome.error->code == "job.deadline");
}

TEST_CASE("a step that leaves out a declared output fails the job", "[engine]") {
    Harness h;
    h.services.step_overrides["semantic_keywords"] = [](StepContext&) -> Expected<json> {
        return json{{"wrong", 1}};
    };
    const auto outcome = h.run();
    REQUIRE(outcome.state == JobState::failed);
    CHECK(outcome.error->code == "step.bad_output");
    CHECK(h.store.checkpoints(h.job.id).empty());
}

TEST_CASE("progress events are built only when some reporter keeps them", "[engine]") {
    // Keeps everything but progress, and counts what it was handed.
    struct NoProgress final : Reporter {
        std::atomic<int> progress{0}, other{0};
        void on_event(const Event& e) override {
            ++(e.type == EventType::progress_update ? progress : other);
        }
        bool wants(EventType type) const override { return type != EventType::progress_update; }
    };
    NoProgress quiet;
    RecordingReporter all;
    FanoutReporter only_quiet, both;
    only_quiet.add(&quiet);
    both.add(&quiet);
    both.add(&all);
    CHECK_FALSE(only_quiet.wants(EventType::progress_update));
    CHECK(both.wants(EventType::progress_update));

    // Runs the standard workflow, its blueprint step reporting progress once, into `reporter`.
    auto run_into = [](Reporter& reporter) {
        Harness h;
        h.set("blueprint", [](StepContext& ctx) -> Expected<json> {
            ctx.progress("outlining");
            return json::object();
        });
        Engine engine(h.store, h.services, reporter, h.clock);
        return engine.run(h.job, h.workflow, CancelToken{}).state;
    };
    REQUIRE(run_into(only_quiet) == JobState::completed);
    CHECK(quiet.progress == 0);
    CHECK(quiet.other > 0);

    REQUIRE(run_into(both) == JobState::completed);
    const auto events = all.events();
    CHECK(std::count_if(events.begin(), events.end(), [](const Event& e) {
              return e.type == EventType::progress_update &&
                     e.data.value("detail", "") == "outlining";
          }) == 1);
}

TEST_CASE("the store shows the step a job is in while it runs, and the steps done",
          "[engine][progress]") {
    Harness h;
    std::optional<JobRecord> during;
    h.set("generate", [&](StepContext&) -> Expected<json> {
        during = h.store.get_job(h.job.id);
        return json::object();
    });
    REQUIRE(h.run().state == JobState::completed);
    REQUIRE(during);
    CHECK(during->state == JobState::running);
    CHECK(during->current_step == "generate");
    CHECK(during->progress.steps_done == 3);  // keywords, gaps, blueprint
}
