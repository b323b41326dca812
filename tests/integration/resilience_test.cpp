#include <catch2/catch.hpp>
#include <condition_variable>
#include <future>
#include <mutex>

#include "adapters/curl_http_client.hpp"
#include "core/resilience/resilient_llm.hpp"
#include "core/resilience/resilient_serp.hpp"
#include "core/thread_timers.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/fake_providers.hpp"
#include "tests/support/realistic_llm.hpp"

using namespace sota;
using namespace sota::core::resilience;
using namespace std::chrono_literals;
using test::FakeMode;

namespace {

core::llm::Request ask(int i) {
    core::llm::Request r;
    r.model = "gpt-4o-mini";
    r.messages = {{"user", "question " + std::to_string(i)}};
    return r;
}

// Runs a call to completion, advancing the fake clock while it waits for timers.
core::Expected<core::llm::Response> drive(test::FakeClock& clock, core::llm::Provider& p,
                                          core::llm::Request r) {
    auto promise = std::make_shared<std::promise<core::Expected<core::llm::Response>>>();
    auto future = promise->get_future();
    p.complete(std::move(r), [promise](core::Expected<core::llm::Response> x) {
        promise->set_value(std::move(x));
    });
    for (int i = 0; i < 2000; ++i) {
        if (future.wait_for(5ms) == std::future_status::ready) {
            return future.get();
        }
        clock.advance(1s);
    }
    FAIL("the call never finished");
    return core::fail(core::ErrorKind::internal, "x", "x");
}

/// A fake Serper on loopback and the resilient path to it, with no retries.
struct SerperRig {
    test::FakeHttpServer server;
    std::shared_ptr<test::FakeSerp> fake = std::make_shared<test::FakeSerp>();
    adapters::CurlHttpClient http;
    test::FakeClock clock;
    Resilience resilience{clock, clock, nullptr, 5};

    SerperRig() {
        test::install_serper(server, fake);
        ServicePolicy policy;
        policy.retry.max_retries = 0;
        resilience.set_policy("serper", policy);
    }
};

}  // namespace

TEST_CASE("a provider answering 30 % 5xx and 10 % 429 still completes every call", "[resilience]") {
    test::FakeHttpServer server;
    auto fake = std::make_shared<test::FakeLlm>();
    fake->flaky_server_error = 0.3;
    fake->flaky_rate_limit = 0.1;
    fake->seed = 20261124;
    test::install_openai(server, fake);
    adapters::CurlHttpClient http;
    core::SystemClock clock;
    core::ThreadTimers timers;
    Resilience resilience(clock, timers, nullptr, 7);
    ServicePolicy policy;
    policy.retry.initial = 5ms;
    policy.retry.max_delay = 50ms;
    policy.retry.max_server_delay = 50ms;  // the fake asks for 2 s; keep the test quick
    policy.retry.max_retries = 8;
    policy.breaker = {1000, 60s, 1s, 1};  // this scenario is about retries, not the breaker
    policy.key_breaker = {1000, 60s, 1s, 1};
    resilience.set_policy("openai", policy);
    auto provider = core::llm::make_provider(core::ProviderKind::openai, http,
                                             {server.base_url() + "/v1", fake->api_key}, nullptr);
    ResilientProvider resilient(resilience, {{provider.get(), "", "openai", "k1"}});

    constexpr int k_calls = 60;
    std::vector<std::future<core::Expected<core::llm::Response>>> futures;
    for (int i = 0; i < k_calls; ++i) {
        auto promise = std::make_shared<std::promise<core::Expected<core::llm::Response>>>();
        futures.push_back(promise->get_future());
        resilient.complete(ask(i), [promise](core::Expected<core::llm::Response> r) {
            promise->set_value(std::move(r));
        });
    }
    int ok = 0, retried = 0;
    for (auto& f : futures) {
        REQUIRE(f.wait_for(30s) == std::future_status::ready);
        auto r = f.get();
        INFO((r ? std::string() : r.error().message));
        CHECK(r);
        if (r) {
            ++ok;
            retried += r->attempts > 1 ? 1 : 0;
        }
    }
    CHECK(ok == k_calls);
    CHECK(retried > 10);  // the failures were real
    CHECK(server.count("/v1/chat/completions") > static_cast<std::size_t>(k_calls));
}

TEST_CASE(
    "a two-minute outage opens the breaker, calls fail fast, and it closes when the provider "
    "returns",
    "[resilience]") {
    test::FakeHttpServer server;
    auto fake = std::make_shared<test::FakeLlm>();
    fake->fallback = FakeMode::server_error;  // down
    test::install_openai(server, fake);
    adapters::CurlHttpClient http;
    test::FakeClock clock;
    Resilience resilience(clock, clock, nullptr, 3);
    ServicePolicy policy;  // the AI-provider defaults: 3 failures in 120 s, half-open after 30 s
    policy.retry.max_retries = 2;
    policy.retry.initial = 1s;
    policy.breaker = {3, 120s, 30s, 1};
    resilience.set_policy("openai", policy);
    auto provider = core::llm::make_provider(core::ProviderKind::openai, http,
                                             {server.base_url() + "/v1", fake->api_key}, nullptr);
    ResilientProvider resilient(resilience, {{provider.get(), "", "openai", ""}});

    auto first = drive(clock, resilient, ask(0));
    REQUIRE_FALSE(first);
    CHECK(server.count("/v1/chat/completions") == 3);
    auto& breaker = resilience.breakers().get("service:openai", policy.breaker);
    CHECK(breaker.snapshot().state == BreakerState::open);

    auto fast = drive(clock, resilient, ask(1));
    REQUIRE_FALSE(fast);
    CHECK(fast.error().code == "breaker.open");
    CHECK(server.count("/v1/chat/completions") == 3);  // failed fast, nothing sent

    // Two minutes of outage: each half-open trial fails and the breaker opens again.
    std::size_t trials = 0;
    for (auto elapsed = 0s; elapsed < 120s; elapsed += 30s) {
        clock.advance(30s);
        const auto before = server.count("/v1/chat/completions");
        (void)drive(clock, resilient, ask(2));
        trials += server.count("/v1/chat/completions") - before;
    }
    CHECK(trials >= 2);
    CHECK(trials <= 8);
    CHECK(breaker.snapshot().state == BreakerState::open);

    fake->fallback = FakeMode::ok;  // the provider is back
    clock.advance(30s);
    auto recovered = drive(clock, resilient, ask(3));
    REQUIRE(recovered);
    CHECK(breaker.snapshot().state == BreakerState::closed);
    CHECK(drive(clock, resilient, ask(4)));
}

TEST_CASE("SERP answers are cached, and a stale answer is served when Serper is down",
          "[resilience]") {
    SerperRig rig;
    auto& [server, fake, http, clock, resilience] = rig;
    struct Store final : CacheStore {
        std::map<std::string, CacheEntry> rows;
        std::optional<CacheEntry> cache_get(const std::string& k, const std::string& key) override {
            auto it = rows.find(k + key);
            return it == rows.end() ? std::nullopt : std::optional<CacheEntry>(it->second);
        }
        void cache_put(const std::string& k, const std::string& key, const CacheEntry& e) override {
            rows[k + key] = e;
        }
        std::int64_t cache_prune(core::WallTime) override { return 0; }
        std::int64_t cache_clear(const std::optional<std::string>&) override { return 0; }
        std::vector<CacheStoreStats> cache_stats(core::WallTime) override { return {}; }
    } store;
    TieredCache cache(clock, &store);
    core::SerpClient client(http, {server.base_url(), fake->api_key});
    ResilientSerp serp(resilience, client, &cache, "s1");

    auto fresh = serp.search_sync({"espresso grinder"});
    REQUIRE(fresh);
    CHECK_FALSE(fresh->from_cache);
    auto again = serp.search_sync({"  Espresso Grinder "});  // normalized to the same key
    REQUIRE(again);
    CHECK(again->from_cache);
    CHECK(server.count("/search") == 1);

    clock.advance(25h);  // past the 24 h TTL
    fake->script = {FakeMode::server_error};
    auto stale = serp.search_sync({"espresso grinder"});
    REQUIRE(stale);
    CHECK(stale->stale);
    CHECK(stale->organic.size() == 5);
    CHECK_FALSE(stale->cached_at.empty());

    clock.advance(7 * 24h);  // too old even for the stale fallback
    fake->script = {FakeMode::server_error};
    CHECK_FALSE(serp.search_sync({"espresso grinder"}));
}

TEST_CASE("identical SERP queries in flight at once share one Serper call", "[resilience]") {
    SerperRig rig;
    auto& [server, fake, http, clock, resilience] = rig;
    core::SerpClient client(http, {server.base_url(), fake->api_key});
    ResilientSerp serp(resilience, client, nullptr, "s1");  // no cache: the sharing alone
    fake->script = {FakeMode::slow};                        // the first answer takes 2 s

    std::mutex mutex;
    std::condition_variable answered;
    std::vector<core::Expected<core::SerpResult>> results;
    for (int i = 0; i < 5; ++i) {
        serp.search({i % 2 ? " Espresso Grinder" : "espresso grinder"},
                    [&](core::Expected<core::SerpResult> r) {
                        std::lock_guard lock(mutex);
                        results.push_back(std::move(r));
                        answered.notify_all();
                    });
    }
    {
        std::unique_lock lock(mutex);
        answered.wait_for(lock, 10s, [&] { return results.size() == 5; });
        REQUIRE(results.size() == 5);
    }
    CHECK(server.count("/search") == 1);
    int shared = 0;
    for (const auto& r : results) {
        REQUIRE(r);
        CHECK(r->organic.size() == 5);
        shared += r->from_cache ? 1 : 0;
    }
    CHECK(shared == 4);
    // Once answered, the query is asked again (nothing is cached here).
    CHECK(serp.search_sync({"espresso grinder"}));
    CHECK(server.count("/search") == 2);
}

TEST_CASE(
    "calls past an organisation's token allowance are paced from the learned limit, not "
    "refused",
    "[resilience][pacing]") {
    const auto wire = GENERATE(test::RealisticLlmOptions::Wire::openai,
                               test::RealisticLlmOptions::Wire::anthropic);
    const bool openai = wire == test::RealisticLlmOptions::Wire::openai;
    test::FakeHttpServer server;
    test::RealisticLlmOptions options;
    options.wire = wire;
    options.tokens_per_minute = 6000;  // 100 tokens a second, a minute's worth to start with
    options.requests_per_minute = 10'000;
    options.time_to_first_token_s = 0.02;
    options.tokens_per_second = 5000;
    options.latency_sigma = 0;
    test::RealisticLlm fake(server, options);
    adapters::CurlHttpClient http;
    core::SystemClock clock;
    core::ThreadTimers timers;
    Resilience resilience(clock, timers, nullptr, 7);
    ServicePolicy policy;  // nothing configured: the limits come from the answers' headers
    policy.retry.max_retries = 0;
    const std::string service = openai ? "openai" : "anthropic";
    resilience.set_policy(service, policy);
    auto provider = core::llm::make_provider(
        openai ? core::ProviderKind::openai : core::ProviderKind::anthropic, http,
        {fake.base_url(), options.api_key}, nullptr);
    ResilientProvider resilient(resilience, {{provider.get(), "", service, "k1"}});
    auto request = [&](int i) {
        core::llm::Request r = ask(i);
        r.model = openai ? "gpt-4o-mini" : "claude-haiku-4-5";
        r.max_output_tokens = 90;  // about 100 tokens charged per call
        return r;
    };
    auto run = [&](int from, int count) {
        std::vector<std::future<core::Expected<core::llm::Response>>> futures;
        for (int i = from; i < from + count; ++i) {
            auto promise = std::make_shared<std::promise<core::Expected<core::llm::Response>>>();
            futures.push_back(promise->get_future());
            resilient.complete(request(i), [promise](core::Expected<core::llm::Response> r) {
                promise->set_value(std::move(r));
            });
        }
        int ok = 0;
        for (auto& f : futures) {
            REQUIRE(f.wait_for(60s) == std::future_status::ready);
            auto r = f.get();
            INFO((r ? std::string() : r.error().message));
            ok += r ? 1 : 0;
        }
        return ok;
    };
    REQUIRE(run(0, 1) == 1);  // the first answer says what the limits are
    const auto start = std::chrono::steady_clock::now();
    // About 59 calls fit what is left of the minute's allowance; the other 9 wait for it to
    // refill at 100 tokens a second.
    CHECK(run(1, 68) == 68);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto stats = fake.stats();
    CHECK(stats.refused_429 == 0);
    CHECK(stats.admitted == 69);
    CHECK(took > 6);   // paced: the allowance ran out
    CHECK(took < 20);  // and no slower than the limit allows (9 x ~1 s)
}
