#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/redactor.hpp"

namespace spdlog {
class logger;
}

namespace sota::adapters {

/// Correlation fields added to every log line written on this thread while set.
struct LogFields {
    std::string request_id;
    std::string job_id;
    std::string step;
};

/// Sets the calling thread's log fields for its lifetime and restores the previous ones after
/// (a mapped diagnostic context: the engine sets job and step, the daemon its request id).
class ScopedLogFields {
  public:
    explicit ScopedLogFields(LogFields fields);
    ~ScopedLogFields();
    ScopedLogFields(const ScopedLogFields&) = delete;
    ScopedLogFields& operator=(const ScopedLogFields&) = delete;

  private:
    LogFields m_previous;
};

/// How log lines look and where they go.
struct LogSettings {
    std::string level = "info";  ///< trace, debug, info, warn, error, off
    bool json = false;           ///< one JSON object per line: time, level, message, fields
    bool color = false;          ///< human form for a terminal: coloured level, no timestamp
    std::string program = "sota";
};

/// Receives each finished, redacted line (with its newline).
using LogWriter = std::function<void(std::string_view)>;

/// A writer to the process's stderr.
LogWriter stderr_writer();

/// Builds a logger whose single sink formats each line as `settings` says and passes it through
/// the redactor before the writer sees it, so no known secret is ever written.
std::shared_ptr<spdlog::logger> make_logger(const LogSettings& settings,
                                            std::shared_ptr<const core::Redactor> redactor,
                                            LogWriter writer);

/// Makes `logger` the default for spdlog::info() etc.
void install_logger(std::shared_ptr<spdlog::logger> logger);

}  // namespace sota::adapters
