#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sota::test {

/// What a finished child process did.
struct ProcessResult {
    int exit_code = -1;  ///< exit status, or 128+signal if killed
    bool timed_out = false;
    std::string out;
    std::string err;
};

/// How to start a child process.
struct ProcessSpec {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;  ///< the child's whole environment
    std::string stdin_data;
    std::optional<std::string> cwd;
    std::chrono::milliseconds timeout{30'000};
    /// Runs on its own thread once the child started, with its PID (to signal it mid-run).
    std::function<void(int pid)> during = nullptr;
    /// Run on a pseudo-terminal (120x40): stdout and stderr both arrive in `out`.
    bool pty = false;
};

/// A spec's argv and environment as execve() takes them (they live as long as this does).
class ExecArgs {
  public:
    explicit ExecArgs(const ProcessSpec& spec);
    char** argv() { return m_argv.data(); }
    char** envp() { return m_envp.data(); }

  private:
    std::vector<std::string> m_strings;
    std::vector<char*> m_argv, m_envp;
};

/// Runs a child to completion, feeding stdin and collecting stdout/stderr. On timeout the child
/// (and only it, by its PID) is killed with SIGKILL and `timed_out` is set.
ProcessResult run_process(const ProcessSpec& spec);

/// A minimal environment for a child: PATH, a given HOME, LANG=C.UTF-8, no provider keys.
std::map<std::string, std::string> clean_env(const std::string& home);

}  // namespace sota::test
