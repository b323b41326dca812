#include "core/llm/http_provider.hpp"

#include "core/fiber.hpp"

namespace sota::core::llm {

const char* to_string(FinishReason reason) {
    switch (reason) {
        case FinishReason::stop:
            return "stop";
        case FinishReason::length:
            return "length";
        case FinishReason::content_filter:
            return "content_filter";
        case FinishReason::tool_use:
            return "tool_use";
        case FinishReason::refusal:
            return "refusal";
        case FinishReason::other:
            return "other";
    }
    return "other";
}

const char* quirk_name(ProviderKind kind) {
    switch (kind) {
        case ProviderKind::openai:
            return "openai";
        case ProviderKind::openai_compatible:
            return "openai_compatible";
        case ProviderKind::anthropic:
            return "anthropic";
        case ProviderKind::gemini:
            return "gemini";
        default:
            return "";
    }
}

std::int64_t int_field(const nlohmann::json& j, const char* key) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_number()) {
        return 0;
    }
    return j[key].get<std::int64_t>();
}

void StreamState::add_text(std::string_view piece) {
    if (piece.empty()) {
        return;
    }
    if (!first_token) {
        first_token = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
    }
    text += piece;
    if (on_text) {
        on_text(piece);
    }
}

Expected<Response> Provider::complete_sync(Request request) {
    return await<Expected<Response>>(
        [&](auto done) { complete(std::move(request), std::move(done)); });
}

ModelQuirk HttpProvider::quirk_for(std::string_view model) const {
    return m_quirks ? m_quirks->find(quirk_name(kind()), model) : ModelQuirk{};
}

HttpRequest HttpProvider::base_request(std::string url, bool stream) const {
    HttpRequest r;
    r.method = "POST";
    r.url = std::move(url);
    r.connect_timeout = m_endpoint.connect_timeout;
    r.total_timeout = stream ? std::chrono::milliseconds(0) : m_endpoint.request_timeout;
    // A whole answer is bounded by the total timeout; only streams need an idle limit.
    r.idle_timeout = stream ? m_endpoint.stream_idle_timeout : std::chrono::milliseconds(0);
    r.max_response_bytes = m_endpoint.max_response_bytes;
    r.accept_compressed = false;
    r.headers.emplace_back("Content-Type", "application/json");
    if (stream) {
        r.headers.emplace_back("Accept", "text/event-stream");
    }
    return r;
}

void HttpProvider::complete(Request request, Callback done) {
    const bool stream = static_cast<bool>(request.on_text);
    HttpRequest http = build(request, stream);
    http.cancel = request.cancel;
    const ProviderKind k = kind();
    if (!stream) {
        m_http.send(std::move(http), [this, k, done = std::move(done)](Expected<HttpResponse> r) {
            if (!r) {
                done(fail(r.error()));
                return;
            }
            if (r->status < 200 || r->status >= 300) {
                done(fail(classify_http_error(k, *r, std::chrono::system_clock::now())));
                return;
            }
            auto parsed = parse(*r);
            if (parsed) {
                parsed->rate = rate_info_from_headers(r->headers, std::chrono::system_clock::now());
                parsed->total = r->total;
                parsed->first_token = r->first_byte;
                if (parsed->request_id.empty()) {
                    parsed->request_id =
                        r->header("x-request-id").value_or(r->header("request-id").value_or(""));
                }
            }
            done(std::move(parsed));
        });
        return;
    }
    auto state = std::make_shared<StreamState>();
    state->on_text = std::move(request.on_text);
    http.on_body = [this, state](std::string_view chunk) {
        if (state->raw.size() < 65'536) {
            state->raw.append(chunk.substr(0, 65'536 - state->raw.size()));
        }
        state->parser.feed(chunk, [&](const SseEvent& event) {
            if (!state->error) {
                on_event(event, *state);
            }
        });
        return true;
    };
    m_http.send(
        std::move(http), [this, k, state, done = std::move(done)](Expected<HttpResponse> r) {
            if (!r) {
                Error e = r.error();
                if (!state->text.empty() && e.kind == ErrorKind::network) {
                    e.message += " after " + std::to_string(state->text.size()) +
                                 " characters of streamed text";
                }
                done(fail(std::move(e)));
                return;
            }
            if (r->status < 200 || r->status >= 300) {
                HttpResponse with_body = *r;
                with_body.body = state->raw;
                done(fail(classify_http_error(k, with_body, std::chrono::system_clock::now())));
                return;
            }
            if (state->error) {
                done(fail(*state->error));
                return;
            }
            if (!state->finished) {
                done(fail(ErrorKind::network, "provider.stream_truncated",
                          std::string(display_name(k)) +
                              " ended the stream before its final event, after " +
                              std::to_string(state->text.size()) + " characters",
                          true));
                return;
            }
            Response out;
            out.text = std::move(state->text);
            out.usage = state->usage;
            out.raw_finish_reason = state->raw_finish;
            out.finish = normalize_finish(state->raw_finish);
            out.model = state->model;
            out.request_id =
                state->request_id.empty()
                    ? r->header("x-request-id").value_or(r->header("request-id").value_or(""))
                    : state->request_id;
            out.first_token = state->first_token.value_or(r->first_byte);
            out.total = r->total;
            done(std::move(out));
        });
}

}  // namespace sota::core::llm
