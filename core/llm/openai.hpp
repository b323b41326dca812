#pragma once

#include "core/llm/http_provider.hpp"

namespace sota::core::llm {

/// OpenAI Chat Completions, and OpenAI-compatible servers (Ollama, llama.cpp, vLLM) at another
/// base URL: `Authorization: Bearer` when a key is set, SSE ending in `data: [DONE]`, usage from
/// the final `choices: []` chunk, and the error shapes of all of them (integer codes, vLLM's flat
/// body). Which max-tokens field to send and which fields to drop come from the quirk table.
class OpenAiProvider final : public HttpProvider {
  public:
    OpenAiProvider(ProviderKind kind, HttpClient& http, Endpoint endpoint,
                   std::shared_ptr<const ModelQuirks> quirks)
        : HttpProvider(http, std::move(endpoint), std::move(quirks)), m_kind(kind) {}

    ProviderKind kind() const override;

  protected:
    HttpRequest build(const Request& request, bool stream) const override;
    Expected<Response> parse(const HttpResponse& response) const override;
    void on_event(const SseEvent& event, StreamState& state) const override;
    FinishReason normalize_finish(std::string_view raw) const override;

  private:
    ProviderKind m_kind;
};

}  // namespace sota::core::llm
