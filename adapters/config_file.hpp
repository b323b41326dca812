#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/config.hpp"

namespace sota::adapters {

/// Applies every key of a TOML config file to `config` as `layer`, recording "FILE:LINE" as each
/// value's origin. A missing file is not an error. Syntax errors, unknown keys and bad values are
/// refused with the file, line and key in the message.
core::Status load_config_file(const std::filesystem::path& file, core::Layer layer,
                              core::Config& config);

/// Same as load_config_file but from text, naming `source` in messages (used for checks).
core::Status load_config_text(std::string_view text, const std::string& source, core::Layer layer,
                              core::Config& config);

/// Sets one key in a TOML file in place: the key's line is rewritten (keeping its trailing
/// comment), or the key is added to its table (created if needed). Every other line, comment and
/// blank line is kept. The value is checked first, the whole edited file is checked again, and
/// the file is replaced atomically; nothing is written if any check fails.
core::Status set_config_file_key(const std::filesystem::path& file, std::string_view key,
                                 std::string_view value_text);

/// Removes one key's line from a TOML file, keeping everything else. Removing a key that is not
/// in the file succeeds and changes nothing.
core::Status unset_config_file_key(const std::filesystem::path& file, std::string_view key);

}  // namespace sota::adapters
