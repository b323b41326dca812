#pragma once

#include <string>

namespace sota::daemon {

/// Tells a service manager how sotad is doing (systemd's Type=notify): READY=1 once it answers
/// on its socket, RELOADING=1 and READY=1 around a SIGHUP reload, STOPPING=1 as it drains.
///
/// This is sd_notify(3)'s protocol written out: one datagram of newline-separated assignments to
/// the AF_UNIX socket named by $NOTIFY_SOCKET (an abstract socket when the name starts with '@').
/// It is a stable, documented interface of a few lines; linking libsystemd for it would make
/// sotad need libsystemd to build and run everywhere, systemd or not, for nothing more. Without
/// $NOTIFY_SOCKET (a terminal, `sota daemon start`, another service manager) nothing is sent.
class ServiceNotifier {
  public:
    /// Reads $NOTIFY_SOCKET and removes it from the environment, so that the programs sotad
    /// starts (scheduled `sota` runs, program steps) do not speak for it. Call before any thread
    /// starts.
    static ServiceNotifier from_environment();

    /// Whether a service manager is listening.
    bool active() const { return !m_socket.empty(); }

    /// Sends `state` ("READY=1\nSTATUS=..."); false if there is no one to tell or it failed.
    /// Thread-safe.
    bool notify(const std::string& state) const;

  private:
    std::string m_socket;
};

}  // namespace sota::daemon
