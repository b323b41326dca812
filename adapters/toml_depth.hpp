#pragma once

#include <cstddef>
#include <string_view>

namespace sota::adapters {

/// An upper bound on how deeply a TOML text nests tables and arrays, counted without parsing:
/// per statement, the table header's depth plus the dots of its dotted keys plus its bracket
/// nesting (text in strings and comments does not count; a dot between digits is a number's).
/// toml++ limits inline nesting only (256), not dotted keys, and its tables are freed,
/// copied and printed recursively: a file with a key of 100,000 parts overflows the stack.
/// Stops counting once past `limit`. One pass over the bytes.
std::size_t toml_depth(std::string_view text, std::size_t limit);

}  // namespace sota::adapters
