#include "core/llm/gemini.hpp"
#include "core/text.hpp"

namespace sota::core::llm {

using nlohmann::json;

FinishReason GeminiProvider::normalize_finish(std::string_view raw) const {
    if (raw == "STOP") {
        return FinishReason::stop;
    }
    if (raw == "MAX_TOKENS") {
        return FinishReason::length;
    }
    if (raw == "SAFETY" || raw == "RECITATION" || raw == "BLOCKLIST" ||
        raw == "PROHIBITED_CONTENT" || raw == "SPII" || raw == "LANGUAGE") {
        return FinishReason::content_filter;
    }
    return FinishReason::other;
}

HttpRequest GeminiProvider::build(const Request& request, bool stream) const {
    const ModelQuirk quirk = quirk_for(request.model);
    json body;
    json contents = json::array();
    for (const auto& m : request.messages) {
        contents.push_back({{"role", m.role == "assistant" ? "model" : "user"},
                            {"parts", json::array({{{"text", m.content}}})}});
    }
    body["contents"] = std::move(contents);
    if (!request.system.empty()) {
        body["systemInstruction"] = {{"parts", json::array({{{"text", request.system}}})}};
    }
    json config = json::object();
    if (request.temperature && !quirk.omits("temperature")) {
        config["temperature"] = *request.temperature;
    }
    if (request.max_output_tokens) {
        config["maxOutputTokens"] = *request.max_output_tokens;
    }
    if (request.output_schema) {
        config["responseMimeType"] = "application/json";
        config["responseJsonSchema"] = *request.output_schema;
    }
    if (!config.empty()) {
        body["generationConfig"] = std::move(config);
    }
    const std::string base = without_trailing_slashes(endpoint().base_url);
    const std::string url = base + "/models/" + request.model +
                            (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
    HttpRequest http = base_request(url, stream);
    http.headers.emplace_back("x-goog-api-key", endpoint().api_key);
    http.body = body.dump();
    return http;
}

namespace {

// Applies one GenerateContentResponse (whole, or one chunk of a stream).
// Returns an error for a blocked prompt.
std::optional<Error> apply_chunk(const json& j, std::string& text, std::string& finish,
                                 Usage& usage, std::string& model,
                                 const std::function<void(std::string_view)>& add_text) {
    if (j.contains("usageMetadata") && j["usageMetadata"].is_object()) {
        const json& u = j["usageMetadata"];
        usage.input_tokens = int_field(u, "promptTokenCount");
        usage.reasoning_tokens = int_field(u, "thoughtsTokenCount");
        usage.output_tokens = int_field(u, "candidatesTokenCount") + usage.reasoning_tokens;
        usage.cached_input_tokens = int_field(u, "cachedContentTokenCount");
    }
    if (j.contains("modelVersion") && j["modelVersion"].is_string()) {
        model = j["modelVersion"].get<std::string>();
    }
    const bool has_candidates =
        j.contains("candidates") && j["candidates"].is_array() && !j["candidates"].empty();
    if (!has_candidates) {
        if (j.contains("promptFeedback") && j["promptFeedback"].contains("blockReason")) {
            return Error{ErrorKind::provider, "provider.blocked",
                         "Gemini blocked the prompt (" +
                             j["promptFeedback"]["blockReason"].get<std::string>() +
                             "); rephrase the keyword or use another model"};
        }
        return std::nullopt;
    }
    const json& candidate = j["candidates"][0];
    if (candidate.contains("content") && candidate["content"].contains("parts")) {
        for (const auto& part : candidate["content"]["parts"]) {
            if (part.value("thought", false)) {
                continue;
            }
            if (part.contains("text") && part["text"].is_string()) {
                const std::string piece = part["text"].get<std::string>();
                if (add_text) {
                    add_text(piece);
                } else {
                    text += piece;
                }
            }
        }
    }
    if (candidate.contains("finishReason") && candidate["finishReason"].is_string()) {
        finish = candidate["finishReason"].get<std::string>();
    }
    return std::nullopt;
}

}  // namespace

Expected<Response> GeminiProvider::parse(const HttpResponse& response) const {
    const json j = core::parse_json(response.body);
    if (j.is_discarded() || !j.is_object()) {
        return fail(malformed_response(kind(), "the body is not JSON", response));
    }
    Response out;
    if (auto blocked =
            apply_chunk(j, out.text, out.raw_finish_reason, out.usage, out.model, nullptr)) {
        return fail(*blocked);
    }
    out.finish = normalize_finish(out.raw_finish_reason);
    return out;
}

void GeminiProvider::on_event(const SseEvent& event, StreamState& state) const {
    const json j = core::parse_json(event.data);
    if (j.is_discarded()) {
        state.error = Error{ErrorKind::network, "provider.malformed_stream",
                            "Gemini sent a stream event that is not JSON", true};
        return;
    }
    if (j.contains("error")) {
        const json e = j["error"];
        state.error = Error{
            ErrorKind::network, "provider.stream_error",
            "Gemini reported an error mid-stream: " + e.value("message", std::string("unknown")),
            true};
        state.error->detail = event.data;
        return;
    }
    if (auto blocked = apply_chunk(j, state.text, state.raw_finish, state.usage, state.model,
                                   [&state](std::string_view piece) { state.add_text(piece); })) {
        state.error = *blocked;
        return;
    }
    // Gemini's stream has no terminator: a finishReason marks the last chunk.
    if (!state.raw_finish.empty()) {
        state.finished = true;
    }
}

}  // namespace sota::core::llm
