#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "core/expected.hpp"
#include "daemon/request_head.hpp"

namespace sota::daemon {

/// What the front door lets in and for how long (daemon.* config keys, docs/protocol.md).
struct DoorLimits {
    HeadLimits head;
    std::chrono::milliseconds header_timeout{10'000};  ///< from accept to a complete head
    std::chrono::milliseconds body_timeout{30'000};    ///< from the head to the whole body
    std::size_t max_connections = 4096;                ///< open at once, in total
    std::size_t max_per_client = 512;                  ///< open at once, per client process
};

/// Accepts sotad's connections on one thread over epoll, before libmicrohttpd sees them.
/// A client of another uid gets 403 peer.refused; past the limits, 503 daemon.busy (in total)
/// or 429 daemon.too_many_connections (per client process, SO_PEERCRED's pid: on a Unix socket
/// every client is the same user, so the process is the peer). The request head is read with
/// MSG_PEEK and checked (check_request_head); a good one hands the connection, its bytes
/// still unread, to `hand_off` (libmicrohttpd's MHD_add_connection), a bad one gets its JSON
/// error. A head not complete within header_timeout gets 408 request.timeout, and so does a
/// body not read within body_timeout after the head. Idle and byte-at-a-time connections
/// therefore cost a file descriptor and a map entry until their deadline, and no thread.
/// Thread-safe.
class FrontDoor {
  public:
    /// Takes a connection whose head passed; false if it could not (and closed `fd`).
    using HandOff = std::function<bool(int fd, const sockaddr_un& addr, socklen_t len)>;

    FrontDoor(int listen_fd, DoorLimits limits, HandOff hand_off);
    ~FrontDoor();
    FrontDoor(const FrontDoor&) = delete;
    FrontDoor& operator=(const FrontDoor&) = delete;

    core::Status start();
    /// Stops accepting and closes the connections still waiting for their heads.
    void stop();

    /// The HTTP server has read the whole request on `fd`: its body deadline is lifted.
    void request_read(int fd);
    /// The HTTP server is closing `fd` (called before the descriptor is closed).
    void closed(int fd);

    /// Connections open now (waiting for a head or with the HTTP server).
    std::size_t open_connections() const;

  private:
    struct Connection {
        std::int32_t pid = 0;
        bool waiting = true;  ///< still ours: its head has not been handed on
        std::chrono::steady_clock::time_point deadline;
        sockaddr_un addr{};
        socklen_t addr_len = 0;
    };

    void run();
    void accept_all();
    void read_head(int fd);
    void reap(std::chrono::steady_clock::time_point now);
    /// Writes a JSON error answer and closes a waiting connection (m_mutex held).
    void refuse_locked(int fd, int status, const std::string& code, const std::string& message);
    void forget_locked(int fd);

    int m_listen;
    DoorLimits m_limits;
    HandOff m_hand_off;
    int m_epoll = -1;
    int m_wake = -1;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
    mutable std::mutex m_mutex;
    std::map<int, Connection> m_connections;  // by descriptor
    std::map<std::int32_t, std::size_t> m_per_client;
};

}  // namespace sota::daemon
