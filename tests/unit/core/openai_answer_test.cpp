#include <catch2/catch.hpp>
#include <limits>

#include "core/http.hpp"
#include "core/llm/llm.hpp"
#include "core/text.hpp"

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

namespace {

/// Keeps every request's body and answers each with a short completion.
class CapturingHttp final : public HttpClient {
  public:
    void send(HttpRequest request, HttpCallback done) override {
        bodies.push_back(request.body);
        HttpResponse r;
        r.status = 200;
        r.body = R"({"choices":[{"finish_reason":"stop","message":{"content":"ok"}}]})";
        done(std::move(r));
    }
    std::vector<std::string> bodies;
};

/// The body an OpenAI-style provider of `kind` sends for `request` ("" if it sent none).
std::string sent_body(const llm::Request& request, ProviderKind kind = ProviderKind::openai) {
    CapturingHttp http;
    llm::Endpoint endpoint;
    endpoint.base_url = "http://127.0.0.1:9/v1";
    endpoint.api_key = "sk-test";
    auto provider = llm::make_provider(kind, http, endpoint, llm::ModelQuirks::built_in());
    (void)provider->complete_sync(request);
    return http.bodies.empty() ? "" : http.bodies.front();
}

}  // namespace

TEST_CASE("a chat request's body is the JSON document json::dump() would write", "[llm]") {
    using nlohmann::json;
    const std::string awkward =
        "Quotes \" and \\ backslashes, tabs\tand\nnewlines\r, \b\f, a bell \x07, DEL \x7f, "
        "caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80";

    llm::Request plain;
    plain.model = "gpt-4o-mini";
    plain.messages.push_back({"user", "Write about espresso."});
    CHECK(sent_body(plain) ==
          json({{"model", "gpt-4o-mini"},
                {"messages",
                 json::array({{{"role", "user"}, {"content", "Write about espresso."}}})}})
              .dump());

    llm::Request full;
    full.model = "gpt-4o-mini";
    full.system = "You are terse.";
    full.messages.push_back({"user", std::string("first ") + '\0' + " part"});
    full.messages.push_back({"assistant", awkward});
    full.messages.push_back({"user", ""});
    full.temperature = 0.7;
    full.max_output_tokens = 300;
    full.output_schema = json{{"type", "object"}, {"properties", {{"a", {{"type", "string"}}}}}};
    full.schema_name = "answer";
    json messages = json::array();
    messages.push_back({{"role", "system"}, {"content", "You are terse."}});
    for (const auto& m : full.messages) {
        messages.push_back({{"role", m.role}, {"content", m.content}});
    }
    json expected = {{"model", "gpt-4o-mini"},
                     {"messages", messages},
                     {"temperature", 0.7},
                     {"max_completion_tokens", 300},
                     {"response_format",
                      {{"type", "json_schema"},
                       {"json_schema",
                        {{"name", "answer"}, {"schema", *full.output_schema}, {"strict", true}}}}}};
    CHECK(sent_body(full) == expected.dump());

    // An o-series model: no temperature.
    full.model = "o3-mini";
    expected["model"] = "o3-mini";
    expected.erase("temperature");
    CHECK(sent_body(full) == expected.dump());

    // An OpenAI-compatible server: the other max-tokens field.
    expected.erase("max_completion_tokens");
    expected["max_tokens"] = 300;
    expected["temperature"] = 0.7;
    CHECK(sent_body(full, ProviderKind::openai_compatible) == expected.dump());

    // Text that is not UTF-8 is refused as json::dump() refuses it.
    llm::Request broken = plain;
    broken.messages.front().content = "bad \xc3\x28 byte";
    CHECK_THROWS_AS(sent_body(broken), json::type_error);
}

TEST_CASE("JSON strings are escaped as json::dump() escapes them, and only valid UTF-8", "[llm]") {
    using nlohmann::json;
    std::string every_byte;
    for (int c = 1; c < 0x80; ++c) {
        every_byte += static_cast<char>(c);
    }
    for (const std::string& text :
         {std::string(), std::string("plain"), every_byte, std::string("\0\x1f", 2),
          std::string(
              "\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xef\xbf\xbf \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf")}) {
        std::string out = "x";
        REQUIRE(append_json_string(out, text));
        CHECK(out == "x" + json(text).dump());
    }
    // Overlong, surrogate, truncated, past U+10FFFF, a stray continuation byte.
    for (const std::string bad :
         {"\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80", "\x80"}) {
        std::string out = "x";
        CHECK_FALSE(append_json_string(out, "ok " + bad));
        CHECK(out == "x");
        CHECK_THROWS_AS(json("ok " + bad).dump(), json::type_error);
    }
}

TEST_CASE("documents are written as json::dump() writes them", "[llm]") {
    using nlohmann::json;
    const json doc = {
        {"article", "# Title\n\n\"Quoted\" \\ text\twith caf\xc3\xa9 and \xf0\x9f\x98\x80"},
        {"empty", json::object()},
        {"list", json::array({1, -2, 0, std::numeric_limits<std::int64_t>::min(),
                              std::numeric_limits<std::uint64_t>::max(), 0.1, -0.0, 3.0, 1e300,
                              2.5e-8, true, false, nullptr, json::array(), "x"})},
        {"nested", {{"z", {{"k\xc3\xa9y", "v"}}}, {"a", json::array({json::object()})}}},
        {"\x01key with control", "\x1f"}};
    CHECK(dump_json(doc) == doc.dump());
    // Pretty, as dump(indent) writes it: empty objects and arrays stay "{}" and "[]".
    for (const int indent : {0, 1, 2, 4}) {
        INFO("indent " << indent);
        CHECK(dump_json(doc, indent) == doc.dump(indent));
    }
    CHECK(dump_json(json::array({json::object(), json::array({1})}), 2) ==
          "[\n  {},\n  [\n    1\n  ]\n]");
    for (const json& scalar : {json(nullptr), json(42), json(-7), json(1.5), json("s"), json(true),
                               json(std::numeric_limits<double>::quiet_NaN()),
                               json(-std::numeric_limits<double>::infinity()),
                               json(123456789012345678.0), json(1e-7), json(0.30000000000000004)}) {
        CHECK(dump_json(scalar) == scalar.dump());
        CHECK(dump_json(scalar, 2) == scalar.dump(2));
    }
    CHECK_THROWS_AS(dump_json(json{{"bad", "\xc3\x28"}}), json::type_error);
    CHECK_THROWS_AS(dump_json(json{{"\xff", 1}}), json::type_error);
}

TEST_CASE("documents are read as json::parse() reads them", "[llm]") {
    using nlohmann::json;
    for (const std::string text : {
             R"({"keyword":"best espresso grinder","fields":{"a":[1,-2,3.5,true,null]},"n":0})",
             R"({"dup":1,"dup":2})",
             R"([18446744073709551615, -9223372036854775808, 9223372036854775807, 1e300, -0.0])",
             R"("caf\u00e9 \ud83d\ude00 \"quoted\" \\ \n")",
             R"({"big":123456789012345678901234567890})",
             "  {\"spaced\" : [ ] , \"o\" : { } }  ",
             "42",
             "null",
         }) {
        INFO(text);
        const json expected = json::parse(text);
        const json got = parse_json(text);
        CHECK(got == expected);
        CHECK(got.dump() == expected.dump());
    }
    // Numbers keep json::parse()'s types: a non-negative integer is unsigned.
    CHECK(parse_json("7").is_number_unsigned());
    CHECK(parse_json("-7").is_number_integer());
    CHECK(parse_json("7.0").is_number_float());
    for (const std::string bad :
         {"", "{", "{\"a\":1} trailing", "[1,]", "{\"a\":\"\xc3\x28\"}", "nul", "{'a':1}"}) {
        INFO(bad);
        CHECK(parse_json(bad).is_discarded());
        CHECK(json::parse(bad, nullptr, false).is_discarded());
    }
}
