#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace sota::core::llm {

/// How a model deviates from its provider's usual request shape.
struct ModelQuirk {
    std::string provider;             ///< "openai", "openai_compatible", "anthropic", "gemini"
    std::vector<std::string> models;  ///< glob patterns ('*' = any run of characters)
    std::vector<std::string> omit;    ///< request fields to leave out ("temperature", "top_p")
    std::string max_tokens_field;     ///< OpenAI family: "max_tokens" or "max_completion_tokens"

    bool omits(std::string_view field) const;
};

/// The quirk table: data (data/model_quirks.json, built in), not code.
class ModelQuirks {
  public:
    /// Parses the JSON table; errors name the entry.
    static Expected<ModelQuirks> parse(std::string_view json_text);

    /// The built-in table shipped with sota.
    static std::shared_ptr<const ModelQuirks> built_in();

    /// The first entry for this provider whose pattern matches the model, or an empty quirk.
    ModelQuirk find(std::string_view provider, std::string_view model) const;

  private:
    std::vector<ModelQuirk> m_quirks;
};

/// Glob match with '*' only.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace sota::core::llm
