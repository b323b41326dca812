#include "core/paths.hpp"

namespace sota::core {
namespace {

std::optional<std::filesystem::path> absolute_var(const EnvMap& env, const char* name) {
    const auto it = env.find(name);
    if (it == env.end() || it->second.empty() || it->second.front() != '/') {
        return std::nullopt;
    }
    return std::filesystem::path(it->second);
}

}  // namespace

Expected<Paths> resolve_paths(const EnvMap& env, unsigned uid) {
    Paths paths;
    if (const auto home = absolute_var(env, "SOTA_HOME")) {
        paths.config_dir = *home / "config";
        paths.state_dir = *home / "state";
        paths.cache_dir = *home / "cache";
        paths.runtime_dir = *home / "run";
        paths.system_config_file = *home / "etc" / "config.toml";
        return paths;
    }
    if (const auto it = env.find("SOTA_HOME"); it != env.end() && !it->second.empty()) {
        return fail(ErrorKind::config, "paths.relative_home",
                    "SOTA_HOME must be an absolute path; got '" + it->second + "'");
    }
    const auto home = absolute_var(env, "HOME");
    auto base = [&](const char* var, const char* fallback) -> std::optional<std::filesystem::path> {
        if (const auto v = absolute_var(env, var)) {
            return *v / "sota";
        }
        if (home) {
            return *home / fallback / "sota";
        }
        return std::nullopt;
    };
    const auto config = base("XDG_CONFIG_HOME", ".config");
    const auto state = base("XDG_STATE_HOME", ".local/state");
    const auto cache = base("XDG_CACHE_HOME", ".cache");
    if (!config || !state || !cache) {
        return fail(ErrorKind::config, "paths.no_home",
                    "HOME is not set to an absolute path, so sota cannot find its config and "
                    "state directories; set HOME, or SOTA_HOME to keep everything in one place");
    }
    paths.config_dir = *config;
    paths.state_dir = *state;
    paths.cache_dir = *cache;
    paths.system_config_file = "/etc/sota/config.toml";
    if (const auto runtime = absolute_var(env, "XDG_RUNTIME_DIR")) {
        paths.runtime_dir = *runtime / "sota";
    } else {
        const auto tmp = absolute_var(env, "TMPDIR").value_or("/tmp");
        paths.runtime_dir = tmp / ("sota-" + std::to_string(uid));
        paths.runtime_is_fallback = true;
    }
    return paths;
}

}  // namespace sota::core
