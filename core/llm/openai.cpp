#include "core/llm/openai.hpp"
#include "core/text.hpp"

namespace sota::core::llm {

using nlohmann::json;

ProviderKind OpenAiProvider::kind() const {
    return m_kind;
}

FinishReason OpenAiProvider::normalize_finish(std::string_view raw) const {
    if (raw == "stop") {
        return FinishReason::stop;
    }
    if (raw == "length") {
        return FinishReason::length;
    }
    if (raw == "content_filter") {
        return FinishReason::content_filter;
    }
    if (raw == "tool_calls" || raw == "function_call") {
        return FinishReason::tool_use;
    }
    return FinishReason::other;
}

HttpRequest OpenAiProvider::build(const Request& request, bool stream) const {
    const ModelQuirk quirk = quirk_for(request.model);
    json body;
    body["model"] = request.model;
    json messages = json::array();
    if (!request.system.empty()) {
        messages.push_back({{"role", "system"}, {"content", request.system}});
    }
    for (const auto& m : request.messages) {
        messages.push_back({{"role", m.role}, {"content", m.content}});
    }
    body["messages"] = std::move(messages);
    if (request.temperature && !quirk.omits("temperature")) {
        body["temperature"] = *request.temperature;
    }
    if (request.max_output_tokens) {
        const std::string field =
            quirk.max_tokens_field.empty() ? "max_tokens" : quirk.max_tokens_field;
        body[field] = *request.max_output_tokens;
    }
    if (request.output_schema) {
        body["response_format"] = {{"type", "json_schema"},
                                   {"json_schema",
                                    {{"name", request.schema_name},
                                     {"schema", *request.output_schema},
                                     {"strict", true}}}};
    }
    if (stream) {
        body["stream"] = true;
        body["stream_options"] = {{"include_usage", true}};
    }
    const std::string base = without_trailing_slashes(endpoint().base_url);
    HttpRequest http = base_request(base + "/chat/completions", stream);
    if (!endpoint().api_key.empty()) {
        http.headers.emplace_back("Authorization", "Bearer " + endpoint().api_key);
    }
    http.body = body.dump();
    return http;
}

namespace {

void read_usage(const json& usage, Usage& out) {
    if (!usage.is_object()) {
        return;
    }
    out.input_tokens = int_field(usage, "prompt_tokens");
    out.output_tokens = int_field(usage, "completion_tokens");
    if (usage.contains("prompt_tokens_details")) {
        out.cached_input_tokens = int_field(usage["prompt_tokens_details"], "cached_tokens");
    }
    if (usage.contains("completion_tokens_details")) {
        out.reasoning_tokens = int_field(usage["completion_tokens_details"], "reasoning_tokens");
    }
}

}  // namespace

Expected<Response> OpenAiProvider::parse(const HttpResponse& response) const {
    const json j = json::parse(response.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return fail(malformed_response(m_kind, "the body is not JSON", response));
    }
    if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) {
        return fail(malformed_response(m_kind, "no choices in the answer", response));
    }
    const json& choice = j["choices"][0];
    Response out;
    if (choice.contains("message") && choice["message"].is_object()) {
        const json& message = choice["message"];
        if (message.contains("content") && message["content"].is_string()) {
            out.text = message["content"].get<std::string>();
        }
        if (out.text.empty() && message.contains("refusal") && message["refusal"].is_string()) {
            out.text = message["refusal"].get<std::string>();
            out.raw_finish_reason = "refusal";
        }
    }
    if (out.raw_finish_reason.empty() && choice.contains("finish_reason") &&
        choice["finish_reason"].is_string()) {
        out.raw_finish_reason = choice["finish_reason"].get<std::string>();
    }
    out.finish = out.raw_finish_reason == "refusal" ? FinishReason::refusal
                                                    : normalize_finish(out.raw_finish_reason);
    if (j.contains("usage")) {
        read_usage(j["usage"], out.usage);
    }
    out.model = j.value("model", "");
    return out;
}

void OpenAiProvider::on_event(const SseEvent& event, StreamState& state) const {
    if (event.data == "[DONE]") {
        state.finished = true;
        return;
    }
    const json j = json::parse(event.data, nullptr, false);
    if (j.is_discarded()) {
        state.error = Error{
            ErrorKind::network, "provider.malformed_stream",
            std::string(display_name(m_kind)) + " sent a stream event that is not JSON", true};
        return;
    }
    if (j.contains("error")) {
        const json& e = j["error"];
        const std::string message =
            e.is_object() ? e.value("message", std::string("unknown error")) : e.dump();
        state.error = Error{
            ErrorKind::network, "provider.stream_error",
            std::string(display_name(m_kind)) + " reported an error mid-stream: " + message, true};
        state.error->detail = event.data;
        return;
    }
    if (state.model.empty()) {
        state.model = j.value("model", "");
    }
    if (j.contains("choices") && j["choices"].is_array()) {
        for (const auto& choice : j["choices"]) {
            if (choice.contains("delta") && choice["delta"].is_object()) {
                const json& delta = choice["delta"];
                if (delta.contains("content") && delta["content"].is_string()) {
                    state.add_text(delta["content"].get<std::string>());
                }
            }
            if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
                state.raw_finish = choice["finish_reason"].get<std::string>();
            }
        }
    }
    if (j.contains("usage") && j["usage"].is_object()) {
        read_usage(j["usage"], state.usage);
    }
}

}  // namespace sota::core::llm
