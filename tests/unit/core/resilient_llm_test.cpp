#include <catch2/catch.hpp>
#include <deque>
#include <future>

#include "core/resilience/resilient_llm.hpp"
#include "tests/support/fake_clock.hpp"

using namespace sota::core;
using namespace sota::core::resilience;
using namespace std::chrono_literals;
using sota::test::FakeClock;

namespace {

// A provider whose answers are scripted: each call takes the next Error (or success).
class ScriptedProvider final : public llm::Provider {
  public:
    std::deque<std::optional<Error>> script;
    int calls = 0;
    std::string streamed_before_error;

    ProviderKind kind() const override { return ProviderKind::openai; }
    void complete(llm::Request request, llm::Callback done) override {
        ++calls;
        std::optional<Error> next;
        if (!script.empty()) {
            next = script.front();
            script.pop_front();
        }
        if (next) {
            if (request.on_text && !streamed_before_error.empty()) {
                request.on_text(streamed_before_error);
            }
            done(fail(*next));
            return;
        }
        llm::Response r;
        r.text = "answer from " + request.model;
        r.usage = {1'000'000, 1'000'000, 0, 0};  // input, output, cached, reasoning
        if (request.on_text) {
            request.on_text(r.text);
        }
        done(std::move(r));
    }
};

Error server_error() {
    return Error{ErrorKind::provider, "provider.server_error", "500", true};
}

llm::Request ask() {
    llm::Request r;
    r.model = "gpt-4o-mini";
    r.messages = {{"user", "hi"}};
    return r;
}

// Completes a call, driving the fake clock until it finishes.
Expected<llm::Response> drive(FakeClock& clock, llm::Provider& p, llm::Request r) {
    std::optional<Expected<llm::Response>> out;
    p.complete(std::move(r), [&](Expected<llm::Response> x) { out.emplace(std::move(x)); });
    for (int i = 0; i < 1000 && !out; ++i) {
        clock.advance(1s);
    }
    REQUIRE(out);
    return std::move(*out);
}

ServicePolicy fast_policy() {
    ServicePolicy p;
    p.breaker = {100, 120s, 30s, 1};
    return p;
}

}  // namespace

TEST_CASE("retries follow the backoff schedule and then succeed", "[resilience]") {
    FakeClock clock;
    Resilience resilience(clock, clock, nullptr, 42);
    resilience.set_policy("openai", fast_policy());
    ScriptedProvider provider;
    provider.script = {server_error(), server_error(), server_error()};
    std::vector<int> retries;
    CallHooks hooks;
    hooks.on_retry = [&](int retry, Millis, const Error&) { retries.push_back(retry); };
    ResilientProvider resilient(resilience, {{&provider, "", "openai", "k1"}}, nullptr, nullptr,
                                nullptr, hooks);
    auto r = drive(clock, resilient, ask());
    REQUIRE(r);
    CHECK(r->attempts == 4);
    CHECK(r->served_by == "openai:gpt-4o-mini");
    CHECK(retries == std::vector<int>{1, 2, 3});
    const auto delays = clock.scheduled();
    REQUIRE(delays.size() == 3);
    CHECK(delays[0] >= 1600ms);  // 2 s ± 20 %
    CHECK(delays[0] <= 2400ms);
    CHECK(delays[2] >= 6400ms);  // 8 s ± 20 %
    CHECK(delays[2] <= 9600ms);
}

TEST_CASE("billing errors are never retried and a server delay is honoured", "[resilience]") {
    FakeClock clock;
    Resilience resilience(clock, clock, nullptr, 1);
    ScriptedProvider provider;
    provider.script = {Error{ErrorKind::billing, "provider.billing", "no credit", false}};
    ResilientProvider resilient(resilience, {{&provider, "", "openai", ""}});
    auto billing = drive(clock, resilient, ask());
    REQUIRE_FALSE(billing);
    CHECK(provider.calls == 1);

    Error limited{ErrorKind::provider, "provider.rate_limited", "429", true};
    limited.retry_after = 7s;
    provider.script = {limited};
    provider.calls = 0;
    auto ok = drive(clock, resilient, ask());
    REQUIRE(ok);
    CHECK(provider.calls == 2);
    CHECK(clock.scheduled().back() == 7s);
}

TEST_CASE("after max retries the error says how many attempts were made", "[resilience]") {
    FakeClock clock;
    Resilience resilience(clock, clock, nullptr, 1);
    resilience.set_policy("openai", fast_policy());
    ScriptedProvider provider;
    for (int i = 0; i < 10; ++i) {
        provider.script.push_back(server_error());
    }
    ResilientProvider resilient(resilience, {{&provider, "", "openai", ""}});
    auto r = drive(clock, resilient, ask());
    REQUIRE_FALSE(r);
    CHECK(provider.calls == 6);  // 1 + 5 retries
    CHECK(r.error().message.find("after 6 attempts") != std::string::npos);
}

TEST_CASE("the retry budget stops a failing provider from multiplying load", "[resilience]") {
    FakeClock clock;
    Resilience resilience(clock, clock, nullptr, 1);
    resilience.set_policy("openai", fast_policy());
    ScriptedProvider provider;
    for (int i = 0; i < 100; ++i) {
        provider.script.push_back(server_error());
    }
    RetryBudget budget(3, 0.1);
    ResilientProvider resilient(resilience, {{&provider, "", "openai", ""}}, nullptr, &budget);
    auto first = drive(clock, resilient, ask());
    REQUIRE_FALSE(first);
    CHECK(provider.calls == 4);  // 1 + the 3 retries the budget held
    auto second = drive(clock, resilient, ask());
    REQUIRE_FALSE(second);
    CHECK(provider.calls == 5);  // no retry left
    CHECK(second.error().message.find("retry budget") != std::string::npos);
}

TEST_CASE("a failing link falls back to the next model in the chain, recorded in the answer",
          "[resilience]") {
    FakeClock clock;
    Resilience resilience(clock, clock, nullptr, 1);
    ServicePolicy no_retry = fast_policy();
    no_retry.retry.max_retries = 0;
    resilience.set_policy("openai", no_retry);
    ScriptedProvider primary, backup;
    primary.script = {server_error()};
    ResilientProvider resilient(resilience, {{&primary, "gpt-4o", "openai", ""},
                                             {&backup, "claude-haiku-4-5", "anthropic", ""}});
    auto r = drive(clock, resilient, ask());
    REQUIRE(r);
    CHECK(r->served_by == "anthropic:claude-haiku-4-5");
    REQUIRE(r->fallbacks.size() == 1);
    CHECK(r->fallbacks[0] == "openai:gpt-4o failed (provider.server_error)");

    // Bad input is not a reason to fall back: the next model would refuse it too.
    primary.script = {Error{ErrorKind::provider, "provider.invalid_request", "400", false}};
    backup.calls = 0;
    auto bad = drive(clock, resilient, ask());
    REQUIRE_FALSE(bad);
    CHECK(backup.calls == 0);
}

TEST_CASE("over its cost budget a job uses the cheapest link", "[resilience]") {
    FakeClock clock;
    Resilience resilience(clock, clock, nullptr, 1);
    ScriptedProvider premium, cheap;
    PriceTable prices;
    REQUIRE(prices.set("gpt-4o", {2.5, 10, std::nullopt, "2026-01-01", "t"}));
    CostMeter meter(5.0);
    ResilientProvider resilient(
        resilience, {{&premium, "gpt-4o", "openai", ""}, {&cheap, "gpt-4o-mini", "openai", ""}},
        &prices, nullptr, &meter);
    REQUIRE(drive(clock, resilient, ask()));  // 1M in + 1M out at gpt-4o prices = $12.50
    CHECK(meter.over());
    auto second = drive(clock, resilient, ask());
    REQUIRE(second);
    CHECK(second->served_by == "openai:gpt-4o-mini");
    CHECK(second->fallbacks.at(0).find("cost budget") != std::string::npos);
}

TEST_CASE("a stream that delivered text is not replayed unless the caller can restart",
          "[resilience]") {
    FakeClock clock;
    Resilience resilience(clock, clock, nullptr, 1);
    resilience.set_policy("openai", fast_policy());
    ScriptedProvider provider;
    provider.streamed_before_error = "partial ";
    provider.script = {Error{ErrorKind::network, "http.reset", "reset", true}};
    ResilientProvider resilient(resilience, {{&provider, "", "openai", ""}});
    std::string seen;
    auto req = ask();
    req.on_text = [&](std::string_view p) { seen += p; };
    auto r = drive(clock, resilient, req);
    REQUIRE_FALSE(r);
    CHECK(provider.calls == 1);
    CHECK(r.error().message.find("not replayed") != std::string::npos);

    provider.script = {Error{ErrorKind::network, "http.reset", "reset", true}};
    provider.calls = 0;
    seen.clear();
    int restarts = 0;
    req.on_text = [&](std::string_view p) { seen += p; };
    req.on_stream_restart = [&] {
        ++restarts;
        seen.clear();
    };
    auto retried = drive(clock, resilient, req);
    REQUIRE(retried);
    CHECK(restarts == 1);
    CHECK(seen == "answer from gpt-4o-mini");
}

TEST_CASE("an open breaker fails fast, or waits when configured", "[resilience]") {
    FakeClock clock;
    Resilience resilience(clock, clock, nullptr, 1);
    ServicePolicy policy;
    policy.retry.max_retries = 0;
    policy.breaker = {3, 120s, 30s, 1};
    resilience.set_policy("anthropic", policy);
    ScriptedProvider provider;
    provider.script = {server_error(), server_error(), server_error()};
    ResilientProvider resilient(resilience, {{&provider, "", "anthropic", ""}});
    for (int i = 0; i < 3; ++i) {
        REQUIRE_FALSE(drive(clock, resilient, ask()));
    }
    auto fast = drive(clock, resilient, ask());
    REQUIRE_FALSE(fast);
    CHECK(fast.error().code == "breaker.open");
    CHECK(provider.calls == 3);

    policy.wait_when_open = true;
    resilience.set_policy("anthropic", policy);
    auto waited = drive(clock, resilient, ask());  // waits for half-open, then the trial succeeds
    REQUIRE(waited);
    CHECK(provider.calls == 4);
}

TEST_CASE("a provider's remaining-requests header slows the next call down to the known rate",
          "[resilience]") {
    FakeClock clock;
    Resilience resilience(clock, clock, nullptr, 1);
    ServicePolicy policy = fast_policy();
    policy.requests = {600, 0};  // 10 per second
    resilience.set_policy("openai", policy);

    class Exhausting final : public llm::Provider {
      public:
        ProviderKind kind() const override { return ProviderKind::openai; }
        void complete(llm::Request, llm::Callback done) override {
            llm::Response r;
            r.text = "ok";
            r.rate.remaining_requests = 0;
            r.rate.requests_reset = 20s;
            done(std::move(r));
        }
    } provider;
    std::vector<Millis> waits;
    CallHooks hooks;
    hooks.on_rate_limited = [&](Millis w) { waits.push_back(w); };
    ResilientProvider resilient(resilience, {{&provider, "", "openai", "k"}}, nullptr, nullptr,
                                nullptr, hooks);
    REQUIRE(drive(clock, resilient, ask()));
    CHECK(waits.empty());
    REQUIRE(drive(clock, resilient, ask()));
    REQUIRE(waits.size() == 1);
    // Nothing left: the next call waits for one request's refill at 10 a second ("rate limited"
    // is reported with how long), not the 20 s until the provider's bucket is full again.
    CHECK(waits[0] == 100ms);
}
