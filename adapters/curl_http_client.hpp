#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/http.hpp"

struct Curl_URL;  // CURLU, <curl/urlapi.h>

namespace sota::adapters {

class PlainHttp;

/// HttpClient on libcurl's multi interface: one I/O thread drives every request over epoll, so
/// thousands can be in flight without a thread each and a wake-up costs the same for any number.
/// Connections are reused; HTTP/2 is used where a TLS server offers it; gzip/deflate/brotli/zstd
/// bodies are accepted and decoded; proxies come from the standard environment variables (loopback
/// is never proxied). Requests to a plain-HTTP server named by its IP address or localhost that ask
/// for no compression (model APIs on this machine or the local network) skip libcurl and go over
/// PlainHttp, on the same thread and epoll set (Options::plain_http). Thread-safe.
class CurlHttpClient final : public core::HttpClient {
  public:
    struct Options {
        std::string user_agent;  ///< default "sota/VERSION"
        /// curl --connect-to rules, "HOST:PORT:CONNECT_HOST:CONNECT_PORT": requests for one
        /// host go to another (the URL, Host header and TLS name stay the same).
        std::vector<std::string> connect_to;
        /// Plain-HTTP requests to an IP address or localhost that ask for no compression (a local
        /// model server's API) go over PlainHttp's own HTTP/1.1 connections instead of libcurl's,
        /// for a fraction of the CPU per request. false: everything through libcurl.
        bool plain_http = true;
    };

    CurlHttpClient();
    explicit CurlHttpClient(Options options);
    /// Fails every request still in flight with ErrorKind::cancelled, then stops the I/O thread.
    ~CurlHttpClient() override;
    CurlHttpClient(const CurlHttpClient&) = delete;
    CurlHttpClient& operator=(const CurlHttpClient&) = delete;

    void send(core::HttpRequest request, core::HttpCallback done) override;

    /// Requests accepted and not yet completed.
    std::size_t in_flight() const { return m_in_flight.load(); }
    /// Requests answered so far on PlainHttp's connections rather than libcurl's.
    std::size_t plain_requests() const;

    /// Completes an exchange whose transport ended with `code` into a response or an error
    /// (public for tests of the classification).
    struct Transfer;

  private:
    void loop();
    void start(std::unique_ptr<Transfer> transfer);
    void finish(Transfer* transfer, int curl_code);
    /// `url` parsed, when it was requested before (nullptr: pass the text).
    ::Curl_URL* parsed_url(const std::string& url);
    void forget_parsed_urls();
    void sweep();
    void collect();
    void wake();
    void watch(int fd, int what);
    static int on_socket(void* easy, int fd, int what, void* self, void* socket_data);
    static int on_timer(void* multi, long timeout_ms, void* self);

    Options m_options;
    std::string m_user_agent_header;
    std::string m_no_proxy;
    /// Proxies from the environment, read once as libcurl reads them; a request's proxy is
    /// chosen here (see start()) so the private-address guard knows which connection is the
    /// proxy's.
    std::string m_http_proxy;
    std::string m_https_proxy;
    void* m_connect_to = nullptr;  // curl_slist*
    void* m_multi = nullptr;       // CURLM*
    std::mutex m_mutex;
    std::vector<std::unique_ptr<Transfer>> m_incoming;
    std::unordered_map<Transfer*, std::unique_ptr<Transfer>> m_active;  // I/O thread only
    static constexpr std::size_t k_spare_handles = 64;
    struct SpareHandle {
        void* easy;         // CURL*
        std::string shape;  // the kind of request it is set up for
    };
    std::vector<SpareHandle> m_spare;  // easy handles to reuse; I/O thread only
    /// URLs requested before, parsed (CURLU*; nullptr when seen once). I/O thread only.
    std::unordered_map<std::string, void*> m_urls;
    /// The sockets in the epoll set and the events asked for. A socket curl lets go of stays in
    /// the set, unwanted, so that the next request on the same connection takes one
    /// epoll_ctl, not three; should it turn readable meanwhile (the server closed it), it
    /// leaves the set then. I/O thread only.
    struct Watched {
        unsigned events = 0;
        bool wanted = false;
    };
    std::unordered_map<int, Watched> m_watched;
    int m_epoll = -1;
    int m_wakeup = -1;                                             // eventfd: new requests or stop
    std::optional<std::chrono::steady_clock::time_point> m_timer;  // curl's next timeout
    std::atomic<bool> m_stop{false};
    std::atomic<std::size_t> m_in_flight{0};
    std::unique_ptr<PlainHttp> m_plain;  // I/O thread only, after construction
    std::thread m_thread;
};

}  // namespace sota::adapters
