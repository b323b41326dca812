#include "tests/support/realistic_llm.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

namespace sota::test {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

// Durations as OpenAI writes them in x-ratelimit-reset-*: "17ms", "1.5s", "6m0s".
std::string go_duration(double seconds) {
    char text[32];
    if (seconds < 1) {
        std::snprintf(text, sizeof text, "%dms", static_cast<int>(std::ceil(seconds * 1000)));
    } else if (seconds < 60) {
        std::snprintf(text, sizeof text, "%.3gs", seconds);
    } else {
        const int whole = static_cast<int>(std::ceil(seconds));
        std::snprintf(text, sizeof text, "%dm%ds", whole / 60, whole % 60);
    }
    return text;
}

// Times as Anthropic writes them in anthropic-ratelimit-*-reset (RFC 3339, UTC).
std::string rfc3339_after(double seconds) {
    const auto at = std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(seconds * 1000)));
    const std::time_t t = std::chrono::system_clock::to_time_t(at) + 1;  // round up
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// Words that BPE tokenizers keep whole with their leading space: an answer of N of them is about
// N tokens.
constexpr const char* k_words[] = {"the",   "coffee", "grind", "burr",  "size",  "for",
                                   "and",   "each",   "time",  "water", "beans", "fine",
                                   "taste", "with",   "more",  "less",  "cup",   "shot"};

std::string words(int count, std::mt19937_64& rng) {
    std::string out;
    out.reserve(static_cast<std::size_t>(count) * 6);
    std::uniform_int_distribution<std::size_t> pick(0, std::size(k_words) - 1);
    for (int i = 0; i < count; ++i) {
        if (i > 0) {
            out += (i % 12 == 0) ? ". " : " ";
        }
        out += k_words[pick(rng)];
    }
    out += '.';
    return out;
}

std::size_t prompt_characters(const json& body) {
    std::size_t n = 0;
    if (body.contains("system") && body["system"].is_string()) {
        n += body["system"].get_ref<const std::string&>().size();
    }
    if (body.contains("messages") && body["messages"].is_array()) {
        for (const auto& m : body["messages"]) {
            if (m.is_object() && m.contains("content") && m["content"].is_string()) {
                n += m["content"].get_ref<const std::string&>().size();
            }
        }
    }
    return n;
}

}  // namespace

void RealisticLlm::Bucket::refill(SteadyClock::time_point now) {
    if (limit <= 0) {
        return;
    }
    const double elapsed = std::chrono::duration<double>(now - last).count();
    last = now;
    level = std::min(limit, level + elapsed * limit / 60.0);
}

double RealisticLlm::Bucket::seconds_until(double amount) const {
    if (limit <= 0 || level >= amount) {
        return 0;
    }
    return (amount - level) * 60.0 / limit;
}

double RealisticLlm::Bucket::seconds_until_full() const {
    return limit <= 0 ? 0 : std::max(0.0, (limit - level) * 60.0 / limit);
}

std::int64_t RealisticLlm::charged_prompt_tokens(std::size_t characters) {
    return static_cast<std::int64_t>((characters + 3) / 4);
}

RealisticLlm::RealisticLlm(FakeHttpServer& server, RealisticLlmOptions options)
    : m_server(server),
      m_options(std::move(options)),
      m_start(SteadyClock::now()),
      m_rng(m_options.seed) {
    m_requests.limit = m_options.requests_per_minute;
    m_requests.level = m_requests.limit;
    m_requests.last = m_start;
    m_tokens.limit = m_options.tokens_per_minute;
    m_tokens.level = m_tokens.limit;
    m_tokens.last = m_start;
    const char* path = m_options.wire == RealisticLlmOptions::Wire::openai ? "/v1/chat/completions"
                                                                           : "/v1/messages";
    m_server.route("POST", path, [this](const FakeRequest& r, FakeConnection& c) { handle(r, c); });
}

std::string RealisticLlm::base_url() const {
    return m_server.base_url() + "/v1";
}

RealisticLlmStats RealisticLlm::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

void RealisticLlm::add_limit_headers(Headers& headers) {
    // Called with the mutex held, after the buckets were refilled.
    const bool openai = m_options.wire == RealisticLlmOptions::Wire::openai;
    auto add = [&](const char* kind, const Bucket& b) {
        if (b.limit <= 0) {
            return;
        }
        const auto limit = std::to_string(static_cast<std::int64_t>(b.limit));
        const auto remaining = std::to_string(static_cast<std::int64_t>(std::max(0.0, b.level)));
        if (openai) {
            headers.emplace_back(std::string("x-ratelimit-limit-") + kind, limit);
            headers.emplace_back(std::string("x-ratelimit-remaining-") + kind, remaining);
            headers.emplace_back(std::string("x-ratelimit-reset-") + kind,
                                 go_duration(b.seconds_until_full()));
        } else {
            const std::string prefix = std::string("anthropic-ratelimit-") + kind;
            headers.emplace_back(prefix + "-limit", limit);
            headers.emplace_back(prefix + "-remaining", remaining);
            headers.emplace_back(prefix + "-reset", rfc3339_after(b.seconds_until_full()));
        }
    };
    add("requests", m_requests);
    add("tokens", m_tokens);
}

void RealisticLlm::handle(const FakeRequest& request, FakeConnection& c) {
    const bool openai = m_options.wire == RealisticLlmOptions::Wire::openai;
    const json body = json::parse(request.body, nullptr, false);
    const bool authorised = openai
                                ? request.header("authorization") == "Bearer " + m_options.api_key
                                : request.header("x-api-key") == m_options.api_key;
    if (!authorised || !body.is_object()) {
        c.respond(
            authorised ? 400 : 401,
            openai
                ? R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})"
                : R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})");
        return;
    }
    const std::string model = body.value("model", "");
    std::optional<int> max_tokens;
    for (const char* field : {"max_tokens", "max_completion_tokens"}) {
        if (body.contains(field) && body[field].is_number_integer()) {
            max_tokens = body[field].get<int>();
        }
    }
    const std::int64_t prompt_tokens = charged_prompt_tokens(prompt_characters(body));
    const double charge = static_cast<double>(prompt_tokens + max_tokens.value_or(0));

    Headers headers;
    double ttft_s = 0;
    double tps = 0;
    int output_tokens = 0;
    std::string reply;
    {
        std::lock_guard lock(m_mutex);
        ++m_stats.requests;
        const auto now = SteadyClock::now();
        m_requests.refill(now);
        m_tokens.refill(now);
        const double wait = std::max(m_requests.seconds_until(1), m_tokens.seconds_until(charge));
        if (wait > 0) {
            ++m_stats.refused_429;
            add_limit_headers(headers);
            headers.emplace_back("retry-after", std::to_string(static_cast<int>(std::ceil(wait))));
            const bool tokens = m_tokens.seconds_until(charge) > 0;
            if (openai) {
                json err = {{"error",
                             {{"message", std::string("Rate limit reached for ") + model + " on " +
                                              (tokens ? "tokens" : "requests") + " per min (TPM)."},
                              {"type", tokens ? "tokens" : "requests"},
                              {"param", nullptr},
                              {"code", "rate_limit_exceeded"}}}};
                c.respond(429, err.dump(), headers);
            } else {
                c.respond(429,
                          json{{"type", "error"},
                               {"error",
                                {{"type", "rate_limit_error"},
                                 {"message",
                                  "This request would exceed your organization's rate "
                                  "limit. Please slow down."}}}}
                              .dump(),
                          headers);
            }
            return;
        }
        m_requests.level -= 1;
        m_tokens.level -= charge;
        ++m_stats.admitted;
        m_stats.tokens_charged += charge;
        m_stats.admissions.emplace_back(std::chrono::duration<double>(now - m_start).count(),
                                        charge);
        add_limit_headers(headers);
        std::lognormal_distribution<double> spread(0.0, m_options.latency_sigma);
        ttft_s = m_options.time_to_first_token_s * spread(m_rng);
        tps = m_options.tokens_per_second / spread(m_rng);
        if (max_tokens) {
            std::uniform_real_distribution<double> fill(m_options.output_fill_min,
                                                        m_options.output_fill_max);
            output_tokens = std::max(1, static_cast<int>(*max_tokens * fill(m_rng)));
        } else {
            output_tokens = m_options.default_output_tokens;
        }
        reply = words(output_tokens, m_rng);
    }
    auto settle = [&] {
        std::lock_guard lock(m_mutex);
        m_stats.output_tokens += output_tokens;
        if (!max_tokens) {  // charged only now that its length is known
            m_tokens.refill(SteadyClock::now());
            m_tokens.level -= output_tokens;
            m_stats.tokens_charged += output_tokens;
        }
    };
    const json usage_openai = {{"prompt_tokens", prompt_tokens},
                               {"completion_tokens", output_tokens},
                               {"total_tokens", prompt_tokens + output_tokens},
                               {"prompt_tokens_details", {{"cached_tokens", 0}}}};
    const bool stream = body.value("stream", false);
    std::this_thread::sleep_for(std::chrono::duration<double>(ttft_s));
    if (!stream) {
        std::this_thread::sleep_for(std::chrono::duration<double>(output_tokens / tps));
        settle();
        if (openai) {
            c.respond(200,
                      json{{"id", "chatcmpl-realistic"},
                           {"object", "chat.completion"},
                           {"created", 1700000000},
                           {"model", model},
                           {"choices",
                            json::array({{{"index", 0},
                                          {"message", {{"role", "assistant"}, {"content", reply}}},
                                          {"finish_reason", "stop"},
                                          {"logprobs", nullptr}}})},
                           {"usage", usage_openai}}
                          .dump(),
                      headers);
        } else {
            c.respond(
                200,
                json{{"id", "msg_realistic"},
                     {"type", "message"},
                     {"role", "assistant"},
                     {"model", model},
                     {"content", json::array({{{"type", "text"}, {"text", reply}}})},
                     {"stop_reason", "end_turn"},
                     {"stop_sequence", nullptr},
                     {"usage", {{"input_tokens", prompt_tokens}, {"output_tokens", output_tokens}}}}
                    .dump(),
                headers);
        }
        return;
    }
    // A stream: a piece about every 8 tokens, at the generation speed.
    c.start_chunked(200, headers);
    constexpr std::size_t k_piece_words = 8;
    std::vector<std::string> pieces;
    std::size_t begin = 0;
    int counted = 0;
    for (std::size_t i = 0; i <= reply.size(); ++i) {
        if (i == reply.size() || (reply[i] == ' ' && ++counted % k_piece_words == 0)) {
            pieces.push_back(reply.substr(begin, i - begin));
            begin = i;
        }
    }
    const auto piece_time = std::chrono::duration<double>(k_piece_words / tps);
    if (openai) {
        auto chunk = [&](const json& delta, const json& finish) {
            json j = {{"id", "chatcmpl-realistic"},
                      {"object", "chat.completion.chunk"},
                      {"created", 1700000000},
                      {"model", model},
                      {"choices",
                       json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})},
                      {"usage", nullptr}};
            c.chunk("data: " + j.dump() + "\n\n");
        };
        chunk({{"role", "assistant"}, {"content", ""}}, nullptr);
        for (const auto& p : pieces) {
            std::this_thread::sleep_for(piece_time);
            chunk({{"content", p}}, nullptr);
        }
        settle();
        chunk(json::object(), "stop");
        c.chunk("data: " +
                json{{"id", "chatcmpl-realistic"},
                     {"object", "chat.completion.chunk"},
                     {"choices", json::array()},
                     {"usage", usage_openai}}
                    .dump() +
                "\n\n");
        c.chunk("data: [DONE]\n\n");
    } else {
        auto event = [&](const std::string& name, const json& data) {
            c.chunk("event: " + name + "\ndata: " + data.dump() + "\n\n");
        };
        event("message_start",
              {{"type", "message_start"},
               {"message",
                {{"id", "msg_realistic"},
                 {"type", "message"},
                 {"role", "assistant"},
                 {"model", model},
                 {"content", json::array()},
                 {"stop_reason", nullptr},
                 {"usage", {{"input_tokens", prompt_tokens}, {"output_tokens", 1}}}}}});
        event("content_block_start", {{"type", "content_block_start"},
                                      {"index", 0},
                                      {"content_block", {{"type", "text"}, {"text", ""}}}});
        for (const auto& p : pieces) {
            std::this_thread::sleep_for(piece_time);
            event("content_block_delta", {{"type", "content_block_delta"},
                                          {"index", 0},
                                          {"delta", {{"type", "text_delta"}, {"text", p}}}});
        }
        settle();
        event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}});
        event("message_delta",
              {{"type", "message_delta"},
               {"delta", {{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
               {"usage", {{"output_tokens", output_tokens}}}});
        event("message_stop", {{"type", "message_stop"}});
    }
    c.end_chunks();
}

}  // namespace sota::test
