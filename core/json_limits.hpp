#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "core/expected.hpp"

namespace sota::core {

/// The deepest nesting of arrays and objects parse_json() (core/text.hpp) and read_json()
/// read (docs/protocol.md): deeper documents are refused, whichever parser reads them, because
/// copying, comparing, writing or converting a nlohmann::json recurses once per level and
/// would overflow a stack (a fiber's stack is small). A workflow, a job or a model's
/// structured answer is a few levels deep. parse_json() gives a discarded value past it.
inline constexpr std::size_t k_max_json_depth = 128;

/// parse_json() with the reason for a refusal: ErrorKind::usage, code "json.too_deep" (nested
/// deeper than k_max_json_depth) or "json.invalid" (not JSON). Thread-safe.
Expected<nlohmann::json> read_json(std::string_view text);

/// How deeply `text` nests arrays and objects, counted without parsing (brackets in strings
/// do not count), stopping once past `limit`. One pass over the bytes.
std::size_t json_depth(std::string_view text, std::size_t limit);

}  // namespace sota::core
