#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "core/expected.hpp"
#include "core/llm/llm.hpp"

namespace sota::core::pipeline {

/// The first way `value` breaks `schema`, as "$.path: problem", or "" if it follows it.
/// Supports the JSON Schema subset structured output uses: type (one or a list), properties,
/// required, additionalProperties: false, items, enum, minItems/maxItems, minLength/maxLength,
/// minimum/maximum.
std::string schema_problem(const nlohmann::json& value, const nlohmann::json& schema);

/// The JSON in a model's answer: the text itself, or inside a ```json fence, or from the first
/// '{' to the last '}'. Nothing if none of those parses.
std::optional<nlohmann::json> extract_json(const std::string& text);

/// A structured answer and what it took.
struct StructuredAnswer {
    nlohmann::json value;
    int attempts = 1;  ///< 1 + the answers refused for not following the schema
};

/// Asks for an answer following `schema` (sent as the request's output_schema, which providers
/// with structured output enforce), checks it, and while it does not parse or follow the schema
/// asks again with the problem fed back, at most `retries` more times. The last problem is the
/// error (ErrorKind::provider, "llm.invalid_structured") if every answer was wrong.
Expected<StructuredAnswer> complete_structured(
    const std::function<Expected<llm::Response>(llm::Request)>& complete, llm::Request request,
    const nlohmann::json& schema, int retries);

}  // namespace sota::core::pipeline
