#include "adapters/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

namespace sota::adapters {
namespace {

// The calling thread's correlation fields (see ScopedLogFields).
thread_local LogFields t_fields;

std::string iso_time(std::chrono::system_clock::time_point tp) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch());
    const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms.count() % 1000));
    return buf;
}

const char* level_name(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
            return "trace";
        case spdlog::level::debug:
            return "debug";
        case spdlog::level::info:
            return "info";
        case spdlog::level::warn:
            return "warn";
        case spdlog::level::err:
            return "error";
        case spdlog::level::critical:
            return "critical";
        default:
            return "off";
    }
}

const char* level_colour(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::warn:
            return "\033[33m";
        case spdlog::level::err:
        case spdlog::level::critical:
            return "\033[31m";
        case spdlog::level::debug:
        case spdlog::level::trace:
            return "\033[2m";
        default:
            return "\033[36m";
    }
}

// A text log line is one line: control characters in what it quotes (a request path, a
// keyword, a provider's message) are written as escapes, so nothing from outside can start a
// forged line or send terminal escape sequences.
std::string escape_controls(std::string_view text) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u != 0x7f) {
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else {
            out += "\\x";
            out += k_hex[u >> 4];
            out += k_hex[u & 15];
        }
    }
    return out;
}

class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    RedactingSink(LogSettings settings, std::shared_ptr<const core::Redactor> redactor,
                  LogWriter writer)
        : m_settings(std::move(settings)),
          m_redactor(std::move(redactor)),
          m_writer(std::move(writer)) {}

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        const std::string message =
            m_redactor
                ? m_redactor->redact(std::string_view(msg.payload.data(), msg.payload.size()))
                : std::string(msg.payload.data(), msg.payload.size());
        std::string line = m_settings.json ? json_line(msg, message) : text_line(msg, message);
        if (m_redactor) {
            line = m_redactor->redact(line);
        }
        line += '\n';
        m_writer(line);
    }
    void flush_() override {}

  private:
    std::string json_line(const spdlog::details::log_msg& msg, const std::string& message) const {
        nlohmann::json j;
        j["time"] = iso_time(msg.time);
        j["level"] = level_name(msg.level);
        j["message"] = message;
        if (!t_fields.request_id.empty()) {
            j["request_id"] = t_fields.request_id;
        }
        if (!t_fields.job_id.empty()) {
            j["job_id"] = t_fields.job_id;
        }
        if (!t_fields.step.empty()) {
            j["step"] = t_fields.step;
        }
        return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }

    std::string text_line(const spdlog::details::log_msg& msg, const std::string& raw) const {
        const std::string message = escape_controls(raw);
        std::string fields;
        if (!t_fields.request_id.empty()) {
            fields += " request_id=" + escape_controls(t_fields.request_id);
        }
        if (!t_fields.job_id.empty()) {
            fields += " job_id=" + escape_controls(t_fields.job_id);
        }
        if (!t_fields.step.empty()) {
            fields += " step=" + escape_controls(t_fields.step);
        }
        if (m_settings.color) {
            return m_settings.program + ": " + level_colour(msg.level) + level_name(msg.level) +
                   "\033[0m: " + message +
                   (fields.empty() ? "" : " \033[2m(" + fields.substr(1) + ")\033[0m");
        }
        return iso_time(msg.time) + " " + level_name(msg.level) + " " + m_settings.program + ": " +
               message + fields;
    }

    LogSettings m_settings;
    std::shared_ptr<const core::Redactor> m_redactor;
    LogWriter m_writer;
};

}  // namespace

ScopedLogFields::ScopedLogFields(LogFields fields) : m_previous(std::move(t_fields)) {
    t_fields = std::move(fields);
}

ScopedLogFields::~ScopedLogFields() {
    t_fields = std::move(m_previous);
}

LogWriter stderr_writer() {
    return [](std::string_view line) {
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fflush(stderr);
    };
}

std::shared_ptr<spdlog::logger> make_logger(const LogSettings& settings,
                                            std::shared_ptr<const core::Redactor> redactor,
                                            LogWriter writer) {
    auto sink = std::make_shared<RedactingSink>(settings, std::move(redactor), std::move(writer));
    auto logger = std::make_shared<spdlog::logger>(settings.program, std::move(sink));
    logger->set_level(spdlog::level::from_str(settings.level));
    logger->flush_on(spdlog::level::trace);
    return logger;
}

void install_logger(std::shared_ptr<spdlog::logger> logger) {
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace sota::adapters
