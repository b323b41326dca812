#pragma once

#include <chrono>
#include <cstdint>

#include "core/clock.hpp"

namespace sota::adapters {

/// Timestamps are stored as Unix milliseconds.
inline std::int64_t to_ms(core::WallTime t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

inline core::WallTime from_ms(std::int64_t ms) {
    return core::WallTime(std::chrono::milliseconds(ms));
}

}  // namespace sota::adapters
