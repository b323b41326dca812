#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"

namespace sota::test {

/// A hosted model as a benchmark meets it: answers take time to first token plus output tokens
/// over a generation speed, with a long tail; streams arrive piece by piece at that speed; and an
/// organisation's requests-per-minute and tokens-per-minute limits are enforced the way OpenAI
/// and Anthropic enforce them, with their rate-limit headers on every answer and 429 with
/// `retry-after` when a request does not fit.
///
/// The limits are two token buckets metered continuously, each holding a minute's worth (a fresh
/// organisation may spend a whole minute's allowance at once, then refills at the limit's rate).
/// A request is charged 1 request and, at admission, its prompt tokens (characters / 4, the
/// estimate OpenAI documents for rate limiting) plus its `max_tokens`; a request without
/// `max_tokens` is charged its real output when it ends. A request that does not fit either
/// bucket is refused with 429, charged nothing.
struct RealisticLlmOptions {
    enum class Wire { openai, anthropic };
    Wire wire = Wire::openai;
    std::string api_key = "realistic-key";
    double requests_per_minute = 0;  ///< 0 = no limit
    double tokens_per_minute = 0;    ///< 0 = no limit
    double time_to_first_token_s = 0.6;
    double tokens_per_second = 60;
    /// The spread of latency: time to first token and generation speed are each multiplied by a
    /// log-normal factor with this sigma (median 1), which gives the long tail real APIs show.
    double latency_sigma = 0.35;
    /// How much of `max_tokens` an answer uses: uniformly between these fractions.
    double output_fill_min = 0.6;
    double output_fill_max = 1.0;
    /// Output length when a request sets no `max_tokens`.
    int default_output_tokens = 400;
    std::uint64_t seed = 7;
};

/// What the fake saw, for a benchmark to print.
struct RealisticLlmStats {
    std::size_t requests = 0;  ///< every request that reached a model route
    std::size_t admitted = 0;
    std::size_t refused_429 = 0;
    double tokens_charged = 0;  ///< prompt estimate + max_tokens (or output) of admitted requests
    std::int64_t output_tokens = 0;
    /// Admissions: seconds since the fake started, and tokens charged.
    std::vector<std::pair<double, double>> admissions;
};

class RealisticLlm {
  public:
    RealisticLlm(FakeHttpServer& server, RealisticLlmOptions options);

    RealisticLlmStats stats() const;
    std::string base_url() const;  ///< for the provider's base_url setting (ends in /v1)

    /// Prompt tokens as the fake counts them for the limits: characters / 4, rounded up.
    static std::int64_t charged_prompt_tokens(std::size_t characters);

  private:
    struct Bucket {
        double limit = 0;  // per minute; 0 = none
        double level = 0;
        std::chrono::steady_clock::time_point last;
        void refill(std::chrono::steady_clock::time_point now);
        double seconds_until(double amount) const;  // after refill
        double seconds_until_full() const;
    };

    void handle(const FakeRequest& request, FakeConnection& connection);
    void add_limit_headers(std::vector<std::pair<std::string, std::string>>& headers);

    FakeHttpServer& m_server;
    RealisticLlmOptions m_options;
    std::chrono::steady_clock::time_point m_start;
    mutable std::mutex m_mutex;
    Bucket m_requests;
    Bucket m_tokens;
    std::mt19937_64 m_rng;
    RealisticLlmStats m_stats;
};

}  // namespace sota::test
