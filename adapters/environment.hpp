#pragma once

#include <cstdint>
#include <string>

#include "core/paths.hpp"

namespace sota::adapters {

/// A snapshot of this process's environment. If HOME is unset it is filled in from the
/// password database, so that a service manager's bare environment still finds the user's files.
core::EnvMap snapshot_environment();

/// The effective user id.
unsigned current_uid();

/// Whether a process with this pid exists (and may be signalled by us).
bool process_alive(std::int64_t pid);

/// The path of another of sota's programs: beside this executable (installed), else in the
/// build tree's `build_dir` next to this executable's directory, else `name` (found on PATH).
std::string sibling_program(const std::string& name, const std::string& build_dir);

}  // namespace sota::adapters
