#include "tests/support/fake_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace sota::test {
namespace {

const char* reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 402:
            return "Payment Required";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        case 529:
            return "Overloaded";
        default:
            return "Status";
    }
}

bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

std::string FakeRequest::header(std::string_view name) const {
    const std::string key = lower(std::string(name));
    for (const auto& [k, v] : headers) {
        if (k == key) {
            return v;
        }
    }
    return "";
}

std::string FakeRequest::query_param(std::string_view name) const {
    std::size_t pos = 0;
    while (pos <= query.size()) {
        const auto amp = query.find('&', pos);
        const std::string pair =
            query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            std::string value = eq == std::string::npos ? "" : pair.substr(eq + 1);
            std::replace(value.begin(), value.end(), '+', ' ');
            return value;
        }
        if (amp == std::string::npos) {
            break;
        }
        pos = amp + 1;
    }
    return "";
}

void FakeConnection::respond(int status, const std::string& body,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             const std::string& content_type) {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
    if (!content_type.empty()) {
        head += "Content-Type: " + content_type + "\r\n";
    }
    for (const auto& [k, v] : headers) {
        head += k + ": " + v + "\r\n";
    }
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    if (m_close) {
        head += "Connection: close\r\n";
    }
    head += "\r\n";
    send_all(m_fd, head + body);
}

void FakeConnection::start_chunked(int status,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   const std::string& content_type) {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
    head += "Content-Type: " + content_type + "\r\nTransfer-Encoding: chunked\r\n";
    for (const auto& [k, v] : headers) {
        head += k + ": " + v + "\r\n";
    }
    head += "\r\n";
    send_all(m_fd, head);
}

void FakeConnection::chunk(std::string_view data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    send_all(m_fd, std::string(size) + std::string(data) + "\r\n");
}

void FakeConnection::end_chunks() {
    send_all(m_fd, "0\r\n\r\n");
}

void FakeConnection::raw(std::string_view bytes) {
    send_all(m_fd, bytes);
}

void FakeConnection::reset() {
    linger lg{1, 0};
    ::setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ::shutdown(m_fd, SHUT_RD);
    m_close = true;
}

FakeHttpServer::FakeHttpServer() {
    m_listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(m_listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(m_listen_fd, 1024) != 0) {
        throw std::runtime_error("fake server: cannot listen on 127.0.0.1");
    }
    socklen_t len = sizeof addr;
    ::getsockname(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    m_acceptor = std::thread([this] { accept_loop(); });
}

FakeHttpServer::~FakeHttpServer() {
    m_stop = true;
    ::shutdown(m_listen_fd, SHUT_RDWR);
    m_acceptor.join();
    ::close(m_listen_fd);
    {
        std::lock_guard lock(m_mutex);
        for (const int fd : m_client_fds) {
            ::shutdown(fd, SHUT_RDWR);
        }
    }
    for (auto& t : m_threads) {
        t.join();
    }
}

void FakeHttpServer::route(const std::string& method, const std::string& prefix,
                           FakeHandler handler) {
    std::lock_guard lock(m_mutex);
    m_routes.emplace_back(method, prefix, std::move(handler));
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
}

std::size_t FakeHttpServer::count(const std::string& path) const {
    std::lock_guard lock(m_mutex);
    return static_cast<std::size_t>(
        std::count_if(m_requests.begin(), m_requests.end(),
                      [&](const FakeRequest& r) { return r.path == path; }));
}

void FakeHttpServer::accept_loop() {
    while (!m_stop) {
        pollfd p{m_listen_fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) {
            continue;
        }
        const int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ++m_accepted;
        std::lock_guard lock(m_mutex);
        m_client_fds.push_back(fd);
        m_threads.emplace_back([this, fd] { serve(fd); });
    }
}

void FakeHttpServer::serve(int fd) {
    ++m_open;
    std::string buffer;
    FakeConnection conn(fd);
    while (!m_stop && !conn.wants_close()) {
        // Read one request: head up to CRLFCRLF, then Content-Length bytes.
        std::size_t head_end;
        while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
            char data[16384];
            const ssize_t n = ::recv(fd, data, sizeof data, 0);
            if (n <= 0) {
                goto done;
            }
            buffer.append(data, static_cast<std::size_t>(n));
        }
        {
            FakeRequest req;
            const std::string head = buffer.substr(0, head_end);
            buffer.erase(0, head_end + 4);
            std::size_t line_end = head.find("\r\n");
            const std::string request_line = head.substr(0, line_end);
            const auto sp1 = request_line.find(' ');
            const auto sp2 = request_line.rfind(' ');
            req.method = request_line.substr(0, sp1);
            req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
            const auto q = req.target.find('?');
            req.path = req.target.substr(0, q);
            req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
            std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
            while (pos < head.size()) {
                auto end = head.find("\r\n", pos);
                if (end == std::string::npos) {
                    end = head.size();
                }
                const std::string line = head.substr(pos, end - pos);
                const auto colon = line.find(':');
                if (colon != std::string::npos) {
                    std::string value = line.substr(colon + 1);
                    value.erase(0, value.find_first_not_of(' '));
                    req.headers.emplace_back(lower(line.substr(0, colon)), value);
                }
                pos = end + 2;
            }
            const std::string length = req.header("content-length");
            const std::size_t body_size = length.empty() ? 0 : std::stoul(length);
            while (buffer.size() < body_size) {
                char data[16384];
                const ssize_t n = ::recv(fd, data, sizeof data, 0);
                if (n <= 0) {
                    goto done;
                }
                buffer.append(data, static_cast<std::size_t>(n));
            }
            req.body = buffer.substr(0, body_size);
            buffer.erase(0, body_size);
            if (lower(req.header("connection")) == "close") {
                conn.close_after();
            }
            FakeHandler handler;
            {
                std::lock_guard lock(m_mutex);
                m_requests.push_back(req);
                std::size_t best = 0;
                for (const auto& [method, prefix, h] : m_routes) {
                    if (method == req.method && req.path.rfind(prefix, 0) == 0 &&
                        prefix.size() >= best) {
                        best = prefix.size();
                        handler = h;
                    }
                }
            }
            if (handler) {
                handler(req, conn);
            } else {
                conn.respond(404, R"({"error":"no route"})");
            }
        }
    }
done:
    --m_open;
    ::close(fd);
}

}  // namespace sota::test
