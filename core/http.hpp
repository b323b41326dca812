#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/cancel.hpp"
#include "core/expected.hpp"

namespace sota::core {

/// Header list in order; names as given on requests, lower-cased on responses.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// The value of the first header with this name (case-insensitive), if any.
std::optional<std::string> find_header(const HttpHeaders& headers, std::string_view name);

/// Receives a response body as it arrives. Return false to abort the transfer.
using BodySink = std::function<bool(std::string_view chunk)>;

/// One HTTP request and its limits.
struct HttpRequest {
    std::string method = "GET";
    std::string url;
    HttpHeaders headers;
    std::string body;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds total_timeout{120'000};  ///< whole exchange; 0 = none (streams)
    std::chrono::milliseconds idle_timeout{60'000};    ///< no byte received for this long fails
    std::int64_t max_response_bytes = 32LL << 20;      ///< larger bodies fail (not retryable)
    int max_redirects = 0;                             ///< 0: redirects are returned, not followed
    /// false: refuse to connect to loopback, private, link-local and other non-public addresses,
    /// checked on the resolved address of every connection (ErrorKind::usage,
    /// "http.blocked_address").
    bool allow_private_addresses = true;
    /// Asks for a compressed answer (gzip, deflate, brotli, zstd: whatever the client can
    /// decode), decoded before it reaches the caller. Worth it for web pages; model APIs, whose
    /// answers are small next to the time they take, leave it off: the header alone was a
    /// measurable part of the daemon's cost per request.
    bool accept_compressed = true;
    BodySink on_body;  ///< if set, the body is streamed here instead of collected
    CancelToken cancel;

    /// Bounds the whole exchange by `limit` alone (no separate idle limit): for answers read whole.
    void set_deadline(std::chrono::milliseconds limit) {
        total_timeout = limit;
        idle_timeout = std::chrono::milliseconds(0);
    }
};

/// A complete HTTP answer (any status).
struct HttpResponse {
    int status = 0;
    HttpHeaders headers;  ///< names lower-cased
    std::string body;     ///< empty when streamed to on_body
    std::string effective_url;
    std::string http_version;  ///< "1.1", "2"
    std::chrono::milliseconds first_byte{0};
    std::chrono::milliseconds total{0};

    std::optional<std::string> header(std::string_view name) const {
        return find_header(headers, name);
    }
};

/// Called once per request with the response or a transport error (ErrorKind::network for
/// connect failures, resets and timeouts, retryable; ErrorKind::cancelled; ErrorKind::provider
/// for a response over the size cap, not retryable).
using HttpCallback = std::function<void(Expected<HttpResponse>)>;

/// Sends HTTP requests. Implementations: the libcurl client (adapters), the record/replay
/// transport, fakes in tests. Thread-safe: send() may be called from any thread.
class HttpClient {
  public:
    virtual ~HttpClient() = default;

    /// Starts a request and returns at once; `done` runs exactly once, on a thread of the
    /// client's choosing (it must not block for long).
    virtual void send(HttpRequest request, HttpCallback done) = 0;

    /// Sends and waits for the answer.
    Expected<HttpResponse> perform(HttpRequest request);
};

}  // namespace sota::core
