#include "tests/support/fake_providers.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace sota::test {

using nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

bool FakeLlm::outage_over() {
    std::lock_guard lock(mutex);
    return outage_began && std::chrono::steady_clock::now() >= *outage_began + outage_for;
}

FakeMode FakeLlm::next() {
    std::lock_guard lock(mutex);
    if (++requests_seen > outage_after) {
        const auto now = std::chrono::steady_clock::now();
        if (!outage_began) {
            outage_began = now;
        }
        if (now < *outage_began + outage_for) {
            ++outage_requests;
            return outage_mode;
        }
    }
    if (script.empty()) {
        if (flaky_server_error > 0 || flaky_rate_limit > 0) {
            if (seeded_with != seed) {
                rng.seed(seed);
                seeded_with = seed;
            }
            const double roll = std::uniform_real_distribution<double>(0, 1)(rng);
            if (roll < flaky_server_error) {
                return FakeMode::server_error;
            }
            if (roll < flaky_server_error + flaky_rate_limit) {
                return FakeMode::rate_limited;
            }
        }
        return fallback;
    }
    const FakeMode m = script.front();
    script.pop_front();
    return m;
}

void FakeLlm::push(FakeMode mode) {
    std::lock_guard lock(mutex);
    script.push_back(mode);
}

namespace {

// Splits the reply into a few pieces so streams carry several deltas.
std::vector<std::string> pieces(const std::string& text) {
    std::vector<std::string> out;
    const std::size_t step = std::max<std::size_t>(1, text.size() / 3);
    for (std::size_t i = 0; i < text.size(); i += step) {
        out.push_back(text.substr(i, step));
    }
    return out;
}

// Answers the failure modes every provider shares. Returns true if it answered.
bool common_failure(FakeMode mode, FakeConnection& c) {
    switch (mode) {
        case FakeMode::slow:
            std::this_thread::sleep_for(std::chrono::seconds(2));
            return false;
        case FakeMode::reset_mid_body:
            c.raw(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                "500\r\n\r\n{\"id\":\"x\",\"cho");
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            c.reset();
            return true;
        case FakeMode::malformed_json:
            c.respond(200, "{\"choices\": [ this is not json");
            return true;
        default:
            return false;
    }
}

// ---- OpenAI ------------------------------------------------------------------------------

void openai_error(FakeConnection& c, int status, const std::string& message,
                  const std::string& type, const std::string& code, bool compatible,
                  const Headers& headers = {}) {
    json err = {{"message", message},
                {"type", type},
                {"param", nullptr},
                {"code", code.empty() ? json(nullptr) : json(code)}};
    if (compatible) {
        err["code"] = status;  // llama.cpp / vLLM send integer codes
    }
    Headers h = headers;
    h.emplace_back("x-request-id", "req_fake_123");
    c.respond(status, json{{"error", err}}.dump(), h);
}

void openai_handler(const std::shared_ptr<FakeLlm>& fake, bool compatible, const FakeRequest& r,
                    FakeConnection& c) {
    const FakeMode mode = fake->next();
    if (!fake->api_key.empty() && r.header("authorization") != "Bearer " + fake->api_key) {
        openai_error(c, 401, "Incorrect API key provided",
                     compatible ? "authentication_error" : "invalid_request_error",
                     "invalid_api_key", compatible);
        return;
    }
    const json body = json::parse(r.body, nullptr, false);
    const std::string model = body.is_object() ? body.value("model", "") : "";
    if (!compatible && model.rfind("gpt-5", 0) == 0) {
        if (body.contains("max_tokens")) {
            openai_error(c, 400, "Unsupported parameter: 'max_tokens'", "invalid_request_error",
                         "unsupported_parameter", false);
            return;
        }
        if (body.contains("temperature") && body["temperature"] != 1) {
            openai_error(c, 400, "Unsupported value: 'temperature'", "invalid_request_error",
                         "unsupported_value", false);
            return;
        }
    }
    if (common_failure(mode, c)) {
        return;
    }
    switch (mode) {
        case FakeMode::rate_limited:
            return openai_error(c, 429, "Rate limit reached for requests", "requests",
                                "rate_limit_exceeded", compatible, {{"retry-after", "2"}});
        case FakeMode::rate_limited_ms:
            return openai_error(c, 429, "Rate limit reached", "requests", "rate_limit_exceeded",
                                compatible, {{"retry-after-ms", "1500"}, {"retry-after", "2"}});
        case FakeMode::rate_limited_reset:
            return openai_error(c, 429, "Rate limit reached for tokens", "tokens",
                                "rate_limit_exceeded", compatible,
                                {{"x-ratelimit-remaining-requests", "10"},
                                 {"x-ratelimit-reset-requests", "1s"},
                                 {"x-ratelimit-remaining-tokens", "0"},
                                 {"x-ratelimit-reset-tokens", "6m0s"}});
        case FakeMode::quota:
            return openai_error(c, 429, "You exceeded your current quota", "insufficient_quota",
                                "insufficient_quota", compatible);
        case FakeMode::server_error:
            return openai_error(c, 500, "The server had an error", "server_error", "", compatible);
        case FakeMode::server_error_no_retry:
            return openai_error(c, 500, "Do not retry this", "server_error", "", compatible,
                                {{"x-should-retry", "false"}});
        case FakeMode::overloaded:
            if (compatible) {
                c.respond(
                    503,
                    R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})");
                return;
            }
            return openai_error(c, 503, "The engine is currently overloaded", "server_error", "",
                                false);
        case FakeMode::auth:
            return openai_error(c, 401, "Incorrect API key provided", "invalid_request_error",
                                "invalid_api_key", compatible);
        case FakeMode::unknown_model:
            if (compatible) {  // vLLM's older flat error shape
                c.respond(404, json{{"object", "error"},
                                    {"message", "The model `" + model + "` does not exist."},
                                    {"type", "NotFoundError"},
                                    {"param", nullptr},
                                    {"code", 404}}
                                   .dump());
                return;
            }
            return openai_error(c, 404, "The model `" + model + "` does not exist",
                                "invalid_request_error", "model_not_found", false);
        default:
            break;
    }
    const bool stream = body.is_object() && body.value("stream", false);
    const std::string reply = fake->responder ? fake->responder(body) : fake->reply;
    json usage = {{"prompt_tokens", 21},
                  {"completion_tokens", 9},
                  {"total_tokens", 30},
                  {"prompt_tokens_details", {{"cached_tokens", 4}}}};
    if (fake->responder) {
        const auto in = static_cast<std::int64_t>(body.dump().size() / 4);
        const auto out = static_cast<std::int64_t>(reply.size() / 4);
        usage = {{"prompt_tokens", in},
                 {"completion_tokens", out},
                 {"total_tokens", in + out},
                 {"prompt_tokens_details", {{"cached_tokens", 0}}}};
    }
    if (!stream) {
        json answer = {
            {"id", "chatcmpl-1"},
            {"object", "chat.completion"},
            {"created", 1700000000},
            {"model", model},
            {"choices", json::array({{{"index", 0},
                                      {"message", {{"role", "assistant"}, {"content", reply}}},
                                      {"finish_reason", "stop"},
                                      {"logprobs", nullptr}}})},
            {"usage", usage}};
        c.respond(200, answer.dump(), {{"x-request-id", "req_fake_123"}});
        return;
    }
    c.start_chunked(200, {{"x-request-id", "req_fake_123"}});
    auto chunk = [&](const json& delta, const json& finish) {
        json j = {
            {"id", "chatcmpl-1"},
            {"object", "chat.completion.chunk"},
            {"created", 1700000000},
            {"model", model},
            {"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})},
            {"usage", nullptr}};
        c.chunk("data: " + j.dump() + "\n\n");
    };
    chunk({{"role", "assistant"}, {"content", ""}}, nullptr);
    const auto parts = pieces(reply);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        chunk({{"content", parts[i]}}, nullptr);
        if (i == 0 && mode == FakeMode::truncated_stream) {
            c.close_after();
            return;  // no final chunk: the connection closes mid-stream
        }
        if (i == 0 && mode == FakeMode::stream_error) {
            c.chunk(
                "data: {\"error\":{\"message\":\"The server had an error while processing your "
                "request\",\"type\":\"server_error\"}}\n\n");
            c.end_chunks();
            return;
        }
    }
    chunk(json::object(), "stop");
    c.chunk("data: " +
            json{{"id", "chatcmpl-1"},
                 {"object", "chat.completion.chunk"},
                 {"choices", json::array()},
                 {"usage", usage}}
                .dump() +
            "\n\n");
    c.chunk("data: [DONE]\n\n");
    c.end_chunks();
}

// ---- Anthropic ---------------------------------------------------------------------------

void anthropic_error(FakeConnection& c, int status, const std::string& type,
                     const std::string& message, const Headers& headers = {}) {
    Headers h = headers;
    h.emplace_back("request-id", "req_ant_456");
    c.respond(status,
              json{{"type", "error"},
                   {"error", {{"type", type}, {"message", message}}},
                   {"request_id", "req_ant_456"}}
                  .dump(),
              h);
}

void anthropic_handler(const std::shared_ptr<FakeLlm>& fake, const FakeRequest& r,
                       FakeConnection& c) {
    const FakeMode mode = fake->next();
    if (r.header("x-api-key") != fake->api_key) {
        anthropic_error(c, 401, "authentication_error", "invalid x-api-key");
        return;
    }
    if (r.header("anthropic-version").empty()) {
        anthropic_error(c, 400, "invalid_request_error", "anthropic-version header is required");
        return;
    }
    const json body = json::parse(r.body, nullptr, false);
    if (!body.is_object() || !body.contains("max_tokens")) {
        anthropic_error(c, 400, "invalid_request_error", "max_tokens: Field required");
        return;
    }
    if (common_failure(mode, c)) {
        return;
    }
    switch (mode) {
        case FakeMode::rate_limited:
            return anthropic_error(c, 429, "rate_limit_error",
                                   "Number of requests has exceeded your rate limit",
                                   {{"retry-after", "2"}});
        case FakeMode::rate_limited_ms:
            return anthropic_error(c, 429, "rate_limit_error", "rate limited",
                                   {{"retry-after-ms", "1500"}});
        case FakeMode::rate_limited_reset:
            return anthropic_error(
                c, 429, "rate_limit_error", "Output token rate limit exceeded",
                {{"anthropic-ratelimit-output-tokens-remaining", "0"},
                 {"anthropic-ratelimit-output-tokens-reset", "2030-01-01T00:00:30Z"}});
        case FakeMode::quota:
            return anthropic_error(c, 402, "billing_error", "Your credit balance is too low");
        case FakeMode::server_error:
            return anthropic_error(c, 500, "api_error", "Internal server error");
        case FakeMode::server_error_no_retry:
            return anthropic_error(c, 500, "api_error", "Internal server error",
                                   {{"x-should-retry", "false"}});
        case FakeMode::overloaded:
            return anthropic_error(c, 529, "overloaded_error", "Overloaded");
        case FakeMode::auth:
            return anthropic_error(c, 401, "authentication_error", "invalid x-api-key");
        case FakeMode::unknown_model:
            return anthropic_error(c, 404, "not_found_error", "model: " + body.value("model", ""));
        default:
            break;
    }
    const std::string model = body.value("model", "");
    if (!body.value("stream", false)) {
        json answer = {{"id", "msg_01"},
                       {"type", "message"},
                       {"role", "assistant"},
                       {"model", model},
                       {"content", json::array({{{"type", "text"}, {"text", fake->reply}}})},
                       {"stop_reason", "end_turn"},
                       {"stop_sequence", nullptr},
                       {"usage",
                        {{"input_tokens", 20},
                         {"output_tokens", 9},
                         {"cache_read_input_tokens", 5},
                         {"cache_creation_input_tokens", 0}}}};
        c.respond(200, answer.dump(), {{"request-id", "req_ant_456"}});
        return;
    }
    c.start_chunked(200, {{"request-id", "req_ant_456"}});
    auto event = [&](const std::string& name, const json& data) {
        c.chunk("event: " + name + "\ndata: " + data.dump() + "\n\n");
    };
    event("message_start",
          {{"type", "message_start"},
           {"message",
            {{"id", "msg_01"},
             {"type", "message"},
             {"role", "assistant"},
             {"model", model},
             {"content", json::array()},
             {"stop_reason", nullptr},
             {"usage",
              {{"input_tokens", 20}, {"output_tokens", 1}, {"cache_read_input_tokens", 5}}}}}});
    event("content_block_start", {{"type", "content_block_start"},
                                  {"index", 0},
                                  {"content_block", {{"type", "text"}, {"text", ""}}}});
    c.chunk("event: ping\ndata: {\"type\": \"ping\"}\n\n");
    const auto parts = pieces(fake->reply);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        event("content_block_delta", {{"type", "content_block_delta"},
                                      {"index", 0},
                                      {"delta", {{"type", "text_delta"}, {"text", parts[i]}}}});
        if (i == 0 && mode == FakeMode::truncated_stream) {
            c.close_after();
            return;
        }
        if (i == 0 && mode == FakeMode::stream_error) {
            event("error", {{"type", "error"},
                            {"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}});
            c.end_chunks();
            return;
        }
    }
    event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}});
    event("message_delta", {{"type", "message_delta"},
                            {"delta", {{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
                            {"usage", {{"output_tokens", 9}}}});
    event("message_stop", {{"type", "message_stop"}});
    c.end_chunks();
}

// ---- Gemini ------------------------------------------------------------------------------

void gemini_error(FakeConnection& c, int status, const std::string& rpc, const std::string& message,
                  json details = json::array()) {
    c.respond(
        status,
        json{{"error",
              {{"code", status}, {"message", message}, {"status", rpc}, {"details", details}}}}
            .dump());
}

void gemini_handler(const std::shared_ptr<FakeLlm>& fake, const FakeRequest& r, FakeConnection& c) {
    const FakeMode mode = fake->next();
    if (r.header("x-goog-api-key") != fake->api_key) {
        gemini_error(c, 403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers");
        return;
    }
    if (common_failure(mode, c)) {
        return;
    }
    switch (mode) {
        case FakeMode::rate_limited:
        case FakeMode::rate_limited_ms:
        case FakeMode::rate_limited_reset:
            return gemini_error(
                c, 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).",
                json::array(
                    {{{"@type", "type.googleapis.com/google.rpc.QuotaFailure"},
                      {"violations",
                       json::array({{{"quotaMetric", "generate_content_free_tier_requests"}}})}},
                     {{"@type", "type.googleapis.com/google.rpc.RetryInfo"},
                      {"retryDelay", "53s"}}}));
        case FakeMode::quota:
            return gemini_error(c, 402, "RESOURCE_EXHAUSTED", "Your prepaid credits are exhausted");
        case FakeMode::server_error:
        case FakeMode::server_error_no_retry:
            return gemini_error(c, 500, "INTERNAL", "An internal error has occurred");
        case FakeMode::overloaded:
            return gemini_error(c, 503, "UNAVAILABLE",
                                "The model is overloaded. Please try again later.");
        case FakeMode::auth:
            return gemini_error(c, 403, "PERMISSION_DENIED", "API key not valid");
        case FakeMode::unknown_model:
            return gemini_error(c, 404, "NOT_FOUND",
                                "models/x is not found for API version v1beta");
        default:
            break;
    }
    const bool stream =
        r.path.find(":streamGenerateContent") != std::string::npos && r.query_param("alt") == "sse";
    auto response = [&](const std::string& text, const std::string& finish, bool with_usage) {
        json candidate = {
            {"content", {{"role", "model"}, {"parts", json::array({{{"text", text}}})}}},
            {"index", 0}};
        if (!finish.empty()) {
            candidate["finishReason"] = finish;
        }
        json j = {{"candidates", json::array({candidate})},
                  {"modelVersion", "gemini-2.5-flash"},
                  {"responseId", "resp-1"}};
        if (with_usage) {
            j["usageMetadata"] = {{"promptTokenCount", 22},
                                  {"candidatesTokenCount", 9},
                                  {"thoughtsTokenCount", 3},
                                  {"totalTokenCount", 34}};
        }
        return j;
    };
    if (!stream) {
        c.respond(200, response(fake->reply, "STOP", true).dump());
        return;
    }
    c.start_chunked(200, {});
    const auto parts = pieces(fake->reply);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const bool last = i + 1 == parts.size();
        c.chunk("data: " + response(parts[i], last ? "STOP" : "", last).dump() + "\r\n\r\n");
        if (i == 0 && mode == FakeMode::truncated_stream) {
            c.close_after();
            return;
        }
        if (i == 0 && mode == FakeMode::stream_error) {
            c.chunk("data: " +
                    json{{"error",
                          {{"code", 500}, {"message", "Internal error"}, {"status", "INTERNAL"}}}}
                        .dump() +
                    "\r\n\r\n");
            c.end_chunks();
            return;
        }
    }
    c.end_chunks();
}

}  // namespace

void install_openai(FakeHttpServer& server, std::shared_ptr<FakeLlm> fake, bool compatible) {
    server.route("POST", "/v1/chat/completions",
                 [fake, compatible](const FakeRequest& r, FakeConnection& c) {
                     openai_handler(fake, compatible, r, c);
                 });
    server.route("GET", "/v1/models", [fake, compatible](const FakeRequest& r, FakeConnection& c) {
        if (!fake->api_key.empty() && r.header("authorization") != "Bearer " + fake->api_key) {
            openai_error(c, 401, "Incorrect API key provided", "invalid_request_error",
                         "invalid_api_key", compatible);
            return;
        }
        c.respond(
            200,
            R"({"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1,"owned_by":"openai"},)"
            R"({"id":"llama3.1:8b","object":"model","created":1,"owned_by":"library"}]})");
    });
}

void install_anthropic(FakeHttpServer& server, std::shared_ptr<FakeLlm> fake) {
    server.route("POST", "/v1/messages", [fake](const FakeRequest& r, FakeConnection& c) {
        anthropic_handler(fake, r, c);
    });
    server.route("GET", "/v1/models", [fake](const FakeRequest& r, FakeConnection& c) {
        if (r.header("x-api-key") != fake->api_key) {
            anthropic_error(c, 401, "authentication_error", "invalid x-api-key");
            return;
        }
        c.respond(200, R"({"data":[{"type":"model","id":"claude-haiku-4-5"}],"has_more":false})");
    });
}

void install_gemini(FakeHttpServer& server, std::shared_ptr<FakeLlm> fake) {
    server.route("GET", "/v1beta/models", [fake](const FakeRequest& r, FakeConnection& c) {
        if (r.header("x-goog-api-key") != fake->api_key) {
            gemini_error(c, 403, "PERMISSION_DENIED", "API key not valid");
            return;
        }
        c.respond(
            200,
            R"({"models":[{"name":"models/gemini-2.5-flash","displayName":"Gemini 2.5 Flash"}]})");
    });
    server.route("POST", "/v1beta/models/",
                 [fake](const FakeRequest& r, FakeConnection& c) { gemini_handler(fake, r, c); });
}

}  // namespace sota::test

namespace sota::test {

FakeMode FakeSerp::next() {
    std::lock_guard lock(mutex);
    if (script.empty()) {
        return FakeMode::ok;
    }
    const FakeMode m = script.front();
    script.pop_front();
    return m;
}

namespace {

json serper_answer(const FakeSerp& fake, const json& query) {
    const std::string q = query.value("q", "");
    const int page = query.value("page", 1);
    json organic = json::array();
    for (int i = 1; i <= 5; ++i) {
        const int position = (page - 1) * 5 + i;
        organic.push_back(
            {{"title", q + " guide " + std::to_string(position)},
             {"link",
              (fake.sites.empty() ? fake.site
                                  : fake.sites[(static_cast<std::size_t>(position) + q.size()) %
                                               fake.sites.size()]) +
                  "/article/" + std::to_string(position)},
             {"snippet", "Everything about " + q + ", part " + std::to_string(position) + "."},
             {"position", position}});
    }
    json j = {{"searchParameters",
               {{"q", q},
                {"gl", query.value("gl", "us")},
                {"hl", query.value("hl", "en")},
                {"type", "search"},
                {"engine", "google"}}},
              {"organic", organic},
              {"peopleAlsoAsk", json::array({{{"question", "What is the best " + q + "?"},
                                              {"snippet", "It depends."},
                                              {"title", "Q"},
                                              {"link", fake.site + "/faq"}},
                                             {{"question", "How much does a " + q + " cost?"},
                                              {"snippet", "About $100."},
                                              {"title", "Q2"},
                                              {"link", fake.site + "/faq2"}}})},
              {"relatedSearches", json::array({{{"query", q + " for beginners"}},
                                               {{"query", q + " vs manual"}},
                                               {{"query", "cheap " + q}}})},
              {"credits", 1}};
    if (page == 1) {
        j["answerBox"] = {{"title", q},
                          {"snippet", "A short answer about " + q + "."},
                          {"link", fake.site + "/answer"}};
    }
    return j;
}

}  // namespace

void install_serper(FakeHttpServer& server, std::shared_ptr<FakeSerp> fake) {
    server.route("POST", "/search", [fake](const FakeRequest& r, FakeConnection& c) {
        const FakeMode mode = fake->next();
        if (r.header("x-api-key") != fake->api_key) {
            c.respond(403, R"({"message":"Unauthorized.","statusCode":403})");
            return;
        }
        if (common_failure(mode, c)) {
            return;
        }
        switch (mode) {
            case FakeMode::quota:
                c.respond(400, R"({"message":"Not enough credits","statusCode":400})");
                return;
            case FakeMode::rate_limited:
                c.respond(429, R"({"message":"Too many requests","statusCode":429})",
                          {{"retry-after", "2"}});
                return;
            case FakeMode::server_error:
                c.respond(500, R"({"message":"Internal error","statusCode":500})");
                return;
            default:
                break;
        }
        const json body = json::parse(r.body, nullptr, false);
        if (body.is_array()) {
            json out = json::array();
            for (const auto& q : body) {
                out.push_back(serper_answer(*fake, q));
            }
            c.respond(200, out.dump());
            return;
        }
        if (!body.is_object() || body.value("q", "").empty()) {
            c.respond(400, R"({"message":"Missing query parameter","statusCode":400})");
            return;
        }
        c.respond(200, serper_answer(*fake, body).dump());
    });
}

}  // namespace sota::test
