#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "core/resilience/cache.hpp"
#include "core/resilience/circuit_breaker.hpp"
#include "core/resilience/rate_limiter.hpp"
#include "core/resilience/retry.hpp"
#include "core/sha256.hpp"
#include "tests/support/fake_clock.hpp"

using namespace sota::core;
using namespace sota::core::resilience;
using namespace std::chrono_literals;
using sota::test::FakeClock;

TEST_CASE("backoff follows 2, 4, 8, 16, 32 s with jitter inside its bounds", "[retry]") {
    RetryPolicy policy;
    Backoff none_jitter(
        [&] {
            auto p = policy;
            p.jitter = Jitter::none;
            return p;
        }(),
        1);
    CHECK(none_jitter.next(1, std::nullopt) == 2s);
    CHECK(none_jitter.next(5, std::nullopt) == 32s);
    CHECK(none_jitter.next(7, std::nullopt) == 60s);  // capped
    std::set<long> first_delays;
    double first_sum = 0;
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        Backoff b(policy, seed);
        for (int retry = 1; retry <= 5; ++retry) {
            const auto d = b.next(retry, std::nullopt).count();
            const double base = 1000.0 * (1 << retry);
            CHECK(d >= static_cast<long>(base * 0.8) - 1);
            CHECK(d <= static_cast<long>(base * 1.2) + 1);
            if (retry == 1) {
                first_delays.insert(d);
                first_sum += static_cast<double>(d);
            }
        }
    }
    // Neighbouring seeds give spread delays around the base, not one value.
    CHECK(first_delays.size() > 150);
    CHECK(first_sum / 200 == Approx(2000).epsilon(0.05));
    auto full = policy;
    full.jitter = Jitter::full;
    auto decorrelated = policy;
    decorrelated.jitter = Jitter::decorrelated;
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        Backoff f(full, seed), d(decorrelated, seed);
        for (int retry = 1; retry <= 5; ++retry) {
            const auto fd = f.next(retry, std::nullopt);
            CHECK(fd >= 0ms);
            CHECK(fd <= f.base_delay(retry));
            const auto dd = d.next(retry, std::nullopt);
            CHECK(dd >= policy.initial);
            CHECK(dd <= policy.max_delay);
        }
    }
}

TEST_CASE("a server-requested delay wins, cut to the cap", "[retry]") {
    RetryPolicy policy;
    Backoff b(policy, 7);
    CHECK(b.next(1, 1500ms) == 1500ms);
    CHECK(b.next(2, 300s) == 60s);
    CHECK(b.next(3, -5ms) == 0ms);
}

TEST_CASE("billing, credential, usage and cancellation errors are never retried", "[retry]") {
    CHECK(is_retryable(Error{ErrorKind::provider, "provider.rate_limited", "", true}));
    CHECK(is_retryable(Error{ErrorKind::network, "http.reset", "", true}));
    CHECK_FALSE(is_retryable(Error{ErrorKind::billing, "provider.billing", "", true}));
    CHECK_FALSE(is_retryable(Error{ErrorKind::credentials, "provider.auth", "", true}));
    CHECK_FALSE(is_retryable(Error{ErrorKind::usage, "x", "", true}));
    CHECK_FALSE(is_retryable(Error{ErrorKind::cancelled, "x", "", true}));
    CHECK_FALSE(is_retryable(Error{ErrorKind::provider, "provider.not_found", "", false}));
}

TEST_CASE("the retry budget earns 10 % of calls and stops retries when spent", "[retry]") {
    RetryBudget budget(2, 0.1);
    CHECK(budget.try_spend());
    CHECK(budget.try_spend());
    CHECK_FALSE(budget.try_spend());
    for (int i = 0; i < 10; ++i) {
        budget.on_call();
    }
    CHECK(budget.try_spend());
    CHECK_FALSE(budget.try_spend());
}

TEST_CASE("breaker: closed, open after N failures in the window, half-open, closed", "[breaker]") {
    FakeClock clock;
    CircuitBreaker b("service:serper", BreakerPolicy{5, 60s, 10s, 1}, clock);
    for (int i = 0; i < 4; ++i) {
        REQUIRE_FALSE(b.acquire());
        b.on_failure();
    }
    CHECK(b.snapshot().state == BreakerState::closed);
    clock.advance(61s);  // the first four fall out of the window
    REQUIRE_FALSE(b.acquire());
    b.on_failure();
    CHECK(b.snapshot().state == BreakerState::closed);
    for (int i = 0; i < 4; ++i) {
        REQUIRE_FALSE(b.acquire());
        b.on_failure();
    }
    CHECK(b.snapshot().state == BreakerState::open);
    const auto wait = b.acquire();
    REQUIRE(wait);
    CHECK(*wait == 10s);
    clock.advance(4s);
    CHECK(*b.acquire() == 6s);
    clock.advance(6s);
    REQUIRE_FALSE(b.acquire());  // the single trial call
    CHECK(b.snapshot().state == BreakerState::half_open);
    CHECK(b.acquire());  // a second call waits for the trial
    b.on_failure();      // the trial failed: open again for 10 s
    CHECK(b.snapshot().state == BreakerState::open);
    clock.advance(10s);
    REQUIRE_FALSE(b.acquire());
    b.on_success();
    CHECK(b.snapshot().state == BreakerState::closed);
    CHECK(b.snapshot().rejected == 3);
}

namespace {
struct MemoryBreakerStore final : BreakerStore {
    std::map<std::string, BreakerSnapshot> rows;
    std::vector<BreakerSnapshot> load_breakers() override {
        std::vector<BreakerSnapshot> out;
        for (auto& [k, v] : rows) {
            out.push_back(v);
        }
        return out;
    }
    void save_breaker(const BreakerSnapshot& s) override { rows[s.name] = s; }
    void delete_breaker(const std::string& name) override { rows.erase(name); }
};
}  // namespace

TEST_CASE("an open breaker survives a restart through the store, and reset closes it",
          "[breaker]") {
    FakeClock clock;
    MemoryBreakerStore store;
    const BreakerPolicy policy{3, 120s, 30s, 1};
    {
        BreakerRegistry registry(clock, &store);
        auto& b = registry.get("service:openai", policy);
        for (int i = 0; i < 3; ++i) {
            REQUIRE_FALSE(b.acquire());
            b.on_failure();
        }
        registry.persist(b);
    }
    clock.advance(10s);
    BreakerRegistry restarted(clock, &store);
    auto& b = restarted.get("service:openai", policy);
    CHECK(b.snapshot().state == BreakerState::open);
    CHECK(*b.acquire() == 20s);
    CHECK(restarted.snapshots().size() == 1);
    CHECK(restarted.reset("service"));  // prefix form
    CHECK(b.snapshot().state == BreakerState::closed);
    CHECK(store.rows.empty());
    CHECK_FALSE(restarted.reset("service:nothing"));
}

TEST_CASE("per-credential breakers isolate keys", "[breaker]") {
    FakeClock clock;
    BreakerRegistry registry(clock, nullptr);
    const BreakerPolicy per_key{6, 120s, 60s, 1};
    auto& bad = registry.get("key:openai:aaaa", per_key);
    auto& good = registry.get("key:openai:bbbb", per_key);
    for (int i = 0; i < 6; ++i) {
        REQUIRE_FALSE(bad.acquire());
        bad.on_failure();
    }
    CHECK(bad.acquire());
    CHECK_FALSE(good.acquire());
}

TEST_CASE("token buckets pace callers and obey the provider's remaining count", "[ratelimit]") {
    FakeClock clock;
    TokenBucket bucket(RateLimit{60, 2}, clock);  // one per second, burst of two
    CHECK(bucket.reserve() == 0ms);
    CHECK(bucket.reserve() == 0ms);
    CHECK(bucket.reserve() == 1000ms);
    CHECK(bucket.reserve() == 2000ms);
    clock.advance(2s);
    CHECK(bucket.reserve() == 1000ms);

    TokenBucket tokens(RateLimit{600'000, 0}, clock);  // 10 a millisecond
    CHECK(tokens.reserve(1000) == 0ms);
    tokens.observe(0.0, 60s);            // the provider says: nothing left, full again in 60 s
    CHECK(tokens.reserve(100) == 10ms);  // with the rate known, it refills from nothing
    tokens.observe(1e9, std::nullopt);   // never raised by a header
    clock.advance(1s);
    CHECK(tokens.reserve(10) == 0ms);
    tokens.pause(2s);  // a 429's retry-after holds every caller, whatever the rate
    CHECK(tokens.reserve(10) == 2000ms);
    CHECK(TokenBucket(RateLimit{}, clock).reserve(1e6) == 0ms);
}

TEST_CASE("a bucket with no configured limit adopts the one the provider announces",
          "[ratelimit]") {
    FakeClock clock;
    TokenBucket tokens(RateLimit{}, clock);
    CHECK(tokens.reserve(100) == 0ms);  // nothing known yet: not paced
    tokens.learn(6000);                 // x-ratelimit-limit-tokens: 6000
    tokens.observe(3000.0, std::nullopt);
    CHECK(tokens.per_minute() == Approx(5820));  // 97 %: room for estimates a little short
    CHECK(tokens.reserve(3000) == 0ms);
    const auto paced = tokens.reserve(97);  // 97 tokens a second from here
    CHECK(paced >= 999ms);
    CHECK(paced <= 1001ms);
    tokens.learn(6000);    // the same limit again changes nothing
    tokens.learn(12'000);  // a higher limit never raises ours
    CHECK(tokens.per_minute() == Approx(5820));

    TokenBucket configured(RateLimit{60'000, 0}, clock);
    configured.learn(1000);  // the provider's is lower: it wins, and the bucket shrinks to it
    CHECK(configured.per_minute() == Approx(970));
    CHECK(configured.reserve(1000) == 0ms);
    const auto waited = configured.reserve(97);
    CHECK(waited >= 5999ms);
    CHECK(waited <= 6001ms);

    // Calls sent before the limit was known were counted by the provider: a learned limit
    // starts from what is left of the minute's allowance, not from a full bucket.
    TokenBucket cold(RateLimit{}, clock);
    for (int i = 0; i < 200; ++i) {
        CHECK(cold.reserve(1) == 0ms);
    }
    clock.advance(6s);
    cold.learn(500);  // 485 a minute paced; 500 - 200 + 6 s of refill (48.5) left
    CHECK(cold.reserve(348) == 0ms);
    CHECK(cold.reserve(1) > 0ms);

    // Settling: a call reserved 1000 but used 400; the 600 come back (never past the size).
    TokenBucket settle(RateLimit{6000, 0}, clock);
    CHECK(settle.reserve(6000) == 0ms);
    settle.adjust(-600);
    CHECK(settle.reserve(600) == 0ms);
    settle.adjust(1e9);  // used more than reserved: the debt is waited out
    CHECK(settle.reserve(1) > 60'000ms);
    settle.adjust(-1e12);
    CHECK(settle.reserve(6000) == 0ms);
    CHECK(settle.reserve(1) == 10ms);
}

namespace {
struct MemoryCacheStore final : CacheStore {
    std::map<std::string, CacheEntry> rows;
    std::optional<CacheEntry> cache_get(const std::string& kind, const std::string& key) override {
        const auto it = rows.find(kind + "/" + key);
        return it == rows.end() ? std::nullopt : std::optional<CacheEntry>(it->second);
    }
    void cache_put(const std::string& kind, const std::string& key, const CacheEntry& e) override {
        rows[kind + "/" + key] = e;
    }
    std::int64_t cache_prune(WallTime) override { return 0; }
    std::int64_t cache_clear(const std::optional<std::string>&) override { return 0; }
    std::vector<CacheStoreStats> cache_stats(WallTime) override { return {}; }
};
}  // namespace

TEST_CASE("two-level cache: TTLs, promotion, stale reads and stats", "[cache]") {
    FakeClock clock;
    MemoryCacheStore store;
    TieredCache cache(clock, &store, 2, 5min);
    cache.put("keywords", "k1", "v1", 24h);
    CHECK(cache.get("keywords", "k1") == "v1");  // L1
    clock.advance(6min);                         // L1 TTL is 5 min
    CHECK(cache.get("keywords", "k1") == "v1");  // L2, promoted
    CHECK(cache.get("keywords", "k1") == "v1");  // L1 again
    clock.advance(24h);
    CHECK_FALSE(cache.get("keywords", "k1"));  // expired everywhere
    CHECK(cache.get_stale("keywords", "k1", 7 * 24h)->value == "v1");
    CHECK_FALSE(cache.get_stale("keywords", "k1", 1h));
    const auto stats = cache.stats().at("keywords");
    CHECK(stats.l1_hits == 2);
    CHECK(stats.l2_hits == 1);
    CHECK(stats.misses == 1);
    CHECK(stats.stale_served == 1);

    cache.put("gaps", "a", "1", 1h);
    cache.put("gaps", "b", "2", 1h);
    cache.put("gaps", "c", "3", 1h);  // evicts the least recently used from L1 (capacity 2)
    cache.clear_l1(std::nullopt);
    CHECK(cache.get("gaps", "a") == "1");  // still in L2
}

TEST_CASE("identical concurrent computations coalesce into one", "[cache]") {
    FakeClock clock;
    TieredCache cache(clock, nullptr);
    std::atomic<int> computed{0};
    std::vector<std::thread> threads;
    std::vector<std::string> results(8);
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] {
            auto r = cache.get_or_compute("serp", "q", 1h, [&]() -> Expected<std::string> {
                ++computed;
                std::this_thread::sleep_for(100ms);
                return std::string("answer");
            });
            results[static_cast<std::size_t>(i)] = *r;
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(computed == 1);
    for (const auto& r : results) {
        CHECK(r == "answer");
    }
    const auto s = cache.stats().at("serp");
    CHECK(s.coalesced + s.l1_hits == 7);
    CHECK(s.misses == 1);
}

TEST_CASE("cache keys and SHA-256 are stable", "[cache]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex(std::string(1000, 'a')).size() == 64);
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(cache_key({"ab", "c"}) != cache_key({"a", "bc"}));
    CHECK(cache_key({"gpt-4o-mini", "v3", "espresso"}) ==
          cache_key({"gpt-4o-mini", "v3", "espresso"}));
}

#include "core/resilience/policy_config.hpp"

TEST_CASE("policies come from config with the seeds' defaults per service", "[resilience]") {
    Config config;
    const auto serper = service_policy(config, "serper");
    CHECK(serper.breaker.failures == 5);
    CHECK(serper.breaker.window == 60s);
    CHECK(serper.breaker.open_for == 10s);
    const auto llm = service_policy(config, "anthropic");
    CHECK(llm.breaker.failures == 10);
    CHECK(llm.breaker.failure_rate == Approx(0.5));
    CHECK(llm.breaker.consecutive == 8);
    CHECK(llm.breaker.window == 120s);
    CHECK(llm.breaker.open_for == 30s);
    const auto wp = service_policy(config, "wordpress");
    CHECK(wp.breaker.failures == 2);
    CHECK(wp.breaker.open_for == 5s);
    CHECK(llm.key_breaker.failures == 6);
    CHECK(llm.retry.max_retries == 5);
    CHECK(llm.retry.jitter_fraction == Approx(0.2));
    REQUIRE(config.set("retry.jitter", RawValue{std::string("full")}, {Layer::flags, "--set"}));
    REQUIRE(config.set("rate.openai.requests_per_minute", RawValue{std::string("500")},
                       {Layer::flags, "--set"}));
    CHECK(service_policy(config, "openai").retry.jitter == Jitter::full);
    CHECK(service_policy(config, "openai").requests.per_minute == Approx(500));

    auto chain = parse_fallback_chain("anthropic:claude-haiku-4-5, gemini:gemini-2.5-flash");
    REQUIRE(chain);
    REQUIRE(chain->size() == 2);
    CHECK(chain->at(1).provider == ProviderKind::gemini);
    CHECK(parse_fallback_chain("")->empty());
    auto bad = parse_fallback_chain("mistral:large");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("mistral:large") != std::string::npos);
}

TEST_CASE(
    "a breaker with a failure rate opens for a provider that is down, not for one that "
    "fails a third of its calls",
    "[breaker]") {
    FakeClock clock;
    const BreakerPolicy policy{10, 120s, 30s, 1, 0.5, 8};
    CircuitBreaker flaky("service:openai", policy, clock);
    // 30 % failures, spread: fifteen failures in the window, but never half the calls.
    for (int i = 0; i < 50; ++i) {
        REQUIRE_FALSE(flaky.acquire());
        (i % 10 < 3) ? flaky.on_failure() : flaky.on_success();
        clock.advance(100ms);
    }
    CHECK(flaky.snapshot().state == BreakerState::closed);

    // Down after a window full of successes: eight failures in a row open it.
    CircuitBreaker down("service:anthropic", policy, clock);
    for (int i = 0; i < 100; ++i) {
        REQUIRE_FALSE(down.acquire());
        down.on_success();
    }
    for (int i = 0; i < 7; ++i) {
        REQUIRE_FALSE(down.acquire());
        down.on_failure();
    }
    CHECK(down.snapshot().state == BreakerState::closed);
    REQUIRE_FALSE(down.acquire());
    down.on_failure();
    CHECK(down.snapshot().state == BreakerState::open);
    CHECK(down.state() == BreakerState::open);
    clock.advance(30s);
    CHECK(down.state() == BreakerState::half_open);  // its trial call is next

    // Half the calls failing, not in a row: the rate opens it once ten have failed.
    CircuitBreaker half("service:gemini", policy, clock);
    for (int i = 0; i < 19; ++i) {
        REQUIRE_FALSE(half.acquire());
        (i % 2 == 0) ? half.on_failure() : half.on_success();
    }
    CHECK(half.snapshot().state == BreakerState::open);
}
