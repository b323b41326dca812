#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sota::test {

/// A child process left running (a daemon under test): stdout and stderr go to a log file.
/// The destructor kills it (SIGKILL, by its PID) if it is still running.
class Background {
  public:
    Background(std::vector<std::string> argv, std::map<std::string, std::string> env,
               std::filesystem::path log);
    ~Background();
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    int pid() const { return m_pid; }
    /// Sends a signal and waits up to `timeout` for the exit; returns the exit code (128+signal
    /// if killed), or -1 if it did not exit in time.
    int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(20));
    /// Whether it has exited (reaps it); its exit code in `code`.
    bool exited(int* code = nullptr);
    /// The log so far.
    std::string log() const;

  private:
    int m_pid = -1;
    int m_status = -1;
    std::filesystem::path m_log;
};

}  // namespace sota::test
