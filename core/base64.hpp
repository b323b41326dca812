#pragma once

#include <string>
#include <string_view>

namespace sota::core {

/// Standard base64 with padding (RFC 4648), as HTTP Basic auth needs.
std::string base64_encode(std::string_view bytes);

}  // namespace sota::core
