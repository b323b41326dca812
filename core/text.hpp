#pragma once

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace sota::core {

/// ASCII lower-case copy.
std::string to_lower(std::string_view text);

/// Whether `a` and `b` are the same text but for ASCII case (header names, tokens).
bool equals_ignoring_case(std::string_view a, std::string_view b);

/// The text without leading and trailing spaces, tabs, carriage returns and newlines.
std::string trim(std::string_view text);

/// A base URL without trailing slashes, ready to have "/path" appended.
std::string without_trailing_slashes(std::string_view url);

/// Appends `text` to `out` as a JSON string, quoted and escaped as nlohmann::json::dump()
/// escapes it (UTF-8 kept as it is). Returns false, appending nothing, if `text` is not valid
/// UTF-8. Runs of plain characters are copied whole: prompts are kilobytes long.
bool append_json_string(std::string& out, std::string_view text);

/// The text value.dump(indent) writes (-1: compact; UTF-8 kept as it is), written without the
/// serializer's per-call setup and character-at-a-time escaping: a checkpoint's artifacts hold
/// whole articles. A document with text that is not UTF-8 goes to value.dump(), which refuses
/// it.
std::string dump_json(const nlohmann::json& value, int indent = -1);

/// The document json::parse(text, nullptr, false) reads (discarded when `text` is not JSON),
/// read with simdjson: several times faster than nlohmann's parser, which goes a character at
/// a time. For documents read back from the job database and the daemon's requests. Thread-safe.
nlohmann::json parse_json(std::string_view text);

/// "2026-11-24T05:48:00Z": a UTC time to the second.
std::string iso8601_utc(std::chrono::system_clock::time_point time);

}  // namespace sota::core
