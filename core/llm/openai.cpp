#include "core/llm/openai.hpp"

#include <simdjson.h>

#include <optional>

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

/// `object[key]` as a token count, whatever JSON number type it came as (0 if it is none).
std::int64_t count_at(simdjson::dom::object object, const char* key) {
    simdjson::dom::element e;
    if (object[key].get(e)) {
        return 0;
    }
    std::int64_t i = 0;
    if (!e.get_int64().get(i)) {
        return i;
    }
    std::uint64_t u = 0;
    if (!e.get_uint64().get(u)) {
        return static_cast<std::int64_t>(u);
    }
    double d = 0;
    if (!e.get_double().get(d)) {
        return static_cast<std::int64_t>(d);
    }
    return 0;
}

/// `object[key]` as text, if it is a string.
std::optional<std::string_view> text_at(simdjson::dom::object object, const char* key) {
    std::string_view v;
    if (object[key].get_string().get(v)) {
        return std::nullopt;
    }
    return v;
}

}  // namespace

HttpRequest OpenAiProvider::build(const Request& request, bool stream) const {
    const ModelQuirk quirk = quirk_for(request.model);
    json body;
    body["model"] = request.model;
    // Messages are built member by member: a braced list first builds a two-element array per
    // member, which for every request of a busy daemon added up.
    json& messages = body["messages"];
    messages = json::array();
    auto add = [&messages](const std::string& role, const std::string& content) {
        json& m = messages.emplace_back(json::object());
        m["role"] = role;
        m["content"] = content;
    };
    if (!request.system.empty()) {
        add("system", request.system);
    }
    for (const auto& m : request.messages) {
        add(m.role, m.content);
    }
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
    // dump_json: the prompts are kilobytes, written in runs rather than a character at a time.
    http.body = dump_json(body);
    return http;
}

// A chat completion is read with simdjson: the whole body is still checked to be JSON, in one
// pass that allocates nothing per value. nlohmann's parser (even its SAX interface) went through
// the body a character at a time, which showed for long articles and in a daemon reading
// thousands of answers a minute.
Expected<Response> OpenAiProvider::parse(const HttpResponse& response) const {
    thread_local simdjson::dom::parser parser;  // keeps its buffers for the next answer
    simdjson::dom::object top;
    if (parser.parse(response.body).get_object().get(top)) {
        return fail(malformed_response(m_kind, "the body is not JSON", response));
    }
    simdjson::dom::array choices;
    simdjson::dom::object choice;
    if (top["choices"].get_array().get(choices) || choices.at(0).get_object().get(choice)) {
        return fail(malformed_response(m_kind, "no choices in the answer", response));
    }
    Response out;
    std::string refusal;
    simdjson::dom::object message;
    if (!choice["message"].get_object().get(message)) {
        out.text = text_at(message, "content").value_or("");
        refusal = text_at(message, "refusal").value_or("");
    }
    if (out.text.empty() && !refusal.empty()) {
        out.text = std::move(refusal);
        out.raw_finish_reason = "refusal";
    }
    if (out.raw_finish_reason.empty()) {
        out.raw_finish_reason = text_at(choice, "finish_reason").value_or("");
    }
    out.finish = out.raw_finish_reason == "refusal" ? FinishReason::refusal
                                                    : normalize_finish(out.raw_finish_reason);
    simdjson::dom::object usage;
    if (!top["usage"].get_object().get(usage)) {
        out.usage.input_tokens = count_at(usage, "prompt_tokens");
        out.usage.output_tokens = count_at(usage, "completion_tokens");
        simdjson::dom::object details;
        if (!usage["prompt_tokens_details"].get_object().get(details)) {
            out.usage.cached_input_tokens = count_at(details, "cached_tokens");
        }
        if (!usage["completion_tokens_details"].get_object().get(details)) {
            out.usage.reasoning_tokens = count_at(details, "reasoning_tokens");
        }
    }
    out.model = text_at(top, "model").value_or("");
    return out;
}

void OpenAiProvider::on_event(const SseEvent& event, StreamState& state) const {
    if (event.data == "[DONE]") {
        state.finished = true;
        return;
    }
    const json j = core::parse_json(event.data);
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
