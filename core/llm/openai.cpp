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

namespace {

/// Reads a chat completion as it is parsed (nlohmann's SAX interface), keeping only what a
/// Response needs: no tree of the whole answer is built, which for short answers was most of the
/// cost of reading one.
class CompletionReader {
  public:
    using string_t = json::string_t;

    bool null() { return scalar(); }
    bool boolean(bool) { return scalar(); }
    bool number_integer(json::number_integer_t v) { return number(static_cast<std::int64_t>(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return number(static_cast<std::int64_t>(v)); }
    bool number_float(json::number_float_t v, const string_t&) {
        return number(static_cast<std::int64_t>(v));
    }
    bool binary(json::binary_t&) { return scalar(); }
    bool string(string_t& v) {
        if (in_message()) {
            if (field() == "content") {
                text = std::move(v);
            } else if (field() == "refusal") {
                refusal = std::move(v);
            }
        } else if (in_choice() && field() == "finish_reason") {
            finish = std::move(v);
        } else if (m_stack.size() == 1 && field() == "model") {
            model = std::move(v);
        }
        return scalar();
    }
    bool start_object(std::size_t) {
        if (m_stack.empty()) {
            object = true;
        } else if (m_stack.size() == 2 && choices_here() && m_stack[1].index == 0) {
            has_choice = true;
        }
        m_stack.push_back({false, {}, 0});
        return true;
    }
    bool key(string_t& k) {
        m_stack.back().key = k;
        return true;
    }
    bool end_object() { return end(); }
    bool start_array(std::size_t) {
        if (m_stack.size() == 1 && field() == "choices") {
            has_choices = true;
        }
        m_stack.push_back({true, {}, 0});
        return true;
    }
    bool end_array() { return end(); }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
        return false;
    }

    bool object = false;       // the answer is a JSON object
    bool has_choices = false;  // with a "choices" array
    bool has_choice = false;   // whose first element is an object
    std::string text, refusal, finish, model;
    Usage usage;

  private:
    struct Frame {
        bool array;
        std::string key;    // in an object: the current member's name
        std::size_t index;  // in an array: the current element's
    };

    const std::string& field() const { return m_stack.back().key; }
    bool choices_here() const { return m_stack[0].key == "choices" && m_stack[1].array; }
    // Inside choices[0] (an object), or inside its "message" object.
    bool in_choice() const {
        return m_stack.size() == 3 && choices_here() && m_stack[1].index == 0 && !m_stack[2].array;
    }
    bool in_message() const {
        return m_stack.size() == 4 && choices_here() && m_stack[1].index == 0 &&
               !m_stack[2].array && m_stack[2].key == "message" && !m_stack[3].array;
    }
    bool number(std::int64_t v) {
        if (!m_stack.empty() && m_stack[0].key == "usage" && !m_stack.back().array) {
            if (m_stack.size() == 2) {
                if (field() == "prompt_tokens") {
                    usage.input_tokens = v;
                } else if (field() == "completion_tokens") {
                    usage.output_tokens = v;
                }
            } else if (m_stack.size() == 3 && !m_stack[1].array) {
                if (m_stack[1].key == "prompt_tokens_details" && field() == "cached_tokens") {
                    usage.cached_input_tokens = v;
                } else if (m_stack[1].key == "completion_tokens_details" &&
                           field() == "reasoning_tokens") {
                    usage.reasoning_tokens = v;
                }
            }
        }
        return scalar();
    }
    // A value ended: in an array, the next one has the next index.
    bool scalar() {
        if (!m_stack.empty() && m_stack.back().array) {
            ++m_stack.back().index;
        }
        return true;
    }
    bool end() {
        m_stack.pop_back();
        return scalar();
    }

    std::vector<Frame> m_stack;
};

}  // namespace

Expected<Response> OpenAiProvider::parse(const HttpResponse& response) const {
    CompletionReader reader;
    if (!json::sax_parse(response.body, &reader) || !reader.object) {
        return fail(malformed_response(m_kind, "the body is not JSON", response));
    }
    if (!reader.has_choices || !reader.has_choice) {
        return fail(malformed_response(m_kind, "no choices in the answer", response));
    }
    Response out;
    out.text = std::move(reader.text);
    if (out.text.empty() && !reader.refusal.empty()) {
        out.text = std::move(reader.refusal);
        out.raw_finish_reason = "refusal";
    }
    if (out.raw_finish_reason.empty()) {
        out.raw_finish_reason = std::move(reader.finish);
    }
    out.finish = out.raw_finish_reason == "refusal" ? FinishReason::refusal
                                                    : normalize_finish(out.raw_finish_reason);
    out.usage = reader.usage;
    out.model = std::move(reader.model);
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
