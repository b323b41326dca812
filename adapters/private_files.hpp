#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace sota::adapters {

/// Creates a directory (and parents) owned by this user with mode 0700; an existing one must be
/// owned by this user and not writable by others, else a clear error names the fix.
core::Status ensure_private_dir(const std::filesystem::path& dir);

/// Fails unless the file is owned by this user and has no group/other permission bits; the
/// message names the file, its mode and the `chmod 600` fix. A missing file is not an error.
core::Status check_private_file(const std::filesystem::path& file);

/// How far a write must get before it counts as done.
enum class Durability {
    disk,     ///< flushed to the disk (fsync): survives a power cut (settings, keys)
    process,  ///< handed to the OS: survives the process dying, as the job database does
};

/// Writes `content` to a temporary file beside `file` with `mode` from the start (never wider),
/// flushes it as `durability` says and renames it over `file`, so readers see the old or the new
/// whole file.
core::Status write_file_atomically(const std::filesystem::path& file, std::string_view content,
                                   unsigned mode, Durability durability = Durability::disk);

/// Reads a whole file. A missing file is ErrorKind::not_found.
core::Expected<std::string> read_file(const std::filesystem::path& file);

}  // namespace sota::adapters
