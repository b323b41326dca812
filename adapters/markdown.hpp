#pragma once

#include <string>

namespace sota::adapters {

/// Renders Markdown (CommonMark with GitHub's tables, strikethrough and autolinks) to an HTML
/// fragment with cmark-gfm. Raw HTML in the input is escaped, not passed through. Thread-safe.
std::string render_markdown(const std::string& markdown);

}  // namespace sota::adapters
