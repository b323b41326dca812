#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sota::core {

/// Standard base64 with padding (RFC 4648), as HTTP Basic auth needs.
std::string base64_encode(std::string_view bytes);

/// Decodes standard or URL-safe base64, padded or not; nothing if the text is not base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sota::core
