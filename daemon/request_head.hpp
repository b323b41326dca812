#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sota::daemon {

/// The limits on a request's head that sotad's front door enforces before libmicrohttpd
/// reads the request (docs/protocol.md, "Limits").
struct HeadLimits {
    std::size_t max_target = 8 * 1024;  ///< the request line's path and query, bytes
    std::size_t max_head = 16 * 1024;   ///< request line and headers, bytes
    std::size_t max_body = 1U << 20;    ///< Content-Length, bytes
};

/// What the front door makes of the bytes a connection has sent so far.
struct HeadVerdict {
    enum class State {
        incomplete,  ///< no complete head yet, and nothing wrong so far
        complete,    ///< a well-formed head: hand the connection to the HTTP server
        refused,     ///< answer `status` with the JSON error {code, message} and close
    };
    State state = State::incomplete;
    int status = 0;
    std::string code;
    std::string message;
};

/// Checks the start of a request: the request line (method token, a target starting with
/// '/', no control characters, HTTP/1.0 or HTTP/1.1), the header lines (name: value, no
/// folding, no control characters), Host for HTTP/1.1, Content-Length (digits, at most
/// max_body) and no Transfer-Encoding. libmicrohttpd answers these faults with fixed HTML
/// pages; checking them first lets sotad answer every one as JSON with a stable code:
/// 400 request.malformed, 400 request.no_host, 411 request.length_required,
/// 413 request.too_large, 414 request.uri_too_long, 431 request.headers_too_large,
/// 505 request.http_version. `bytes` is what has arrived (it may hold a body after the head).
HeadVerdict check_request_head(std::string_view bytes, const HeadLimits& limits);

/// A whole HTTP/1.1 answer with a JSON error body {"error": {code, message, retryable}} and
/// Connection: close, for the front door to write itself.
std::string json_error_answer(int status, const std::string& code, const std::string& message,
                              bool retryable = false);

}  // namespace sota::daemon
