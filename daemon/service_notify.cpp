#include "daemon/service_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace sota::daemon {

ServiceNotifier ServiceNotifier::from_environment() {
    ServiceNotifier notifier;
    if (const char* socket = std::getenv("NOTIFY_SOCKET")) {
        notifier.m_socket = socket;
        ::unsetenv("NOTIFY_SOCKET");
    }
    return notifier;
}

bool ServiceNotifier::notify(const std::string& state) const {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    // A path, or '@' for the abstract namespace (a leading NUL); either must fit sun_path.
    if (m_socket.size() < 2 || (m_socket[0] != '/' && m_socket[0] != '@') ||
        m_socket.size() >= sizeof addr.sun_path) {
        return false;
    }
    std::memcpy(addr.sun_path, m_socket.data(), m_socket.size());
    if (addr.sun_path[0] == '@') {
        addr.sun_path[0] = '\0';
    }
    const auto length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + m_socket.size() +
                               (m_socket[0] == '/' ? 1 : 0));  // a path's NUL counts
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    const auto sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                               reinterpret_cast<const sockaddr*>(&addr), length);
    ::close(fd);
    return sent == static_cast<ssize_t>(state.size());
}

}  // namespace sota::daemon
