#include <catch2/catch.hpp>

#include <algorithm>

#include "core/base64.hpp"
#include "core/redacting_http.hpp"

using namespace sota::core;

namespace {

/// Answers every request with the credentials it carried echoed back, as some providers do:
/// in the body, in headers, and (when streamed) split across pieces.
class EchoingHttp final : public HttpClient {
  public:
    int status = 401;
    bool fail_transport = false;
    void send(HttpRequest request, HttpCallback done) override {
        const auto creds = request_credentials(request);
        const std::string key = creds.empty() ? "" : creds.front();
        if (fail_transport) {
            done(fail(ErrorKind::network, "http.failed", "could not reach it with " + key));
            return;
        }
        HttpResponse r;
        r.status = status;
        r.headers = {{"x-request-id", key},
                     {"www-authenticate", "Basic " + base64_encode("u:" + key)}};
        const std::string body =
            R"({"error":{"message":"Incorrect API key provided: )" + key + R"("}})";
        if (request.on_body) {
            for (std::size_t i = 0; i < body.size(); i += 7) {
                request.on_body(std::string_view(body).substr(i, 7));
            }
        } else {
            r.body = body;
        }
        done(std::move(r));
    }
};

}  // namespace

TEST_CASE("credentials are found in headers, Basic auth and the URL", "[redacting_http]") {
    HttpRequest r;
    r.url = "https://user:pa%20ss@example.com/v1?alt=sse&key=query-secret-1";
    r.headers = {{"Authorization", "Basic " + base64_encode("admin:wp app pass")},
                 {"X-API-KEY", "serper-secret"},
                 {"Content-Type", "application/json"}};
    const auto creds = request_credentials(r);
    for (const std::string expected : {"wp app pass", "admin:wp app pass", "serper-secret",
                                       "pa%20ss", "pa ss", "query-secret-1"}) {
        INFO(expected);
        CHECK(std::find(creds.begin(), creds.end(), expected) != creds.end());
    }
    CHECK(std::find(creds.begin(), creds.end(), "application/json") == creds.end());
}

TEST_CASE("an answer never carries a key the request sent, even one nobody registered",
          "[redacting_http]") {
    EchoingHttp inner;
    auto shared = std::make_shared<Redactor>();
    RedactingHttpClient http(inner, shared);
    const std::string key = "sk-unregistered-0123456789abcdef";
    for (const int status : {200, 401, 403, 429, 500}) {
        for (const bool streamed : {false, true}) {
            INFO(status << (streamed ? " streamed" : ""));
            inner.status = status;
            HttpRequest request;
            request.url = "http://127.0.0.1:1/v1/chat/completions";
            request.headers = {{"Authorization", "Bearer " + key}};
            std::string streamed_body;
            if (streamed) {
                request.on_body = [&](std::string_view piece) {
                    streamed_body.append(piece);
                    return true;
                };
            }
            auto answer = http.perform(std::move(request));
            REQUIRE(answer);
            const std::string body = streamed ? streamed_body : answer->body;
            std::string everything = body;
            for (const auto& [name, value] : answer->headers) {
                everything += "\n" + name + ": " + value;
            }
            Redactor check;
            check.add_secret("key", key);
            CHECK_FALSE(check.contains_secret(everything));
            // "[redacted:credential]", or "[redacted]" where its "sk-" shape was masked first.
            CHECK(body.find("Incorrect API key provided: [redacted") != std::string::npos);
        }
    }
}

TEST_CASE("transport errors lose known secrets", "[redacting_http]") {
    EchoingHttp inner;
    inner.fail_transport = true;
    auto shared = std::make_shared<Redactor>();
    shared->add_secret("serper", "serper-canary-0123456789");
    RedactingHttpClient http(inner, shared);
    HttpRequest request;
    request.headers = {{"X-API-KEY", "serper-canary-0123456789"}};
    auto answer = http.perform(std::move(request));
    REQUIRE_FALSE(answer);
    CHECK(answer.error().message == "could not reach it with [redacted:serper]");
}
