#pragma once

#include <mutex>

#include "core/llm/llm.hpp"
#include "core/sse.hpp"

namespace sota::core::llm {

/// What a streaming call has gathered so far. Owned by one call; touched only from the HTTP
/// client's callback thread.
struct StreamState {
    SseParser parser;
    std::string text;
    Usage usage;
    std::string raw_finish;
    std::string model;
    std::string request_id;
    bool finished = false;       ///< the provider's end-of-stream marker (or final chunk) was seen
    std::optional<Error> error;  ///< an error event after the 200
    std::string raw;             ///< the first bytes, to classify a non-2xx answer
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::optional<std::chrono::milliseconds> first_token;
    std::function<void(std::string_view)> on_text;

    void add_text(std::string_view piece);
};

/// Shared machinery of the HTTP providers: send, stream through the SSE parser, classify errors.
class HttpProvider : public Provider {
  public:
    HttpProvider(HttpClient& http, Endpoint endpoint, std::shared_ptr<const ModelQuirks> quirks)
        : m_http(http), m_endpoint(std::move(endpoint)), m_quirks(std::move(quirks)) {}

    void complete(Request request, Callback done) final;

  protected:
    /// The HTTP request for a call (URL, auth, body); `stream` says whether to ask for SSE.
    virtual HttpRequest build(const Request& request, bool stream) const = 0;
    /// Reads a whole (non-streamed) 2xx answer.
    virtual Expected<Response> parse(const HttpResponse& response) const = 0;
    /// Applies one SSE event of a streamed answer.
    virtual void on_event(const SseEvent& event, StreamState& state) const = 0;
    /// Maps the provider's finish word onto FinishReason.
    virtual FinishReason normalize_finish(std::string_view raw) const = 0;

    ModelQuirk quirk_for(std::string_view model) const;
    const Endpoint& endpoint() const { return m_endpoint; }
    HttpRequest base_request(std::string url, bool stream) const;

  private:
    HttpClient& m_http;
    Endpoint m_endpoint;
    std::shared_ptr<const ModelQuirks> m_quirks;
};

/// Reads an integer field that may be absent or null.
std::int64_t int_field(const nlohmann::json& j, const char* key);

/// Name used in the quirk table for a provider kind.
const char* quirk_name(ProviderKind kind);

}  // namespace sota::core::llm
