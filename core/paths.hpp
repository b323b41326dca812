#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/expected.hpp"

namespace sota::core {

/// A snapshot of the process environment (name -> value).
using EnvMap = std::map<std::string, std::string>;

/// Where sota keeps its files. Computed from the environment only: nothing is created here.
struct Paths {
    std::filesystem::path config_dir;          ///< user config and keys file
    std::filesystem::path state_dir;           ///< job database and daemon log
    std::filesystem::path cache_dir;           ///< caches that can be deleted at any time
    std::filesystem::path runtime_dir;         ///< the daemon socket and lock
    std::filesystem::path system_config_file;  ///< read-only system-wide config
    bool runtime_is_fallback = false;          ///< XDG_RUNTIME_DIR was unset or unusable

    std::filesystem::path user_config_file() const { return config_dir / "config.toml"; }
    std::filesystem::path keys_file() const { return config_dir / "keys.json"; }
    std::filesystem::path database_file() const { return state_dir / "sota.db"; }
    std::filesystem::path daemon_log_file() const { return state_dir / "sotad.log"; }
    std::filesystem::path socket_file() const { return runtime_dir / "sotad.sock"; }
};

/// Resolves the XDG base directories (absolute values only, per the spec), or everything under
/// SOTA_HOME when it is set: $SOTA_HOME/{config,state,cache,run} and $SOTA_HOME/etc/config.toml.
/// Without XDG_RUNTIME_DIR the runtime dir falls back to ${TMPDIR:-/tmp}/sota-<uid>, which the
/// caller must create owner-only and check. Fails when neither HOME nor SOTA_HOME is usable.
Expected<Paths> resolve_paths(const EnvMap& env, unsigned uid);

}  // namespace sota::core
