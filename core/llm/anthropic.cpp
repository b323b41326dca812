#include "core/llm/anthropic.hpp"
#include "core/text.hpp"

namespace sota::core::llm {

using nlohmann::json;

FinishReason AnthropicProvider::normalize_finish(std::string_view raw) const {
    if (raw == "end_turn" || raw == "stop_sequence") {
        return FinishReason::stop;
    }
    if (raw == "max_tokens" || raw == "model_context_window_exceeded") {
        return FinishReason::length;
    }
    if (raw == "tool_use") {
        return FinishReason::tool_use;
    }
    if (raw == "refusal") {
        return FinishReason::refusal;
    }
    return FinishReason::other;
}

HttpRequest AnthropicProvider::build(const Request& request, bool stream) const {
    const ModelQuirk quirk = quirk_for(request.model);
    json body;
    body["model"] = request.model;
    body["max_tokens"] = request.max_output_tokens.value_or(k_default_max_tokens);
    if (!request.system.empty()) {
        body["system"] = request.system;
    }
    json messages = json::array();
    for (const auto& m : request.messages) {
        messages.push_back({{"role", m.role}, {"content", m.content}});
    }
    body["messages"] = std::move(messages);
    if (request.temperature && !quirk.omits("temperature")) {
        body["temperature"] = *request.temperature;
    }
    if (request.output_schema) {
        body["output_config"] = {
            {"format", {{"type", "json_schema"}, {"schema", *request.output_schema}}}};
    }
    if (stream) {
        body["stream"] = true;
    }
    const std::string base = without_trailing_slashes(endpoint().base_url);
    HttpRequest http = base_request(base + "/messages", stream);
    http.headers.emplace_back("x-api-key", endpoint().api_key);
    http.headers.emplace_back("anthropic-version", "2023-06-01");
    http.body = body.dump();
    return http;
}

namespace {

void read_usage(const json& usage, Usage& out) {
    if (!usage.is_object()) {
        return;
    }
    const std::int64_t cache_create = int_field(usage, "cache_creation_input_tokens");
    const std::int64_t cache_read = int_field(usage, "cache_read_input_tokens");
    if (usage.contains("input_tokens")) {
        out.input_tokens = int_field(usage, "input_tokens") + cache_create + cache_read;
        out.cached_input_tokens = cache_read;
    }
    if (usage.contains("output_tokens")) {
        out.output_tokens = int_field(usage, "output_tokens");  // cumulative in message_delta
    }
}

}  // namespace

Expected<Response> AnthropicProvider::parse(const HttpResponse& response) const {
    const json j = core::parse_json(response.body);
    if (j.is_discarded() || !j.is_object() || !j.contains("content") || !j["content"].is_array()) {
        return fail(malformed_response(kind(), "no content blocks in the answer", response));
    }
    Response out;
    for (const auto& block : j["content"]) {
        if (block.value("type", "") == "text") {
            out.text += block.value("text", "");
        }
    }
    if (j.contains("stop_reason") && j["stop_reason"].is_string()) {
        out.raw_finish_reason = j["stop_reason"].get<std::string>();
    }
    out.finish = normalize_finish(out.raw_finish_reason);
    read_usage(j.value("usage", json::object()), out.usage);
    out.model = j.value("model", "");
    out.request_id = response.header("request-id").value_or("");
    return out;
}

void AnthropicProvider::on_event(const SseEvent& event, StreamState& state) const {
    if (event.event == "ping") {
        return;
    }
    const json j = core::parse_json(event.data);
    if (j.is_discarded()) {
        state.error = Error{ErrorKind::network, "provider.malformed_stream",
                            "Anthropic sent a stream event that is not JSON", true};
        return;
    }
    const std::string type = event.event.empty() ? j.value("type", "") : event.event;
    if (type == "error") {
        const json e = j.value("error", json::object());
        const std::string etype = e.value("type", "error");
        state.error =
            Error{ErrorKind::network, "provider.stream_error",
                  "Anthropic reported " + etype + " mid-stream: " + e.value("message", ""), true};
        state.error->detail = event.data;
        return;
    }
    if (type == "message_start") {
        const json message = j.value("message", json::object());
        state.model = message.value("model", "");
        state.request_id = message.value("id", "");
        read_usage(message.value("usage", json::object()), state.usage);
    } else if (type == "content_block_delta") {
        const json delta = j.value("delta", json::object());
        if (delta.value("type", "") == "text_delta") {
            state.add_text(delta.value("text", ""));
        }
    } else if (type == "message_delta") {
        const json delta = j.value("delta", json::object());
        if (delta.contains("stop_reason") && delta["stop_reason"].is_string()) {
            state.raw_finish = delta["stop_reason"].get<std::string>();
        }
        read_usage(j.value("usage", json::object()), state.usage);
    } else if (type == "message_stop") {
        state.finished = true;
    }
}

}  // namespace sota::core::llm
