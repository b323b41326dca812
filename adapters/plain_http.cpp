#include "adapters/plain_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "adapters/address_guard.hpp"
#include "adapters/http_errors.hpp"
#include "adapters/plain_http_state.hpp"
#include "core/text.hpp"

namespace sota::adapters {

using Clock = std::chrono::steady_clock;

namespace {

// A kept-alive connection unused this long is closed (libcurl's CURLOPT_MAXAGE_CONN default).
constexpr auto k_max_idle_age = std::chrono::seconds(118);
constexpr std::size_t k_max_idle_per_key = 1024;

bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c);
}

bool is_visible_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::chrono::milliseconds since(Clock::time_point start, Clock::time_point now) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - start);
}

}  // namespace

std::optional<PlainHttp::Target> PlainHttp::route(const core::HttpRequest& r) {
    if (r.accept_compressed || r.max_redirects > 0 || r.method.empty() || r.method == "HEAD" ||
        !std::all_of(r.method.begin(), r.method.end(), is_token_char) || r.url.size() < 8 ||
        !core::equals_ignoring_case(std::string_view(r.url).substr(0, 7), "http://")) {
        return std::nullopt;
    }
    for (const auto& [name, value] : r.headers) {
        // Headers that shape the exchange itself stay with libcurl, which knows what to do
        // with them; so do values that would break the request's framing.
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char) ||
            value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos ||
            core::equals_ignoring_case(name, "host") ||
            core::equals_ignoring_case(name, "content-length") ||
            core::equals_ignoring_case(name, "transfer-encoding") ||
            core::equals_ignoring_case(name, "connection") ||
            core::equals_ignoring_case(name, "expect")) {
            return std::nullopt;
        }
    }
    const std::string_view rest = std::string_view(r.url).substr(7);
    const auto authority_end = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, authority_end);
    std::string_view path =
        authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    path = path.substr(0, path.find('#'));
    if (authority.empty() || authority.find('@') != std::string_view::npos ||
        !is_visible_ascii(path)) {
        return std::nullopt;
    }
    std::string_view host = authority;
    std::string_view port_text;
    if (host.front() == '[') {
        const auto close = host.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        port_text = host.substr(close + 1);
        host = host.substr(1, close - 1);
        if (!port_text.empty() && port_text.front() != ':') {
            return std::nullopt;
        }
    } else if (const auto colon = host.find(':'); colon != std::string_view::npos) {
        port_text = host.substr(colon);
        host = host.substr(0, colon);
    }
    int port = 80;
    if (!port_text.empty()) {
        port_text.remove_prefix(1);  // ':'
        if (port_text.empty() || port_text.size() > 5 ||
            !std::all_of(port_text.begin(), port_text.end(), ::isdigit)) {
            return std::nullopt;
        }
        port = std::stoi(std::string(port_text));
        if (port < 1 || port > 65535) {
            return std::nullopt;
        }
    }
    Target t;
    const std::string host_text(host);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&t.address);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&t.address);
    if (::inet_pton(AF_INET, host_text.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        t.address_size = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, host_text.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        t.address_size = sizeof(sockaddr_in6);
    } else if (core::equals_ignoring_case(host, "localhost")) {
        // As libcurl resolves it, without asking DNS: 127.0.0.1, then ::1.
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        t.address_size = sizeof(sockaddr_in);
        auto* second = reinterpret_cast<sockaddr_in6*>(&t.second);
        second->sin6_family = AF_INET6;
        second->sin6_port = htons(static_cast<std::uint16_t>(port));
        second->sin6_addr = in6addr_loopback;
        t.second_size = sizeof(sockaddr_in6);
    } else {
        return std::nullopt;  // a name: libcurl resolves it, off this thread
    }
    t.key = host_text + " " + std::to_string(port);
    t.authority = std::string(authority);
    t.path = path.empty() ? "/" : path.front() == '?' ? "/" + std::string(path) : std::string(path);
    return t;
}

PlainHttp::PlainHttp(int epoll_fd, std::string user_agent, std::atomic<std::size_t>& in_flight)
    : m_epoll(epoll_fd),
      m_user_agent(std::move(user_agent)),
      m_in_flight(in_flight),
      m_buffer(64 * 1024) {}

PlainHttp::~PlainHttp() {
    for (const auto& [fd, c] : m_connections) {
        ::close(fd);
    }
}

void PlainHttp::start(core::HttpRequest request, core::HttpCallback done, Target target) {
    auto x = std::make_unique<Exchange>();
    x->request = std::move(request);
    x->done = std::move(done);
    x->target = std::move(target);
    x->started = x->last_activity = Clock::now();
    const auto* address = reinterpret_cast<const sockaddr*>(&x->target.address);
    if (!x->request.allow_private_addresses && is_non_public_address(address)) {
        const std::string text = address_text(address);
        auto error = http_errors::blocked_address(x->request, text);
        answer(std::move(x), core::fail(std::move(error)));
        return;
    }
    if (auto idle = m_idle.find(x->target.key); idle != m_idle.end() && !idle->second.empty()) {
        Connection* c = idle->second.back();
        idle->second.pop_back();
        c->x = std::move(x);
        begin(c);
        return;
    }
    connect(std::move(x));
}

void PlainHttp::connect(std::unique_ptr<Exchange> x) {
    for (;;) {
        int error = 0;
        if (Connection* c = open(x->target, error)) {
            c->x = std::move(x);
            begin(c);
            return;
        }
        if (!take_second_address(x->target)) {
            auto e = http_errors::cannot_connect(x->request, std::strerror(error));
            answer(std::move(x), core::fail(std::move(e)));
            return;
        }
    }
}

bool PlainHttp::take_second_address(Target& target) {
    if (target.second_size == 0) {
        return false;
    }
    target.address = target.second;
    target.address_size = target.second_size;
    target.second_size = 0;
    return true;
}

PlainHttp::Connection* PlainHttp::open(const Target& target, int& error) {
    const int fd =
        ::socket(target.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        return nullptr;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bool connecting = false;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&target.address), target.address_size) !=
        0) {
        if (errno != EINPROGRESS) {
            error = errno;
            ::close(fd);
            return nullptr;
        }
        connecting = true;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (connecting ? EPOLLOUT : 0U);
    ev.data.u64 = k_tag | static_cast<std::uint32_t>(fd);
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev) != 0) {
        error = errno;
        ::close(fd);
        return nullptr;
    }
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->key = target.key;
    c->connecting = connecting;
    c->writable_watched = connecting;
    Connection* raw = c.get();
    m_connections[fd] = std::move(c);
    return raw;
}

void PlainHttp::begin(Connection* c) {
    const core::HttpRequest& r = c->x->request;
    const bool posts =
        !r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
    std::string& out = c->out;
    out.clear();
    out.reserve(256 + r.body.size());
    out.append(r.method).append(" ").append(c->x->target.path).append(" HTTP/1.1\r\nHost: ");
    out.append(c->x->target.authority).append("\r\n");
    bool own_agent = false, own_accept = false, own_type = false;
    for (const auto& [name, value] : r.headers) {
        if (value.empty()) {
            continue;  // as libcurl: "Name:" with nothing after it removes a header
        }
        own_agent = own_agent || core::equals_ignoring_case(name, "user-agent");
        own_accept = own_accept || core::equals_ignoring_case(name, "accept");
        own_type = own_type || core::equals_ignoring_case(name, "content-type");
        out.append(name).append(": ").append(value).append("\r\n");
    }
    if (!own_agent) {
        out.append("User-Agent: ").append(m_user_agent).append("\r\n");
    }
    if (!own_accept) {
        out.append("Accept: */*\r\n");
    }
    if (posts) {
        if (!own_type) {
            out.append("Content-Type: application/x-www-form-urlencoded\r\n");  // as libcurl
        }
        out.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
    }
    out.append("\r\n").append(r.body);
    c->out_sent = 0;
    if (!c->connecting) {
        flush(c);
    }
}

void PlainHttp::watch(Connection* c, bool writable) {
    if (c->writable_watched == writable) {
        return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (writable ? EPOLLOUT : 0U);
    ev.data.u64 = k_tag | static_cast<std::uint32_t>(c->fd);
    ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, c->fd, &ev);
    c->writable_watched = writable;
}

bool PlainHttp::flush(Connection* c) {
    while (c->out_sent < c->out.size()) {
        const ssize_t n =
            ::send(c->fd, c->out.data() + c->out_sent, c->out.size() - c->out_sent, MSG_NOSIGNAL);
        if (n >= 0) {
            c->out_sent += static_cast<std::size_t>(n);
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            watch(c, true);
            return true;
        }
        broke_off(c, errno);
        return false;
    }
    c->out.clear();
    c->out_sent = 0;
    if (c->out.capacity() > m_buffer.size()) {
        c->out.shrink_to_fit();  // a large body once is not kept for the connection's life
    }
    watch(c, false);
    return true;
}

void PlainHttp::on_event(int fd, std::uint32_t events) {
    const auto it = m_connections.find(fd);
    if (it == m_connections.end()) {
        // Reported before its connection closed earlier in the same wake-up; the number may
        // belong to a libcurl socket by now, so it is left alone (closing took it out of the set).
        return;
    }
    Connection* c = it->second.get();
    if (!c->x) {
        // Idle: the server closed it, or sent what nobody asked for. Either way it is done.
        forget_idle(c);
        close(c);
        return;
    }
    if (c->connecting) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            return;
        }
        int error = 0;
        socklen_t size = sizeof error;
        ::getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &size);
        if (error != 0) {
            std::unique_ptr<Exchange> x = std::move(c->x);
            close(c);
            if (take_second_address(x->target)) {
                connect(std::move(x));
            } else {
                auto e = http_errors::cannot_connect(x->request, std::strerror(error));
                answer(std::move(x), core::fail(std::move(e)));
            }
            return;
        }
        c->connecting = false;
        if (!flush(c)) {
            return;
        }
    } else if ((events & EPOLLOUT) && !flush(c)) {
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        receive(c);
    }
}

void PlainHttp::receive(Connection* c) {
    // Level-triggered: what is not read now is reported again. A short read means the socket
    // is drained, so the EAGAIN a second recv() would return is not asked for.
    for (int reads = 0; reads < 16; ++reads) {
        const ssize_t n = ::recv(c->fd, m_buffer.data(), m_buffer.size(), 0);
        if (n > 0) {
            Exchange& x = *c->x;
            x.last_activity = Clock::now();
            if (!x.any_byte) {
                x.any_byte = true;
                x.response.first_byte = since(x.started, x.last_activity);
            }
            switch (feed(c, m_buffer.data(), static_cast<std::size_t>(n))) {
                case Fed::done:
                    complete(c);
                    return;
                case Fed::failed:
                    return;
                case Fed::more:
                    break;
            }
            if (static_cast<std::size_t>(n) < m_buffer.size()) {
                return;
            }
            continue;
        }
        if (n == 0) {
            if (c->x->phase == Exchange::Phase::until_close) {
                c->x->keep_alive = false;
                complete(c);
            } else {
                broke_off(c, 0);
            }
            return;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            broke_off(c, errno);
        }
        return;
    }
}

void PlainHttp::complete(Connection* c) {
    std::unique_ptr<Exchange> x = std::move(c->x);
    const auto now = Clock::now();
    x->response.total = since(x->started, now);
    x->response.http_version = "1.1";
    x->response.effective_url = x->request.url;
    if (x->keep_alive && c->out.empty()) {  // the whole request went out
        auto& idle = m_idle[c->key];
        if (idle.size() >= k_max_idle_per_key) {
            Connection* oldest = idle.front();
            idle.erase(idle.begin());
            close(oldest);
        }
        c->reused = true;
        c->idle_since = now;
        idle.push_back(c);
    } else {
        close(c);
    }
    core::HttpResponse response = std::move(x->response);
    answer(std::move(x), std::move(response));
}

void PlainHttp::broke_off(Connection* c, int error) {
    Exchange& x = *c->x;
    if (c->reused && !x.any_byte && !x.retried) {
        // A kept-alive connection the server closed as this request went out: once more on a
        // new one, as libcurl does.
        std::unique_ptr<Exchange> again = std::move(c->x);
        close(c);
        again->retried = true;
        connect(std::move(again));
        return;
    }
    const std::string why = error != 0   ? std::strerror(error)
                            : x.any_byte ? "the connection closed before the end"
                                         : "the connection closed with no answer";
    fail(c, http_errors::broke_off(x.request, why));
}

void PlainHttp::fail(Connection* c, core::Error error) {
    std::unique_ptr<Exchange> x = std::move(c->x);
    close(c);
    answer(std::move(x), core::fail(std::move(error)));
}

void PlainHttp::answer(std::unique_ptr<Exchange> x, core::Expected<core::HttpResponse> result) {
    core::HttpCallback done = std::move(x->done);
    x.reset();
    m_requests.fetch_add(1, std::memory_order_relaxed);
    --m_in_flight;
    done(std::move(result));
}

void PlainHttp::forget_idle(Connection* c) {
    const auto idle = m_idle.find(c->key);
    if (idle != m_idle.end()) {
        std::erase(idle->second, c);
    }
}

void PlainHttp::close(Connection* c) {
    // Closing the socket takes it out of the epoll set.
    const int fd = c->fd;
    ::close(fd);
    m_connections.erase(fd);  // c is gone
}

void PlainHttp::sweep(Clock::time_point now) {
    std::vector<std::pair<Connection*, core::Error>> ended;
    for (const auto& [fd, owned] : m_connections) {
        Connection* c = owned.get();
        if (!c->x) {
            continue;
        }
        const core::HttpRequest& r = c->x->request;
        if (r.cancel.cancelled()) {
            ended.emplace_back(c, http_errors::cancelled(r));
        } else if (c->connecting && r.connect_timeout.count() > 0 &&
                   now - c->x->started > r.connect_timeout) {
            ended.emplace_back(c, http_errors::timed_out(
                                      r, "no connection after " +
                                             std::to_string(r.connect_timeout.count()) + " ms"));
        } else if (r.total_timeout.count() > 0 && now - c->x->started > r.total_timeout) {
            ended.emplace_back(
                c, http_errors::timed_out(r, "no complete answer after " +
                                                 std::to_string(r.total_timeout.count()) + " ms"));
        } else if (r.idle_timeout.count() > 0 && now - c->x->last_activity > r.idle_timeout) {
            ended.emplace_back(c, http_errors::idle_timeout(r));
        }
    }
    for (auto& [c, error] : ended) {
        fail(c, std::move(error));
    }
    for (auto& [key, idle] : m_idle) {
        while (!idle.empty() && now - idle.front()->idle_since > k_max_idle_age) {
            Connection* oldest = idle.front();
            idle.erase(idle.begin());
            close(oldest);
        }
    }
}

void PlainHttp::cancel_all() {
    std::vector<Connection*> busy;
    for (const auto& [fd, c] : m_connections) {
        if (c->x) {
            busy.push_back(c.get());
        }
    }
    for (Connection* c : busy) {
        fail(c, http_errors::cancelled(c->x->request));
    }
}

}  // namespace sota::adapters
