#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace sota::adapters {

/// One answer from sotad.
struct DaemonReply {
    long status = 0;
    std::string body;
};

/// Talks HTTP/1.1 to sotad over its Unix socket (libcurl). A missing socket or a refused
/// connection is ErrorKind::network with code "daemon.unreachable" and a message saying how to
/// start the daemon; nothing waits longer than the timeout. Not thread-safe (one per thread).
class DaemonClient {
  public:
    explicit DaemonClient(std::filesystem::path socket) : m_socket(std::move(socket)) {}

    core::Expected<DaemonReply> call(const std::string& method, const std::string& path,
                                     const std::string& body = "",
                                     const std::map<std::string, std::string>& headers = {},
                                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

    /// Reads a streamed answer line by line until it ends or `on_line` returns false.
    core::Status stream(const std::string& path,
                        const std::function<bool(std::string_view line)>& on_line);

    const std::filesystem::path& socket() const { return m_socket; }

  private:
    std::filesystem::path m_socket;
};

/// The message for an unreachable daemon at `socket`.
core::Error daemon_unreachable(const std::filesystem::path& socket, const std::string& why);

}  // namespace sota::adapters
