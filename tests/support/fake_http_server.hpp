#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sota::test {

/// A request as the fake server received it.
struct FakeRequest {
    std::string method;
    std::string target;  ///< path and query as sent
    std::string path;
    std::string query;
    std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
    std::string body;

    std::string header(std::string_view name) const;
    /// The value of a query parameter ("" if absent; no percent-decoding beyond '+').
    std::string query_param(std::string_view name) const;
};

/// The connection a handler answers on, with byte-level control for failure modes.
class FakeConnection {
  public:
    explicit FakeConnection(int fd) : m_fd(fd) {}

    /// A whole response with Content-Length. `headers` are "Name: value" pairs.
    void respond(int status, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers = {},
                 const std::string& content_type = "application/json");
    /// Starts a chunked response (for SSE streams); then chunk() and end_chunks().
    void start_chunked(int status, const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& content_type = "text/event-stream");
    void chunk(std::string_view data);
    void end_chunks();
    /// Raw bytes, exactly as given.
    void raw(std::string_view bytes);
    /// Closes with a TCP reset (SO_LINGER 0): the client sees "connection reset".
    void reset();
    /// Closes the connection after this exchange (no keep-alive).
    void close_after() { m_close = true; }

    bool closed() const { return m_fd < 0; }
    bool wants_close() const { return m_close; }
    int fd() const { return m_fd; }

  private:
    int m_fd;
    bool m_close = false;
};

using FakeHandler = std::function<void(const FakeRequest&, FakeConnection&)>;

/// An HTTP/1.1 server on 127.0.0.1 with an ephemeral port, a thread per connection and
/// keep-alive. Handlers are matched by method and longest path prefix; unmatched requests get
/// 404. Records every request. Stops (closing every connection) on destruction.
class FakeHttpServer {
  public:
    FakeHttpServer();
    ~FakeHttpServer();
    FakeHttpServer(const FakeHttpServer&) = delete;
    FakeHttpServer& operator=(const FakeHttpServer&) = delete;

    int port() const { return m_port; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

    /// Routes `method` requests whose path starts with `prefix` to `handler`.
    void route(const std::string& method, const std::string& prefix, FakeHandler handler);

    /// Every request received so far.
    std::vector<FakeRequest> requests() const;
    /// How many requests had this exact path.
    std::size_t count(const std::string& path) const;
    /// Connections accepted so far, and currently open.
    std::size_t connections_accepted() const { return m_accepted.load(); }
    std::size_t connections_open() const { return m_open.load(); }

  private:
    void accept_loop();
    void serve(int fd);

    int m_listen_fd = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<std::size_t> m_accepted{0};
    std::atomic<std::size_t> m_open{0};
    mutable std::mutex m_mutex;
    std::vector<std::tuple<std::string, std::string, FakeHandler>> m_routes;
    std::vector<FakeRequest> m_requests;
    std::vector<int> m_client_fds;
    std::vector<std::thread> m_threads;
    std::thread m_acceptor;
};

}  // namespace sota::test
