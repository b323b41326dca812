#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/provider_error.hpp"
#include "core/resilience/resilience.hpp"

namespace sota::core::resilience {

/// The services whose calls are governed: openai, anthropic, gemini, openai_compatible, serper,
/// wordpress.
const std::vector<std::string>& governed_services();

/// The policy for one service from the retry.*, breaker.* and rate.* keys (LLM services share
/// breaker.llm.*).
ServicePolicy service_policy(const Config& config, const std::string& service);

/// Sets every governed service's policy on `resilience`.
void configure(Resilience& resilience, const Config& config);

/// One link of llm.fallback.
struct FallbackLink {
    ProviderKind provider;
    std::string model;
};

/// Parses llm.fallback ("anthropic:claude-haiku-4-5, gemini:gemini-2.5-flash"); errors name the
/// bad entry.
Expected<std::vector<FallbackLink>> parse_fallback_chain(const std::string& text);

}  // namespace sota::core::resilience
