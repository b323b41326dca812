#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "adapters/curl_http_client.hpp"
#include "core/doctor.hpp"
#include "core/llm/llm.hpp"
#include "tests/support/fake_providers.hpp"

using namespace sota;
using core::ErrorKind;
using core::ProviderKind;
using sota::test::FakeMode;
using namespace std::chrono_literals;

namespace {

struct Rig {
    test::FakeHttpServer server;
    std::shared_ptr<test::FakeLlm> fake = std::make_shared<test::FakeLlm>();
    adapters::CurlHttpClient http;
    std::unique_ptr<core::llm::Provider> provider;
    ProviderKind kind;
    std::string model;

    explicit Rig(ProviderKind k) : kind(k) {
        core::llm::Endpoint endpoint;
        endpoint.api_key = fake->api_key;
        endpoint.request_timeout = 5s;
        endpoint.stream_idle_timeout = 5s;
        switch (k) {
            case ProviderKind::openai:
            case ProviderKind::openai_compatible:
                test::install_openai(server, fake, k == ProviderKind::openai_compatible);
                endpoint.base_url = server.base_url() + "/v1";
                model = k == ProviderKind::openai ? "gpt-4o-mini" : "llama3.1:8b";
                break;
            case ProviderKind::anthropic:
                test::install_anthropic(server, fake);
                endpoint.base_url = server.base_url() + "/v1";
                model = "claude-haiku-4-5";
                break;
            default:
                test::install_gemini(server, fake);
                endpoint.base_url = server.base_url() + "/v1beta";
                model = "gemini-2.5-flash";
                break;
        }
        provider = core::llm::make_provider(k, http, endpoint, core::llm::ModelQuirks::built_in());
    }

    core::llm::Request request(bool stream, std::vector<std::string>* pieces = nullptr) const {
        core::llm::Request r;
        r.model = model;
        r.system = "You write SEO articles.";
        r.messages = {{"user", "Say something about espresso grinders."}};
        r.temperature = 0.4;
        r.max_output_tokens = 400;
        if (stream) {
            r.on_text = [pieces](std::string_view piece) {
                if (pieces) {
                    pieces->emplace_back(piece);
                }
            };
        }
        return r;
    }
};

nlohmann::json last_body(const test::FakeHttpServer& server) {
    return nlohmann::json::parse(server.requests().back().body);
}

}  // namespace

TEST_CASE("every provider answers plain and streamed calls with text, usage and finish reason",
          "[llm]") {
    const auto kind = GENERATE(ProviderKind::openai, ProviderKind::openai_compatible,
                               ProviderKind::anthropic, ProviderKind::gemini);
    Rig rig(kind);
    INFO(core::display_name(kind));

    auto plain = rig.provider->complete_sync(rig.request(false));
    REQUIRE(plain);
    CHECK(plain->text == rig.fake->reply);
    CHECK(plain->finish == core::llm::FinishReason::stop);
    CHECK(plain->usage.input_tokens > 0);
    CHECK(plain->usage.output_tokens >= 9);

    std::vector<std::string> pieces;
    auto streamed = rig.provider->complete_sync(rig.request(true, &pieces));
    REQUIRE(streamed);
    CHECK(streamed->text == rig.fake->reply);
    CHECK(pieces.size() >= 3);
    CHECK(streamed->finish == core::llm::FinishReason::stop);
    CHECK(streamed->usage.input_tokens == plain->usage.input_tokens);
    CHECK(streamed->usage.output_tokens == plain->usage.output_tokens);
    if (kind == ProviderKind::gemini) {
        CHECK(streamed->usage.reasoning_tokens == 3);  // thought tokens count as output
        CHECK(rig.server.requests().back().target.find(":streamGenerateContent?alt=sse") !=
              std::string::npos);
    }
}

TEST_CASE("request shapes follow each provider and the model quirk table", "[llm]") {
    SECTION("OpenAI: max_completion_tokens; GPT-5 gets no temperature") {
        Rig rig(ProviderKind::openai);
        auto req = rig.request(false);
        req.output_schema =
            nlohmann::json{{"type", "object"}, {"properties", {{"h2", {{"type", "array"}}}}}};
        REQUIRE(rig.provider->complete_sync(req));
        auto body = last_body(rig.server);
        CHECK(body["max_completion_tokens"] == 400);
        CHECK_FALSE(body.contains("max_tokens"));
        CHECK(body["temperature"] == 0.4);
        CHECK(body["messages"][0]["role"] == "system");
        CHECK(body["response_format"]["type"] == "json_schema");
        CHECK(body["response_format"]["json_schema"]["strict"] == true);

        req.model = "gpt-5-mini";
        REQUIRE(rig.provider->complete_sync(
            req));  // the fake refuses temperature and max_tokens for gpt-5
        CHECK_FALSE(last_body(rig.server).contains("temperature"));
    }
    SECTION("OpenAI-compatible: max_tokens, and no auth header without a key") {
        Rig rig(ProviderKind::openai_compatible);
        REQUIRE(rig.provider->complete_sync(rig.request(false)));
        CHECK(last_body(rig.server)["max_tokens"] == 400);
    }
    SECTION("Anthropic: system outside messages, version header") {
        Rig rig(ProviderKind::anthropic);
        REQUIRE(rig.provider->complete_sync(rig.request(false)));
        const auto req = rig.server.requests().back();
        CHECK(req.header("anthropic-version") == "2023-06-01");
        CHECK(req.header("x-api-key") == rig.fake->api_key);
        auto body = last_body(rig.server);
        CHECK(body["system"] == "You write SEO articles.");
        CHECK(body["messages"].size() == 1);
    }
    SECTION("Gemini: systemInstruction, generationConfig, key in a header not the URL") {
        Rig rig(ProviderKind::gemini);
        REQUIRE(rig.provider->complete_sync(rig.request(false)));
        const auto req = rig.server.requests().back();
        CHECK(req.target.find("key=") == std::string::npos);
        auto body = last_body(rig.server);
        CHECK(body["systemInstruction"]["parts"][0]["text"] == "You write SEO articles.");
        CHECK(body["generationConfig"]["maxOutputTokens"] == 400);
    }
}

TEST_CASE("one error classification for every provider and failure mode", "[llm]") {
    const auto kind = GENERATE(ProviderKind::openai, ProviderKind::openai_compatible,
                               ProviderKind::anthropic, ProviderKind::gemini);
    struct Case {
        FakeMode mode;
        bool stream;
        ErrorKind error_kind;
        bool retryable;
        std::string code;  // "" = any code
    };
    const std::vector<Case> cases = {
        {FakeMode::rate_limited, false, ErrorKind::provider, true, "provider.rate_limited"},
        {FakeMode::rate_limited_ms, false, ErrorKind::provider, true, "provider.rate_limited"},
        {FakeMode::rate_limited_reset, false, ErrorKind::provider, true, "provider.rate_limited"},
        {FakeMode::quota, false, ErrorKind::billing, false, "provider.billing"},
        {FakeMode::server_error, false, ErrorKind::provider, true, "provider.server_error"},
        {FakeMode::overloaded, false, ErrorKind::provider, true, "provider.overloaded"},
        {FakeMode::auth, false, ErrorKind::credentials, false, "provider.auth"},
        {FakeMode::unknown_model, false, ErrorKind::provider, false, "provider.not_found"},
        {FakeMode::reset_mid_body, false, ErrorKind::network, true, "http.reset"},
        {FakeMode::malformed_json, false, ErrorKind::provider, true, "provider.malformed"},
        {FakeMode::truncated_stream, true, ErrorKind::network, true, ""},
        {FakeMode::stream_error, true, ErrorKind::network, true, "provider.stream_error"},
        {FakeMode::rate_limited, true, ErrorKind::provider, true, "provider.rate_limited"},
    };
    Rig rig(kind);
    for (const auto& c : cases) {
        INFO(core::display_name(kind)
             << " mode " << static_cast<int>(c.mode) << (c.stream ? " streamed" : ""));
        rig.fake->push(c.mode);
        auto r = rig.provider->complete_sync(rig.request(c.stream));
        REQUIRE_FALSE(r);
        INFO(r.error().message);
        CHECK(r.error().kind == c.error_kind);
        CHECK(r.error().retryable == c.retryable);
        if (!c.code.empty()) {
            CHECK(r.error().code == c.code);
        }
        if (c.error_kind == ErrorKind::billing) {
            CHECK(r.error().message.find("will not retry") != std::string::npos);
        }
        if (c.code == "provider.rate_limited") {
            REQUIRE(r.error().retry_after);
            if (kind == ProviderKind::gemini) {
                CHECK(r.error().retry_after->count() == 53'000);  // google.rpc.RetryInfo
            } else if (c.mode == FakeMode::rate_limited) {
                CHECK(r.error().retry_after->count() == 2'000);  // retry-after
            } else if (c.mode == FakeMode::rate_limited_ms) {
                CHECK(r.error().retry_after->count() == 1'500);  // retry-after-ms wins
            } else if (kind != ProviderKind::anthropic) {
                CHECK(r.error().retry_after->count() ==
                      360'000);  // the exhausted limit's reset: 6m0s
            } else {
                CHECK(r.error().retry_after->count() > 0);  // anthropic-ratelimit-*-reset timestamp
            }
        }
    }
    // x-should-retry: false overrides the status (OpenAI and Anthropic send it).
    if (kind != ProviderKind::gemini) {
        rig.fake->push(FakeMode::server_error_no_retry);
        auto r = rig.provider->complete_sync(rig.request(false));
        REQUIRE_FALSE(r);
        CHECK_FALSE(r.error().retryable);
    }
    // The key never appears in an error.
    rig.fake->push(FakeMode::auth);
    auto r = rig.provider->complete_sync(rig.request(false));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(rig.fake->api_key) == std::string::npos);
}

TEST_CASE("a slow provider hits the request timeout as a retryable error", "[llm]") {
    Rig rig(ProviderKind::openai);
    core::llm::Endpoint endpoint;
    endpoint.base_url = rig.server.base_url() + "/v1";
    endpoint.api_key = rig.fake->api_key;
    endpoint.request_timeout = 400ms;
    auto provider = core::llm::make_provider(ProviderKind::openai, rig.http, endpoint,
                                             core::llm::ModelQuirks::built_in());
    rig.fake->push(FakeMode::slow);
    auto r = provider->complete_sync(rig.request(false));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "http.timeout");
    CHECK(r.error().retryable);
}

TEST_CASE("doctor checks work against every provider's models list", "[llm][doctor]") {
    const auto kind = GENERATE(ProviderKind::openai, ProviderKind::openai_compatible,
                               ProviderKind::anthropic, ProviderKind::gemini);
    Rig rig(kind);
    INFO(core::display_name(kind));
    core::llm::Endpoint endpoint;
    endpoint.base_url = rig.server.base_url() + (kind == ProviderKind::gemini ? "/v1beta" : "/v1");
    endpoint.api_key = rig.fake->api_key;
    auto report =
        core::check_llm(kind, rig.http, *rig.provider, endpoint, true, rig.model, true, true);
    CHECK(report.endpoint.state == core::CheckState::ok);
    CHECK(report.model.state == core::CheckState::ok);
    CHECK(report.call.state == core::CheckState::ok);
    CHECK(report.healthy());
    auto wrong = core::check_llm(kind, rig.http, *rig.provider, endpoint, true, "no-such-model",
                                 true, false);
    CHECK(wrong.model.state == core::CheckState::failed);
    CHECK(wrong.call.state == core::CheckState::skipped);
}
