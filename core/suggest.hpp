#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sota::core {

/// Edit distance between two strings (byte-wise; adjacent swaps count as one edit).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, if one is close enough to be a likely typo
/// (distance at most a third of the word's length, minimum 1, maximum 3) or shares its prefix.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace sota::core
