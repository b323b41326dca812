#pragma once

#include "core/llm/http_provider.hpp"

namespace sota::core::llm {

/// Anthropic Messages API: `x-api-key` and `anthropic-version` headers, `system` outside the
/// messages, required `max_tokens`, named SSE events (message_start, content_block_delta,
/// message_delta, message_stop; `ping` skipped; `error` after the 200 is a retryable failure).
class AnthropicProvider final : public HttpProvider {
  public:
    using HttpProvider::HttpProvider;

    ProviderKind kind() const override { return ProviderKind::anthropic; }

    /// The default for the required max_tokens when a request sets none.
    static constexpr int k_default_max_tokens = 8192;

  protected:
    HttpRequest build(const Request& request, bool stream) const override;
    Expected<Response> parse(const HttpResponse& response) const override;
    void on_event(const SseEvent& event, StreamState& state) const override;
    FinishReason normalize_finish(std::string_view raw) const override;
};

}  // namespace sota::core::llm
