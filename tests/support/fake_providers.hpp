#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"

namespace sota::test {

/// What a fake LLM endpoint does with its next request.
enum class FakeMode {
    ok,
    rate_limited,           ///< 429 with retry-after: 2 (seconds)
    rate_limited_ms,        ///< 429 with retry-after-ms: 1500
    rate_limited_reset,     ///< 429 with the provider's rate-limit reset headers only
    quota,                  ///< billing: OpenAI insufficient_quota / Anthropic 402 / Gemini 402
    server_error,           ///< 500
    server_error_no_retry,  ///< 500 with x-should-retry: false
    overloaded,             ///< 529 (Anthropic) / 503 elsewhere; llama.cpp-style "Loading model"
    auth,                   ///< 401
    unknown_model,          ///< 404
    reset_mid_body,         ///< 200 headers, part of the body, then a TCP reset
    malformed_json,         ///< 200 with a body that is not JSON
    truncated_stream,       ///< SSE cut off before the final event
    stream_error,           ///< an error event after the 200
    slow,                   ///< waits 2 s before answering
};

/// A scripted fake: each request takes the next mode from `script`, then `fallback`.
struct FakeLlm {
    std::mutex mutex;
    std::deque<FakeMode> script;
    FakeMode fallback = FakeMode::ok;
    std::string reply = "Espresso grinders differ mostly in burr size.";
    /// When set, writes the reply for each request from its body (OpenAI routes); usage is then
    /// counted from the lengths. It may sleep to play a slow model.
    std::function<std::string(const nlohmann::json& body)> responder;
    std::string api_key = "test-key-0000";
    /// When the script is empty: the chance of a 500, and of a 429, for each request.
    double flaky_server_error = 0;
    double flaky_rate_limit = 0;
    std::uint64_t seed = 1;
    std::mt19937_64 rng;
    std::uint64_t seeded_with = 0;  ///< the seed rng was last seeded with
    /// An outage: once `outage_after` requests came, every request for the next `outage_for`
    /// gets `outage_mode` (a 503 by default); then the fake answers as before.
    std::size_t outage_after = SIZE_MAX;
    std::chrono::milliseconds outage_for{0};
    FakeMode outage_mode = FakeMode::overloaded;
    std::size_t requests_seen = 0;
    std::optional<std::chrono::steady_clock::time_point> outage_began;
    std::size_t outage_requests = 0;  ///< requests that came during the outage
    /// Whether the outage began and is over.
    bool outage_over();

    FakeMode next();
    void push(FakeMode mode);
};

/// OpenAI Chat Completions at /v1/chat/completions (and /v1/models). With `compatible`, speaks
/// like llama.cpp/vLLM: integer error codes, no auth required when api_key is empty.
void install_openai(FakeHttpServer& server, std::shared_ptr<FakeLlm> fake, bool compatible = false);
/// Anthropic Messages at /v1/messages.
void install_anthropic(FakeHttpServer& server, std::shared_ptr<FakeLlm> fake);
/// Gemini at /v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse.
void install_gemini(FakeHttpServer& server, std::shared_ptr<FakeLlm> fake);

}  // namespace sota::test

namespace sota::test {

/// A scripted fake Serper at /search: answers from a small built-in index keyed by query,
/// 403 "Unauthorized." for a wrong X-API-KEY, and FakeMode failures (quota: 400 "Not enough
/// credits"). A JSON array body is a batch, answered with an array.
struct FakeSerp {
    std::mutex mutex;
    std::deque<FakeMode> script;
    std::string api_key = "serper-key-0000";
    std::string site;  ///< base URL that organic links point at (the fake website)
    /// When set, organic links are spread over these base URLs instead (one site per result).
    std::vector<std::string> sites;

    FakeMode next();
};

void install_serper(FakeHttpServer& server, std::shared_ptr<FakeSerp> fake);

}  // namespace sota::test
