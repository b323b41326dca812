#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "adapters/services.hpp"
#include "tests/support/fake_providers.hpp"

using namespace sota;
using test::FakeMode;

TEST_CASE("a configured endpoint pool fails over from a down endpoint to a healthy one",
          "[services][pool]") {
    test::FakeHttpServer down_server, up_server;
    auto down = std::make_shared<test::FakeLlm>();
    down->fallback = FakeMode::server_error;
    auto up = std::make_shared<test::FakeLlm>();
    up->api_key = "second-key-1111";
    test::install_openai(down_server, down);
    test::install_openai(up_server, up);

    core::Config config;
    const core::Origin flag{core::Layer::flags, "--set"};
    REQUIRE(config.set("providers.openai.base_url", core::RawValue{down_server.base_url() + "/v1"},
                       flag));
    REQUIRE(
        config.set("pool.openai.endpoints", core::RawValue{up_server.base_url() + "/v1"}, flag));
    const core::SecretResolver secrets({}, {{"openai", down->api_key}, {"openai.2", up->api_key}},
                                       "keys.json", {});
    auto services = adapters::Services::create(config, secrets, std::make_shared<core::Redactor>());
    REQUIRE(services);
    auto provider = (*services)->llm(core::ProviderKind::openai);
    for (int i = 0; i < 4; ++i) {
        core::llm::Request r;
        r.model = "gpt-4o-mini";
        r.messages = {{"user", "hello " + std::to_string(i)}};
        auto answer = provider->complete_sync(r);
        REQUIRE(answer);
        CHECK(answer->text == up->reply);
    }
    CHECK(up_server.count("/v1/chat/completions") == 4);
    CHECK(down_server.count("/v1/chat/completions") == 2);  // then skipped while cooling down
    CHECK(up_server.requests().back().header("authorization") == "Bearer second-key-1111");
    // Model answers are not asked for compressed (see HttpRequest::accept_compressed).
    CHECK(up_server.requests().back().header("accept-encoding").empty());
}

#include "adapters/sqlite_store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

TEST_CASE("the configured resilient path falls back, and its breaker state reaches sota breakers",
          "[services]") {
    test::TempHome home;
    test::FakeHttpServer openai_server, anthropic_server, serper_server;
    auto openai = std::make_shared<test::FakeLlm>();
    openai->fallback = FakeMode::server_error;
    auto anthropic = std::make_shared<test::FakeLlm>();
    auto serper = std::make_shared<test::FakeSerp>();
    test::install_openai(openai_server, openai);
    test::install_anthropic(anthropic_server, anthropic);
    test::install_serper(serper_server, serper);

    core::Config config;
    const core::Origin flag{core::Layer::flags, "--set"};
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"providers.openai.base_url", openai_server.base_url() + "/v1"},
             {"providers.anthropic.base_url", anthropic_server.base_url() + "/v1"},
             {"providers.serper.base_url", serper_server.base_url()},
             {"llm.fallback", "anthropic:claude-haiku-4-5"},
             {"retry.max_retries", "1"},
             {"retry.initial_delay", "1ms"},
             {"breaker.llm.failures", "2"}}) {
        REQUIRE(config.set(key, core::RawValue{value}, flag));
    }
    const core::SecretResolver secrets({},
                                       {{"openai", openai->api_key},
                                        {"anthropic", anthropic->api_key},
                                        {"serper", serper->api_key}},
                                       "k", {});
    const auto db = home.path() / "state" / "sota.db";
    {
        auto services =
            adapters::Services::create(config, secrets, std::make_shared<core::Redactor>());
        REQUIRE(services);
        REQUIRE((*services)->open_store(db));
        auto llm = (*services)->resilient_llm();
        REQUIRE(llm);
        core::llm::Request r;
        r.messages = {{"user", "hello"}};
        auto answer = (*llm)->complete_sync(r);
        REQUIRE(answer);
        CHECK(answer->served_by == "anthropic:claude-haiku-4-5");
        CHECK(answer->fallbacks.at(0).find("openai:gpt-4o-mini failed") == 0);

        auto found = (*services)->serp().search_sync({"espresso"});
        REQUIRE(found);
        CHECK((*services)->serp().search_sync({"espresso"})->from_cache);
    }
    // The open OpenAI breaker and the cache counts are in the database for the CLI.
    auto env = test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    auto breakers = test::run_process(
        {{SOTA_BINARY, "breakers", "--json"}, env, "", std::nullopt, std::chrono::seconds(20)});
    REQUIRE(breakers.exit_code == 0);
    const auto rows = nlohmann::json::parse(breakers.out);
    bool open = false;
    for (const auto& b : rows) {
        open = open || (b["name"] == "service:openai" && b["state"] == "open");
    }
    CHECK(open);
    auto stats = test::run_process({{SOTA_BINARY, "cache", "stats", "--json"},
                                    env,
                                    "",
                                    std::nullopt,
                                    std::chrono::seconds(20)});
    const auto cache = nlohmann::json::parse(stats.out);
    REQUIRE(cache.size() == 1);
    CHECK(cache[0]["kind"] == "serp");
    CHECK(cache[0]["hits"] == 1);
    CHECK(cache[0]["misses"] == 1);
}
