#pragma once

#include <string>
#include <string_view>

namespace sota::core {

/// SHA-256 of the bytes, as 64 lower-case hex digits (FIPS 180-4). Used for cache keys and
/// request fingerprints, which must be stable across processes and versions.
std::string sha256_hex(std::string_view bytes);

}  // namespace sota::core
