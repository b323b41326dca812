#include <catch2/catch.hpp>

#include "core/http.hpp"
#include "core/llm/llm.hpp"

using namespace sota::core;

namespace {

/// Answers every request with one canned body (status 200).
class CannedHttp final : public HttpClient {
  public:
    explicit CannedHttp(std::string body) : m_body(std::move(body)) {}
    void send(HttpRequest, HttpCallback done) override {
        HttpResponse r;
        r.status = 200;
        r.body = m_body;
        done(std::move(r));
    }

  private:
    std::string m_body;
};

Expected<llm::Response> answer(const std::string& body) {
    CannedHttp http(body);
    llm::Endpoint endpoint;
    endpoint.base_url = "http://127.0.0.1:9/v1";
    auto provider =
        llm::make_provider(ProviderKind::openai, http, endpoint, llm::ModelQuirks::built_in());
    llm::Request request;
    request.model = "gpt-4o-mini";
    request.messages.push_back({"user", "hi"});
    return provider->complete_sync(request);
}

}  // namespace

TEST_CASE("a chat completion is read for its text, finish, usage and model only", "[llm]") {
    // Members in any order, arrays and objects the reader does not need, a second choice.
    auto r = answer(R"({"id":"c1","usage":{"prompt_tokens":21,"completion_tokens":9,
        "prompt_tokens_details":{"cached_tokens":4,"audio_tokens":[1,2]},
        "completion_tokens_details":{"reasoning_tokens":3}},
        "choices":[{"index":0,"logprobs":{"content":[{"token":"x","top":[1.5]}]},
                    "finish_reason":"length",
                    "message":{"role":"assistant","content":"Hello \"world\"","tool_calls":[]}},
                   {"index":1,"finish_reason":"stop","message":{"content":"second"}}],
        "model":"gpt-4o-mini-2024","created":1.7e9,"system_fingerprint":null})");
    REQUIRE(r);
    CHECK(r->text == "Hello \"world\"");
    CHECK(r->finish == llm::FinishReason::length);
    CHECK(r->raw_finish_reason == "length");
    CHECK(r->usage.input_tokens == 21);
    CHECK(r->usage.output_tokens == 9);
    CHECK(r->usage.cached_input_tokens == 4);
    CHECK(r->usage.reasoning_tokens == 3);
    CHECK(r->model == "gpt-4o-mini-2024");
}

TEST_CASE("a refusal becomes the text, and the finish reason says so", "[llm]") {
    auto r = answer(R"({"choices":[{"message":{"content":null,"refusal":"I can't help"},
        "finish_reason":"stop"}],"model":"m"})");
    REQUIRE(r);
    CHECK(r->text == "I can't help");
    CHECK(r->finish == llm::FinishReason::refusal);
    CHECK(r->usage.input_tokens == 0);
}

TEST_CASE("an answer without choices, or not JSON, is a malformed answer", "[llm]") {
    for (const char* body :
         {R"({"choices":[]})", R"({"choices":"none"})", R"({"model":"m"})", R"({"choices":[1]})",
          R"(["choices"])", "<html>busy</html>", R"({"choices":[{"message":{"content":"cut)"}) {
        INFO(body);
        auto r = answer(body);
        REQUIRE_FALSE(r);
        CHECK(r.error().code.find("malformed") != std::string::npos);
    }
}
