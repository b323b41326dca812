#pragma once

// What the integration tests that drive the real sotad and sota share: the demo world's
// settings as environment variables, starting sotad on a temporary home, and running sota.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/background.hpp"
#include "tests/support/demo_world.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

namespace sota::test {

/// The keyword the demo world answers for.
inline const std::string k_keyword = "best espresso grinder";

/// Cache TTLs at zero, so that request counts show every call a job makes.
extern const std::map<std::string, std::string> k_no_cache;

/// The demo world's settings as sotad reads them: SOTA_* variables and provider key variables.
std::map<std::string, std::string> world_env(const TempHome& home, const DemoWorld& world);

/// sotad's socket under `home` (SOTA_HOME).
std::filesystem::path socket_of(const TempHome& home);

/// sotad in the foreground, started and waited for until it answers (at most 10 s).
std::unique_ptr<Background> start_daemon(const TempHome& home,
                                         std::map<std::string, std::string> env, int workers = 2);

/// `sota ARGS...` run to its end in `home` (at most 60 s).
ProcessResult run_sota(const TempHome& home, std::map<std::string, std::string> env,
                       std::vector<std::string> args);

/// The first line of a command's output, trimmed (an id it printed).
std::string first_line(const std::string& text);

}  // namespace sota::test
