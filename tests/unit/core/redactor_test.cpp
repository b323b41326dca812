#include <catch2/catch.hpp>

#include "core/base64.hpp"
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

TEST_CASE("a secret is masked in the forms a server echoes it in", "[redactor]") {
    Redactor r;
    const std::string key = "sk-canary/Abc+123 xyz=0987";
    r.add_secret("openai", key);
    // Each form, and base64 of the key after any prefix (Basic auth's "user:key").
    const std::vector<std::string> echoes = {
        key,
        "sk-canary/Abc+123xyz=0987",           // spaces dropped
        "sk-canary%2FAbc%2B123%20xyz%3D0987",  // percent-encoded
        "sk-canary%2FAbc%2B123+xyz%3D0987",    // form-encoded
        "sk-canary\\/Abc+123 xyz=0987",        // JSON with escaped slashes
        base64_encode(key),
        base64_encode("u:" + key),
        base64_encode("user:" + key),
        base64_encode("Bearer " + key + "\n"),
    };
    for (const auto& echo : echoes) {
        INFO(echo);
        const std::string text = "before " + echo + " after";
        CHECK(r.contains_secret(text));
        const std::string out = r.redact(text);
        CHECK(out.find("[redacted:openai]") != std::string::npos);
        CHECK_FALSE(r.contains_secret(out));
        std::string in_place = text;
        CHECK(r.mask_known(in_place));
        CHECK_FALSE(r.contains_secret(in_place));
    }
}

TEST_CASE("a known key's start or end beside an elision is masked", "[redactor]") {
    Redactor r;
    r.add_secret("openai", "sk-proj-canaryABCDEF0123456789wxyz");
    CHECK(r.redact("Incorrect API key provided: sk-proj-********************wxyz. You can") ==
          "Incorrect API key provided: [redacted:openai]. You can");
    CHECK(r.redact("key sk-proj-can...wxyz is wrong") == "key [redacted:openai] is wrong");
    CHECK(r.redact("key sk-proj-can\xE2\x80\xA6 is wrong") == "key [redacted:openai] is wrong");
    CHECK(r.redact("ending in ****wxyz") == "ending in [redacted:openai]");
    // Ordinary elisions stay.
    CHECK(r.redact("Loading model... done; 3*** stars") == "Loading model... done; 3*** stars");
}

TEST_CASE("answer bodies keep credential-shaped prose but lose known secrets", "[redactor]") {
    Redactor r;
    r.add_secret("serper", "canary-serper-0123456789");
    std::string body = "Bearer tokens are explained; key canary-serper-0123456789.";
    CHECK(r.mask_known(body));
    CHECK(body == "Bearer tokens are explained; key [redacted:serper].");
    std::string clean = "nothing secret here";
    CHECK_FALSE(r.mask_known(clean));
    CHECK(clean == "nothing secret here");
}

TEST_CASE("a stream holds back only what could begin a secret", "[redactor]") {
    Redactor r;
    CHECK(r.partial_at_end("data: sk-can") == 0);  // nothing registered
    r.add_secret("openai", "sk-canary-0123456789");
    CHECK(r.partial_at_end("data: sk-can") == 6);
    CHECK(r.partial_at_end("data: {}\n\n") == 0);
    CHECK(r.partial_at_end("sk-canary-012345678") == 19);
    CHECK(r.knows("sk-canary-0123456789"));
    CHECK_FALSE(r.knows("sk-canary"));
}

TEST_CASE("base64 decodes what base64_encode wrote, and URL-safe text", "[redactor]") {
    CHECK(base64_decode(base64_encode("user:pass word")) == "user:pass word");
    CHECK(base64_decode("dXNlcjpw") == "user:p");
    CHECK(base64_decode("-_8") == std::string("\xfb\xff"));
    CHECK_FALSE(base64_decode("not base64!").has_value());
}
