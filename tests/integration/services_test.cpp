#include <catch2/catch.hpp>

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
}
