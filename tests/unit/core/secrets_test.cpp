#include <catch2/catch.hpp>

#include "core/secrets.hpp"

using namespace sota::core;

TEST_CASE("a flag beats the keys file, which beats the environment", "[secrets]") {
    const SecretResolver resolver({{"openai", "from-flag"}},
                                  {{"openai", "from-file"}, {"serper", "serper-file"}},
                                  "/k/keys.json",
                                  {{"OPENAI_API_KEY", "from-env"},
                                   {"SERPER_API_KEY", "serper-env"},
                                   {"GEMINI_API_KEY", "gem-env"}});
    CHECK(resolver.resolve("openai")->value == "from-flag");
    CHECK(resolver.resolve("openai")->source == SecretSource::flag);
    CHECK(resolver.resolve("serper")->value == "serper-file");
    CHECK(resolver.resolve("serper")->where == "/k/keys.json");
    CHECK(resolver.resolve("gemini")->source == SecretSource::environment);
    CHECK(resolver.resolve("gemini")->where == "GEMINI_API_KEY");
    CHECK_FALSE(resolver.resolve("anthropic"));

    const auto rows = resolver.list();
    const auto openai =
        std::find_if(rows.begin(), rows.end(), [](auto& r) { return r.name == "openai"; });
    REQUIRE(openai != rows.end());
    CHECK(openai->present.size() == 3);
    const auto anthropic =
        std::find_if(rows.begin(), rows.end(), [](auto& r) { return r.name == "anthropic"; });
    REQUIRE(anthropic != rows.end());
    CHECK_FALSE(anthropic->winner);
}

TEST_CASE("secret names are validated", "[secrets]") {
    CHECK(validate_secret_name("openai"));
    CHECK(validate_secret_name("vllm.local-2"));
    CHECK_FALSE(validate_secret_name(""));
    CHECK_FALSE(validate_secret_name("Open AI"));
    CHECK_FALSE(validate_secret_name("9lives"));
    CHECK_FALSE(validate_secret_name(std::string(65, 'a')));
}
