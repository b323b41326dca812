#pragma once

#include "core/llm/http_provider.hpp"

namespace sota::core::llm {

/// Google Gemini generateContent: `x-goog-api-key` header, `systemInstruction`, roles user/model,
/// `:streamGenerateContent?alt=sse` whose stream simply ends (finished once a candidate carries a
/// finishReason), thought tokens counted as output, and a blocked prompt (no candidates,
/// `promptFeedback.blockReason`) reported as a permanent error.
class GeminiProvider final : public HttpProvider {
  public:
    using HttpProvider::HttpProvider;

    ProviderKind kind() const override { return ProviderKind::gemini; }

  protected:
    HttpRequest build(const Request& request, bool stream) const override;
    Expected<Response> parse(const HttpResponse& response) const override;
    void on_event(const SseEvent& event, StreamState& state) const override;
    FinishReason normalize_finish(std::string_view raw) const override;
};

}  // namespace sota::core::llm
