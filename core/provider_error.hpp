#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/http.hpp"

namespace sota::core {

/// The remote services sota talks to; each has its own error body shape.
enum class ProviderKind { openai, openai_compatible, anthropic, gemini, serper, wordpress, web };

/// Human name ("OpenAI", "Anthropic", ...).
const char* display_name(ProviderKind kind);

/// Turns a non-2xx answer into one classification for every provider:
/// - retryable (ErrorKind::provider, retryable): 408, 409, 429 rate limits, 5xx, 529, llama.cpp
///   503 "Loading model"; carries the server's requested delay (retry-after-ms, retry-after,
///   rate-limit reset headers, Gemini RetryInfo.retryDelay);
/// - billing (ErrorKind::billing, never retried): OpenAI insufficient_quota /
///   credit_balance_exhausted, Anthropic 402 or enforced_spend_limit_reached, Gemini 402,
///   Serper "Not enough credits";
/// - credentials (ErrorKind::credentials): 401/403;
/// - permanent (ErrorKind::provider): unknown model (404) and other 4xx.
/// `x-should-retry: true|false` overrides retryability. The message names the provider, status,
/// the provider's own code and message, and the request id.
Error classify_http_error(ProviderKind kind, const HttpResponse& response,
                          std::chrono::system_clock::time_point now);

/// An error for a 200 answer whose body could not be understood (malformed JSON, missing fields).
/// Retryable: a proxy or an overloaded server sometimes sends garbage once.
Error malformed_response(ProviderKind kind, std::string_view what, const HttpResponse& response);

}  // namespace sota::core
