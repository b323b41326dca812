#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace sota::core {

/// ASCII lower-case copy.
std::string to_lower(std::string_view text);

/// The text without leading and trailing spaces, tabs, carriage returns and newlines.
std::string trim(std::string_view text);

/// A base URL without trailing slashes, ready to have "/path" appended.
std::string without_trailing_slashes(std::string_view url);

/// "2026-11-24T05:48:00Z": a UTC time to the second.
std::string iso8601_utc(std::chrono::system_clock::time_point time);

}  // namespace sota::core
