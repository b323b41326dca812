#pragma once

#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace sota::core {

/// The charset named by a Content-Type header value ("text/html; charset=ISO-8859-1"), lower-cased,
/// or "" if none.
std::string charset_from_content_type(std::string_view content_type);

/// The charset declared in an HTML document's first 2 KiB (<meta charset> or http-equiv), or "".
std::string charset_from_html(std::string_view html);

/// True if the bytes are valid UTF-8.
bool is_valid_utf8(std::string_view bytes);

/// Converts text in `charset` to UTF-8 (iconv). "" or utf-8 passes valid UTF-8 through; invalid
/// UTF-8 with no declared charset is read as windows-1252, the web's de-facto default.
Expected<std::string> to_utf8(std::string_view bytes, std::string_view charset);

}  // namespace sota::core
