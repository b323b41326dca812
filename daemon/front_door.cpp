#include "daemon/front_door.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace sota::daemon {

namespace {

using Clock = std::chrono::steady_clock;

/// Writes what fits of `answer` without blocking: a client that does not read its error loses
/// it, and nothing waits for it.
void write_answer(int fd, const std::string& answer) {
    (void)!::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/// Reads and drops what the client sent, so that closing does not turn into a reset that
/// could make the client miss the answer.
void drain(int fd) {
    char sink[16 * 1024];
    for (int i = 0; i < 8 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
}

}  // namespace

FrontDoor::FrontDoor(int listen_fd, DoorLimits limits, HandOff hand_off)
    : m_listen(listen_fd), m_limits(limits), m_hand_off(std::move(hand_off)) {}

FrontDoor::~FrontDoor() {
    stop();
}

core::Status FrontDoor::start() {
    // accept_all() takes what is waiting and must not block when nothing is.
    ::fcntl(m_listen, F_SETFL, ::fcntl(m_listen, F_GETFL) | O_NONBLOCK);
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_epoll < 0 || m_wake < 0) {
        return core::fail(
            core::ErrorKind::io, "daemon.http",
            std::string("cannot set up the connection poller: ") + std::strerror(errno));
    }
    epoll_event listen_event{};
    listen_event.events = EPOLLIN;
    listen_event.data.fd = m_listen;
    epoll_event wake_event{};
    wake_event.events = EPOLLIN;
    wake_event.data.fd = m_wake;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_listen, &listen_event) != 0 ||
        ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wake, &wake_event) != 0) {
        return core::fail(core::ErrorKind::io, "daemon.http",
                          std::string("cannot poll the socket: ") + std::strerror(errno));
    }
    m_thread = std::thread([this] { run(); });
    return {};
}

void FrontDoor::stop() {
    if (m_thread.joinable()) {
        m_stop = true;
        const std::uint64_t one = 1;
        (void)!::write(m_wake, &one, sizeof one);
        m_thread.join();
    }
    std::lock_guard lock(m_mutex);
    for (auto it = m_connections.begin(); it != m_connections.end();) {
        const int fd = it->first;
        const bool waiting = it->second.waiting;
        ++it;
        if (waiting) {
            ::close(fd);
            forget_locked(fd);
        }
    }
    for (int* fd : {&m_epoll, &m_wake}) {
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    }
}

void FrontDoor::run() {
    std::vector<epoll_event> events(256);
    auto next_reap = Clock::now();
    while (!m_stop) {
        const int n = ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), 100);
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == m_listen) {
                accept_all();
            } else if (fd != m_wake) {
                read_head(fd);
            }
        }
        // Deadlines are checked a few times a second: timeouts are seconds long.
        if (const auto now = Clock::now(); now >= next_reap) {
            reap(now);
            next_reap = now + std::chrono::milliseconds(100);
        }
    }
}

void FrontDoor::accept_all() {
    for (int i = 0; i < 256; ++i) {
        sockaddr_un addr{};
        socklen_t len = sizeof addr;
        const int fd = ::accept4(m_listen, reinterpret_cast<sockaddr*>(&addr), &len,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                spdlog::warn("sotad is out of file descriptors; connections wait in the backlog");
            }
            return;
        }
        ucred cred{};
        socklen_t cred_len = sizeof cred;
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) != 0 ||
            cred.uid != ::getuid()) {
            write_answer(fd,
                         json_error_answer(403, "peer.refused", "sotad serves only its own user"));
            ::close(fd);
            continue;
        }
        std::lock_guard lock(m_mutex);
        if (m_connections.size() >= m_limits.max_connections) {
            write_answer(
                fd, json_error_answer(503, "daemon.busy",
                                      "sotad has " + std::to_string(m_connections.size()) +
                                          " connections open, its limit (daemon.max_connections); "
                                          "try again shortly",
                                      true));
            ::close(fd);
            continue;
        }
        auto& mine = m_per_client[cred.pid];
        if (mine >= m_limits.max_per_client) {
            write_answer(
                fd, json_error_answer(429, "daemon.too_many_connections",
                                      "this process has " + std::to_string(mine) +
                                          " connections open to sotad, its limit "
                                          "(daemon.max_connections_per_client); close some first",
                                      true));
            ::close(fd);
            continue;
        }
        ++mine;
        Connection c;
        c.pid = cred.pid;
        c.deadline = Clock::now() + m_limits.header_timeout;
        c.addr = addr;
        c.addr_len = len;
        m_connections[fd] = c;
        epoll_event event{};
        event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;  // edge: peeked bytes stay readable
        event.data.fd = fd;
        if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
            ::close(fd);
            forget_locked(fd);
        }
    }
}

void FrontDoor::read_head(int fd) {
    thread_local std::vector<char> buffer;
    buffer.resize(m_limits.head.max_head + 2);
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_PEEK);
    std::unique_lock lock(m_mutex);
    const auto it = m_connections.find(fd);
    if (it == m_connections.end() || !it->second.waiting) {
        return;
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);  // the client went away before it asked anything
        forget_locked(fd);
        return;
    }
    if (n < 0) {
        return;
    }
    const auto verdict = check_request_head(
        std::string_view(buffer.data(), static_cast<std::size_t>(n)), m_limits.head);
    if (verdict.state == HeadVerdict::State::incomplete) {
        return;
    }
    if (verdict.state == HeadVerdict::State::refused) {
        refuse_locked(fd, verdict.status, verdict.code, verdict.message);
        return;
    }
    ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    Connection& c = it->second;
    c.waiting = false;
    c.deadline = Clock::now() + m_limits.body_timeout;
    const sockaddr_un addr = c.addr;
    const socklen_t len = c.addr_len;
    lock.unlock();
    if (!m_hand_off(fd, addr, len)) {
        lock.lock();
        forget_locked(fd);  // the HTTP server closed it
    }
}

void FrontDoor::reap(Clock::time_point now) {
    std::lock_guard lock(m_mutex);
    std::vector<int> late;
    for (const auto& [fd, c] : m_connections) {
        if (c.deadline <= now) {
            late.push_back(fd);
        }
    }
    for (const int fd : late) {
        Connection& c = m_connections.at(fd);
        if (c.waiting) {
            refuse_locked(fd, 408, "request.timeout",
                          "the request's head did not arrive within daemon.header_timeout (" +
                              std::to_string(m_limits.header_timeout.count()) + " ms)");
            continue;
        }
        // The HTTP server owns the descriptor: answer, and shut the socket so that it sees the
        // end and closes it.
        write_answer(
            fd, json_error_answer(408, "request.timeout",
                                  "the request's body did not arrive within daemon.body_timeout (" +
                                      std::to_string(m_limits.body_timeout.count()) + " ms)"));
        ::shutdown(fd, SHUT_RDWR);
        c.deadline = Clock::time_point::max();
    }
}

void FrontDoor::refuse_locked(int fd, int status, const std::string& code,
                              const std::string& message) {
    ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    write_answer(fd, json_error_answer(status, code, message));
    ::shutdown(fd, SHUT_WR);
    drain(fd);
    ::close(fd);
    forget_locked(fd);
}

void FrontDoor::forget_locked(int fd) {
    const auto it = m_connections.find(fd);
    if (it == m_connections.end()) {
        return;
    }
    const auto client = m_per_client.find(it->second.pid);
    if (client != m_per_client.end() && --client->second == 0) {
        m_per_client.erase(client);
    }
    m_connections.erase(it);
}

void FrontDoor::request_read(int fd) {
    std::lock_guard lock(m_mutex);
    if (const auto it = m_connections.find(fd); it != m_connections.end()) {
        it->second.deadline = Clock::time_point::max();
    }
}

void FrontDoor::closed(int fd) {
    std::lock_guard lock(m_mutex);
    if (const auto it = m_connections.find(fd); it != m_connections.end() && !it->second.waiting) {
        forget_locked(fd);
    }
}

std::size_t FrontDoor::open_connections() const {
    std::lock_guard lock(m_mutex);
    return m_connections.size();
}

}  // namespace sota::daemon
