#include <catch2/catch.hpp>

#include "core/redactor.hpp"

using namespace sota::core;

TEST_CASE("known secret values are masked wherever they occur", "[redactor]") {
    Redactor r;
    r.add_secret("openai", "canary-7f3a9c2e");
    r.add_secret("short", "abc");  // too short to register
    const auto out = r.redact("key=canary-7f3a9c2e and again canary-7f3a9c2e; abc stays");
    CHECK(out == "key=[redacted:openai] and again [redacted:openai]; abc stays");
    CHECK(r.contains_secret("xx canary-7f3a9c2e"));
    CHECK_FALSE(r.contains_secret(out));
}

TEST_CASE("overlapping secrets are masked whole, longest first", "[redactor]") {
    Redactor r;
    r.add_secret("a", "token-1234");
    r.add_secret("b", "token-1234-extended");
    CHECK(r.redact("x token-1234-extended y") == "x [redacted:b] y");
}

TEST_CASE("credential-shaped text is masked even when the value is unknown", "[redactor]") {
    const Redactor r;
    CHECK(r.redact("Authorization: Bearer abcdef123456") == "Authorization: Bearer [redacted]");
    CHECK(r.redact("x-api-key: zzzz9999") == "x-api-key: [redacted]");
    CHECK(r.redact("using sk-proj-ABCDEFGHIJKLMNOPQRSTU now") == "using [redacted] now");
    CHECK(r.redact("a sk-short word") == "a sk-short word");
    CHECK(r.redact("Basic dXNlcjpwYXNz") == "Basic [redacted]");
}
