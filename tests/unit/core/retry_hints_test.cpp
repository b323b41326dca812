#include <catch2/catch.hpp>

#include "core/provider_error.hpp"
#include "core/retry_hints.hpp"

using namespace sota::core;
using namespace std::chrono_literals;

TEST_CASE("Go durations, RFC 3339 and HTTP dates parse", "[retry]") {
    CHECK(parse_go_duration("12ms")->count() == 12);
    CHECK(parse_go_duration("1s")->count() == 1000);
    CHECK(parse_go_duration("6m0s")->count() == 360'000);
    CHECK(parse_go_duration("1h2m3.5s")->count() == 3'723'500);
    CHECK_FALSE(parse_go_duration("soon"));
    const auto t = parse_rfc3339("2025-08-21T12:40:59Z");
    REQUIRE(t);
    CHECK(std::chrono::system_clock::to_time_t(*t) == 1755780059);
    CHECK(parse_rfc3339("2025-08-21T14:40:59+02:00") == t);
    CHECK(std::chrono::system_clock::to_time_t(*parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT")) ==
          1445412480);
}

TEST_CASE("the retry delay comes from the first header that gives one", "[retry]") {
    const auto now = *parse_rfc3339("2025-08-21T12:40:00Z");
    CHECK(retry_delay_from_headers({{"retry-after-ms", "250.5"}, {"retry-after", "9"}}, now)
              ->count() == 251);
    CHECK(retry_delay_from_headers({{"Retry-After", "1.5"}}, now)->count() == 1500);
    CHECK(retry_delay_from_headers({{"retry-after", "Thu, 21 Aug 2025 12:40:30 GMT"}}, now)
              ->count() == 30'000);
    CHECK(retry_delay_from_headers({{"retry-after", "Thu, 21 Aug 2025 12:39:00 GMT"}}, now)
              ->count() == 0);
    // Only an exhausted limit's reset counts.
    CHECK_FALSE(retry_delay_from_headers(
        {{"x-ratelimit-remaining-requests", "5"}, {"x-ratelimit-reset-requests", "2s"}}, now));
    CHECK(retry_delay_from_headers(
              {{"x-ratelimit-remaining-tokens", "0"}, {"x-ratelimit-reset-tokens", "12ms"}}, now)
              ->count() == 12);
    CHECK(retry_delay_from_headers({{"anthropic-ratelimit-requests-remaining", "0"},
                                    {"anthropic-ratelimit-requests-reset", "2025-08-21T12:40:59Z"}},
                                   now)
              ->count() == 59'000);
    CHECK_FALSE(retry_delay_from_headers({}, now));
}

TEST_CASE("Serper's credit exhaustion is billing even though it is a 400", "[retry]") {
    HttpResponse r;
    r.status = 400;
    r.body = R"({"message":"Not enough credits","statusCode":400})";
    const auto e = classify_http_error(ProviderKind::serper, r, std::chrono::system_clock::now());
    CHECK(e.kind == ErrorKind::billing);
    CHECK_FALSE(e.retryable);
    r.status = 403;
    r.body = R"({"message":"Unauthorized.","statusCode":403})";
    CHECK(classify_http_error(ProviderKind::serper, r, std::chrono::system_clock::now()).kind ==
          ErrorKind::credentials);
}

TEST_CASE("rate-limit headers give the organisation's limits as well as what is left", "[retry]") {
    const auto now = std::chrono::system_clock::now();
    const auto openai = rate_info_from_headers({{"x-ratelimit-limit-requests", "500"},
                                                {"x-ratelimit-limit-tokens", "200000"},
                                                {"x-ratelimit-remaining-requests", "499"},
                                                {"x-ratelimit-remaining-tokens", "199500"},
                                                {"x-ratelimit-reset-requests", "120ms"},
                                                {"x-ratelimit-reset-tokens", "150ms"}},
                                               now);
    CHECK(openai.limit_requests == 500);
    CHECK(openai.limit_tokens == 200000);
    CHECK(openai.remaining_tokens == 199500);
    CHECK(openai.tokens_reset == std::chrono::milliseconds(150));
    const auto anthropic =
        rate_info_from_headers({{"anthropic-ratelimit-requests-limit", "50"},
                                {"anthropic-ratelimit-requests-remaining", "49"},
                                {"anthropic-ratelimit-tokens-limit", "40000"},
                                {"anthropic-ratelimit-tokens-remaining", "39000"}},
                               now);
    CHECK(anthropic.limit_requests == 50);
    CHECK(anthropic.limit_tokens == 40000);
    CHECK(anthropic.remaining_requests == 49);
    CHECK_FALSE(rate_info_from_headers({}, now).limit_tokens);
}
