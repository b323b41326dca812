#include "core/llm/anthropic.hpp"
#include "core/llm/gemini.hpp"
#include "core/llm/openai.hpp"

namespace sota::core::llm {

std::unique_ptr<Provider> make_provider(ProviderKind kind, HttpClient& http, Endpoint endpoint,
                                        std::shared_ptr<const ModelQuirks> quirks) {
    switch (kind) {
        case ProviderKind::openai:
        case ProviderKind::openai_compatible:
            return std::make_unique<OpenAiProvider>(kind, http, std::move(endpoint),
                                                    std::move(quirks));
        case ProviderKind::anthropic:
            return std::make_unique<AnthropicProvider>(http, std::move(endpoint),
                                                       std::move(quirks));
        case ProviderKind::gemini:
            return std::make_unique<GeminiProvider>(http, std::move(endpoint), std::move(quirks));
        default:
            return nullptr;
    }
}

}  // namespace sota::core::llm
