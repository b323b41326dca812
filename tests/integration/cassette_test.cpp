#include <catch2/catch.hpp>

#include "adapters/cassette.hpp"
#include "adapters/curl_http_client.hpp"
#include "core/llm/llm.hpp"
#include "tests/support/fake_providers.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;
using test::FakeMode;

namespace {

core::llm::Request ask(const std::string& prompt, bool stream) {
    core::llm::Request r;
    r.model = "gpt-4o-mini";
    r.messages = {{"user", prompt}};
    if (stream) {
        r.on_text = [](std::string_view) {};
    }
    return r;
}

}  // namespace

TEST_CASE("a recording replays the same answers offline, with no secret in it", "[cassette]") {
    test::TempHome home;
    const auto cassette = home.path() / "demo.cassette.jsonl";
    const std::string canary = "sk-canary-recording-0123456789";
    auto redactor = std::make_shared<core::Redactor>();
    redactor->add_secret("openai", canary);

    std::vector<core::Expected<core::llm::Response>> live;
    {
        test::FakeHttpServer server;
        auto fake = std::make_shared<test::FakeLlm>();
        fake->api_key = canary;
        test::install_openai(server, fake);
        adapters::CurlHttpClient curl;
        adapters::RecordingHttpClient recorder(curl, cassette, redactor);
        core::llm::Endpoint endpoint{server.base_url() + "/v1", canary};
        auto provider =
            core::llm::make_provider(core::ProviderKind::openai, recorder, endpoint, nullptr);
        live.push_back(provider->complete_sync(ask("first " + canary, false)));
        live.push_back(provider->complete_sync(ask("second", true)));
        fake->push(FakeMode::quota);
        live.push_back(provider->complete_sync(ask("third", false)));
        fake->reply = "a different answer to the same question";
        live.push_back(provider->complete_sync(ask("second", true)));
    }
    const std::string recorded = test::read_text(cassette);
    CHECK(recorded.find(canary) == std::string::npos);
    CHECK(recorded.find("[redacted]") != std::string::npos);

    // The server is gone: replay answers from the file alone, with no key configured.
    auto replay = adapters::ReplayHttpClient::open(cassette, std::make_shared<core::Redactor>());
    REQUIRE(replay);
    CHECK((*replay)->size() == 4);
    core::llm::Endpoint endpoint{"http://127.0.0.1:1/v1", ""};
    auto provider =
        core::llm::make_provider(core::ProviderKind::openai, **replay, endpoint, nullptr);

    // The recorded prompt held the secret; replaying with the secret still matches (it is
    // redacted before fingerprinting) when the redactor knows it.
    auto replay_with_key = adapters::ReplayHttpClient::open(cassette, redactor);
    REQUIRE(replay_with_key);
    auto keyed =
        core::llm::make_provider(core::ProviderKind::openai, **replay_with_key, endpoint, nullptr);
    auto first = keyed->complete_sync(ask("first " + canary, false));
    INFO((first ? std::string() : first.error().message));
    REQUIRE(first);
    CHECK(first->text == live[0]->text);

    std::string pieces;
    auto stream_req = ask("second", true);
    stream_req.on_text = [&](std::string_view p) { pieces += p; };
    auto second = provider->complete_sync(stream_req);
    REQUIRE(second);
    CHECK(second->text == live[1]->text);
    CHECK(pieces == live[1]->text);
    CHECK(second->usage.output_tokens == live[1]->usage.output_tokens);

    auto third = provider->complete_sync(ask("third", false));
    REQUIRE_FALSE(third);
    CHECK(third.error().kind == core::ErrorKind::billing);

    // The same request again gets the next recorded answer, then the last one repeats.
    auto again = provider->complete_sync(ask("second", true));
    REQUIRE(again);
    CHECK(again->text == "a different answer to the same question");
    CHECK(provider->complete_sync(ask("second", true))->text ==
          "a different answer to the same question");

    auto missing = provider->complete_sync(ask("never recorded", false));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == "replay.unrecorded");
    CHECK(missing.error().message.find("POST http://127.0.0.1:1/v1/chat/completions") !=
          std::string::npos);
    CHECK(missing.error().message.find(cassette.string()) != std::string::npos);
}

TEST_CASE("fingerprints ignore host, headers, query order, the key parameter and JSON key order",
          "[cassette]") {
    core::Redactor redactor;
    core::HttpRequest a;
    a.method = "POST";
    a.url = "https://x/v1beta/models/m:streamGenerateContent?alt=sse&key=SECRET";
    a.body = R"({"b":1,"a":[1,2]})";
    a.headers = {{"x-goog-api-key", "one"}};
    core::HttpRequest b = a;
    b.url = "http://127.0.0.1:8080/v1beta/models/m:streamGenerateContent?key=OTHER&alt=sse";
    b.body = R"({ "a": [1, 2], "b": 1 })";
    b.headers = {{"x-goog-api-key", "two"}, {"user-agent", "x"}};
    CHECK(adapters::request_fingerprint(a, redactor) == adapters::request_fingerprint(b, redactor));
    b.body = R"({"a":[2,1],"b":1})";
    CHECK(adapters::request_fingerprint(a, redactor) != adapters::request_fingerprint(b, redactor));
}

TEST_CASE("a missing cassette is a clear error", "[cassette]") {
    auto r = adapters::ReplayHttpClient::open("/nonexistent/demo.jsonl",
                                              std::make_shared<core::Redactor>());
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("/nonexistent/demo.jsonl") != std::string::npos);
}

TEST_CASE("replay passthrough: listed hosts are reached live, the rest from the recording",
          "[cassette][passthrough]") {
    CHECK(adapters::host_listed("http://127.0.0.1:8081/wp-json/", {"127.0.0.1:8081"}));
    CHECK_FALSE(adapters::host_listed("http://127.0.0.1:8082/wp-json/", {"127.0.0.1:8081"}));
    CHECK(adapters::host_listed("https://WP.Example.com/x", {"wp.example.com"}));
    CHECK(adapters::host_listed("https://wp.example.com/x", {" wp.example.com:443 "}));
    CHECK_FALSE(adapters::host_listed("https://wp.example.com/x", {"wp.example.com:80"}));
    CHECK_FALSE(adapters::host_listed("https://api.openai.com/v1", {"wp.example.com"}));
    CHECK_FALSE(adapters::host_listed("https://evil.com/?u=wp.example.com", {"wp.example.com"}));
    CHECK(adapters::host_listed("http://[::1]:9000/", {"[::1]:9000"}));
    CHECK(adapters::host_listed("http://[::1]:9000/", {"[::1]"}));

    test::TempHome home;
    const auto cassette = home.path() / "empty.cassette.jsonl";
    test::write_text(cassette, "");
    auto replay = adapters::ReplayHttpClient::open(cassette, std::make_shared<core::Redactor>());
    REQUIRE(replay);
    test::FakeHttpServer live_site;
    live_site.route("GET", "/hello", [](const test::FakeRequest&, test::FakeConnection& c) {
        c.respond(200, "live", {}, "text/plain");
    });
    adapters::CurlHttpClient curl;
    const std::string authority = live_site.base_url().substr(7);  // 127.0.0.1:PORT
    (*replay)->set_passthrough({authority}, &curl);
    core::HttpRequest live;
    live.url = live_site.base_url() + "/hello";
    live.set_deadline(std::chrono::seconds(5));
    auto answered = (*replay)->perform(live);
    REQUIRE(answered);
    CHECK(answered->body == "live");
    core::HttpRequest other;
    other.url = "http://127.0.0.1:1/hello";
    other.set_deadline(std::chrono::seconds(5));
    auto unrecorded = (*replay)->perform(other);
    REQUIRE_FALSE(unrecorded);
    CHECK(unrecorded.error().code == "replay.unrecorded");
    CHECK(live_site.count("/hello") == 1);
}
