#include <catch2/catch.hpp>
#include <deque>

#include "core/resilience/pool.hpp"
#include "tests/support/fake_clock.hpp"

using namespace sota::core;
using namespace sota::core::resilience;
using namespace std::chrono_literals;
using sota::test::FakeClock;

namespace {

// Answers after the fake clock has moved `latency`, or fails while `down`; can hold calls open.
class Member final : public llm::Provider {
  public:
    Member(FakeClock& clock, std::string name, Millis latency)
        : m_clock(clock), m_name(std::move(name)), m_latency(latency) {}
    bool down = false;
    bool hold = false;
    int calls = 0;
    std::deque<llm::Callback> held;

    ProviderKind kind() const override { return ProviderKind::openai; }
    void complete(llm::Request, llm::Callback done) override {
        ++calls;
        if (hold) {
            held.push_back(std::move(done));
            return;
        }
        m_clock.advance(m_latency);
        if (down) {
            done(fail(ErrorKind::provider, "provider.server_error", m_name + " is down", true));
            return;
        }
        llm::Response r;
        r.text = m_name;
        done(std::move(r));
    }

  private:
    FakeClock& m_clock;
    std::string m_name;
    Millis m_latency;
};

struct Pool {
    FakeClock clock;
    Member* a;
    Member* b;
    Member* c;
    std::unique_ptr<PooledProvider> pool;

    explicit Pool(Balance balance) {
        auto ma = std::make_unique<Member>(clock, "a", 300ms);
        auto mb = std::make_unique<Member>(clock, "b", 100ms);
        auto mc = std::make_unique<Member>(clock, "c", 200ms);
        a = ma.get();
        b = mb.get();
        c = mc.get();
        std::vector<PoolMember> members;
        members.push_back({std::move(ma), "a"});
        members.push_back({std::move(mb), "b"});
        members.push_back({std::move(mc), "c"});
        pool = std::make_unique<PooledProvider>(std::move(members), balance, clock);
    }
    std::string call() {
        auto r = pool->complete_sync(llm::Request{});
        return r ? r->text : "error: " + r.error().message;
    }
};

}  // namespace

TEST_CASE("round robin spreads calls over the members", "[pool]") {
    Pool p(Balance::round_robin);
    CHECK(p.call() == "a");
    CHECK(p.call() == "b");
    CHECK(p.call() == "c");
    CHECK(p.call() == "a");
}

TEST_CASE("lowest latency prefers the fastest member once measured", "[pool]") {
    Pool p(Balance::lowest_latency);
    for (int i = 0; i < 3; ++i) {
        p.call();  // a, b and c are each measured once (unmeasured counts as fastest)
    }
    CHECK(p.call() == "b");
    CHECK(p.call() == "b");
}

TEST_CASE("least in flight avoids a member that is busy", "[pool]") {
    Pool p(Balance::least_in_flight);
    p.a->hold = true;
    p.pool->complete(llm::Request{}, [](Expected<llm::Response>) {});  // held open on a
    CHECK(p.pool->state()[0].in_flight == 1);
    CHECK(p.call() == "b");
    p.a->held.front()(fail(ErrorKind::cancelled, "x", "x"));
}

TEST_CASE("a failing member fails over within the call and is skipped while it cools down",
          "[pool]") {
    Pool p(Balance::round_robin);
    p.a->down = true;
    auto r = p.pool->complete_sync(llm::Request{});
    REQUIRE(r);
    CHECK(r->text == "b");
    CHECK(r->fallbacks.at(0) == "a failed (provider.server_error)");
    p.call();                // c
    CHECK(p.call() == "b");  // a failed again: now unhealthy (2 in a row) ...
    CHECK(p.pool->state()[0].healthy == false);
    const int a_calls = p.a->calls;
    for (int i = 0; i < 4; ++i) {
        p.call();
    }
    CHECK(p.a->calls == a_calls);  // ... and skipped while cooling down
    p.a->down = false;
    p.clock.advance(31s);
    bool a_used = false;
    for (int i = 0; i < 3; ++i) {
        a_used = a_used || p.call() == "a";
    }
    CHECK(a_used);

    p.a->down = p.b->down = p.c->down = true;
    CHECK(p.call().rfind("error: ", 0) == 0);
}
