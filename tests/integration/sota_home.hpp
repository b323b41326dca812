#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

namespace sota::test {

/// The sota binary with a home of its own and a clean environment, run as from a shell.
struct Sota {
    TempHome home;
    std::map<std::string, std::string> env = clean_env(home.str());

    Sota() { env["SOTA_HOME"] = home.str(); }

    ProcessResult run(std::vector<std::string> args, const std::string& input = "") const {
        args.insert(args.begin(), SOTA_BINARY);
        return run_process({args, env, input, std::nullopt, std::chrono::seconds(20)});
    }
};

}  // namespace sota::test
