#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "core/http.hpp"

namespace sota::core {

/// Parses a Go-style duration as OpenAI's x-ratelimit-reset-* headers send it: "12ms", "1s",
/// "6m0s", "1h2m3.5s".
std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text);

/// Parses an RFC 3339 UTC timestamp ("2025-08-21T12:40:59Z", fractions and offsets allowed).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

/// Parses an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT").
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

/// The delay a server asked for, from the first of: `retry-after-ms`, `retry-after` (seconds or
/// HTTP-date), OpenAI `x-ratelimit-reset-requests`/`-tokens` (when that limit's remaining is 0),
/// Anthropic `anthropic-ratelimit-*-reset` (when that limit's remaining is 0). Negative results
/// become zero. `now` is the clock for dates.
std::optional<std::chrono::milliseconds> retry_delay_from_headers(
    const HttpHeaders& headers, std::chrono::system_clock::time_point now);

/// What a provider's rate-limit headers say is left (OpenAI x-ratelimit-*, Anthropic
/// anthropic-ratelimit-*): the lowest remaining count of requests and of tokens, and when they
/// reset.
struct RateInfo {
    std::optional<double> limit_requests;  ///< the organisation's limit per minute
    std::optional<double> limit_tokens;
    std::optional<double> remaining_requests;
    std::optional<std::chrono::milliseconds> requests_reset;
    std::optional<double> remaining_tokens;
    std::optional<std::chrono::milliseconds> tokens_reset;
};

/// Reads rate-limit headers; empty when a provider sends none (Gemini, local servers).
RateInfo rate_info_from_headers(const HttpHeaders& headers,
                                std::chrono::system_clock::time_point now);

}  // namespace sota::core
