#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/http.hpp"

namespace sota::adapters {

/// HTTP/1.1 over plain TCP to a server named by its IP address or localhost, on kept-alive
/// connections: the way CurlHttpClient sends a model API's requests when the model runs on this
/// machine or the local network (Ollama, vLLM, llama.cpp's server, the tests' fakes). There,
/// libcurl's fixed cost per request (headers formatted a byte at a time, two poll()s and an
/// epoll_ctl per request) was the largest part of the daemon's CPU per step; here a request is
/// written with one send() and its answer is usually read with one recv(). Everything else
/// (HTTPS, other host names, proxies, compression, redirects, HEAD) stays with libcurl: see
/// route().
///
/// Driven by its owner's epoll loop, on that one thread: every socket is registered with
/// `data.u64 = k_tag | fd`, and the owner hands those events to on_event(). Errors carry the
/// same codes as the libcurl path (http.connect, http.reset, http.timeout, ...).
class PlainHttp {
  public:
    /// Marks this engine's sockets in the owner's epoll set (the low 32 bits are the fd).
    static constexpr std::uint64_t k_tag = std::uint64_t{1} << 32;

    /// Where a request goes.
    struct Target {
        sockaddr_storage address{};
        socklen_t address_size = 0;
        sockaddr_storage second{};  ///< tried when `address` refuses (localhost's ::1)
        socklen_t second_size = 0;  ///< 0: none
        std::string key;            ///< address and port: connections are shared per key
        std::string authority;      ///< the Host header
        std::string path;           ///< path and query, as sent
    };

    /// Where `request` goes, when it can go this way: an http:// URL whose host is an IP
    /// address or localhost (127.0.0.1, then ::1, as libcurl), no compression asked for, no
    /// redirects to follow, not HEAD, and plain ASCII in the path and headers. nullopt: leave it to
    /// libcurl.
    static std::optional<Target> route(const core::HttpRequest& request);

    /// `in_flight` is the owner's count of requests accepted and not yet answered: decremented
    /// here just before a request's callback runs.
    PlainHttp(int epoll_fd, std::string user_agent, std::atomic<std::size_t>& in_flight);
    /// Closes every connection (call cancel_all() first to answer the requests still open).
    ~PlainHttp();
    PlainHttp(const PlainHttp&) = delete;
    PlainHttp& operator=(const PlainHttp&) = delete;

    /// Sends `request` to `target`; `done` runs once, on the owner's thread.
    void start(core::HttpRequest request, core::HttpCallback done, Target target);
    /// A socket of this engine is ready (`events` as epoll reported them).
    void on_event(int fd, std::uint32_t events);
    /// Ends requests cancelled or past their limits, and closes connections idle too long.
    void sweep(std::chrono::steady_clock::time_point now);
    /// Ends every request still open as cancelled (the owner is shutting down).
    void cancel_all();
    /// Whether `fd` is one of this engine's connections.
    bool owns(int fd) const { return m_connections.count(fd) != 0; }
    /// Requests answered or failed this way so far.
    std::size_t requests() const { return m_requests.load(std::memory_order_relaxed); }

  private:
    struct Exchange;
    struct Connection;
    enum class Fed { more, done, failed };

    void connect(std::unique_ptr<Exchange> x);
    static bool take_second_address(Target& target);
    Connection* open(const Target& target, int& error);
    void begin(Connection* c);
    bool flush(Connection* c);
    void receive(Connection* c);
    Fed feed(Connection* c, const char* data, std::size_t size);
    Fed feed_head(Connection* c, const char*& data, std::size_t& size);
    bool deliver(Connection* c, const char* data, std::size_t size);
    void complete(Connection* c);
    void broke_off(Connection* c, int error);
    void fail(Connection* c, core::Error error);
    void answer(std::unique_ptr<Exchange> x, core::Expected<core::HttpResponse> result);
    void watch(Connection* c, bool writable);
    void close(Connection* c);
    void forget_idle(Connection* c);

    int m_epoll;
    std::string m_user_agent;
    std::atomic<std::size_t>& m_in_flight;
    std::atomic<std::size_t> m_requests{0};
    std::unordered_map<int, std::unique_ptr<Connection>> m_connections;
    /// Kept-alive connections per key, the most recently used last.
    std::unordered_map<std::string, std::vector<Connection*>> m_idle;
    std::vector<char> m_buffer;
};

}  // namespace sota::adapters
