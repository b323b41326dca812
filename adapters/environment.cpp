#include "adapters/environment.hpp"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

extern char** environ;

namespace sota::adapters {

core::EnvMap snapshot_environment() {
    core::EnvMap env;
    for (char** entry = environ; entry && *entry; ++entry) {
        const std::string_view text(*entry);
        const auto eq = text.find('=');
        if (eq != std::string_view::npos) {
            env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
        }
    }
    if (env.find("HOME") == env.end()) {
        if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_dir) {
            env["HOME"] = pw->pw_dir;
        }
    }
    return env;
}

unsigned current_uid() {
    return static_cast<unsigned>(geteuid());
}

bool process_alive(std::int64_t pid) {
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
}

std::string sibling_program(const std::string& name, const std::string& build_dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        for (const fs::path& candidate :
             {self.parent_path() / name, self.parent_path().parent_path() / build_dir / name}) {
            if (::access(candidate.c_str(), X_OK) == 0) {
                return candidate.string();
            }
        }
    }
    return name;
}

}  // namespace sota::adapters
