#pragma once

#include "core/paths.hpp"

namespace sota::adapters {

/// A snapshot of this process's environment. If HOME is unset it is filled in from the
/// password database, so that a service manager's bare environment still finds the user's files.
core::EnvMap snapshot_environment();

/// The effective user id.
unsigned current_uid();

}  // namespace sota::adapters
