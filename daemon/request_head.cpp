#include "daemon/request_head.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>

#include "core/api/protocol.hpp"
#include "core/text.hpp"

namespace sota::daemon {

namespace {

HeadVerdict refuse(int status, std::string code, std::string message) {
    return {HeadVerdict::State::refused, status, std::move(code), std::move(message)};
}

HeadVerdict malformed(const std::string& what) {
    return refuse(400, "request.malformed", "the request is not well-formed HTTP/1.1: " + what);
}

/// RFC 9110 token characters (methods, header names).
bool is_token(std::string_view text) {
    if (text.empty()) {
        return false;
    }
    for (const unsigned char c : text) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') ||
                        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                            std::string_view::npos;
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool has_control(std::string_view text, bool tab_allowed) {
    for (const unsigned char c : text) {
        if ((c < 0x20 && !(tab_allowed && c == '\t')) || c == 0x7F) {
            return true;
        }
    }
    return false;
}

/// The next line of `bytes` from `from` (without its CRLF or LF), and where the one after
/// starts; npos when the line has not ended yet.
std::size_t line_end(std::string_view bytes, std::size_t from, std::string_view& line) {
    const auto lf = bytes.find('\n', from);
    if (lf == std::string_view::npos) {
        return lf;
    }
    std::size_t end = lf;
    if (end > from && bytes[end - 1] == '\r') {
        --end;
    }
    line = bytes.substr(from, end - from);
    return lf + 1;
}

HeadVerdict check_request_line(std::string_view line, const HeadLimits& limits, bool& http11) {
    const auto first = line.find(' ');
    const auto last = line.rfind(' ');
    if (first == std::string_view::npos || first == last) {
        return malformed("the request line must be METHOD /path HTTP/1.1");
    }
    const std::string_view method = line.substr(0, first);
    const std::string_view target = line.substr(first + 1, last - first - 1);
    const std::string_view version = line.substr(last + 1);
    if (!is_token(method)) {
        return malformed("the method is not a token");
    }
    if (target.size() > limits.max_target) {
        return refuse(414, "request.uri_too_long",
                      "the path and query are " + std::to_string(target.size()) +
                          " bytes; at most " + std::to_string(limits.max_target) + " are read");
    }
    if (target.empty() || target.front() != '/' || target.find(' ') != std::string_view::npos ||
        has_control(target, false)) {
        return malformed(
            "the target must be a path starting with '/', without spaces or "
            "control characters");
    }
    if (version == "HTTP/1.1") {
        http11 = true;
        return {};
    }
    if (version == "HTTP/1.0") {
        http11 = false;
        return {};
    }
    if (version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
        std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
        std::isdigit(static_cast<unsigned char>(version[7]))) {
        return refuse(505, "request.http_version",
                      std::string(version) + " is not spoken here; send HTTP/1.1");
    }
    return malformed("the version must be HTTP/1.1");
}

}  // namespace

HeadVerdict check_request_head(std::string_view bytes, const HeadLimits& limits) {
    // Empty lines before the request line are skipped (RFC 9112, 2.2).
    std::size_t pos = 0;
    while (pos < bytes.size() && (bytes[pos] == '\r' || bytes[pos] == '\n')) {
        ++pos;
    }
    std::string_view line;
    std::size_t next = line_end(bytes, pos, line);
    if (next == std::string_view::npos) {
        // The request line alone may not pass the head's limit; a long line without a space
        // yet is a target too long.
        if (bytes.size() - pos > limits.max_target + 64) {
            return refuse(
                414, "request.uri_too_long",
                "the request line is longer than " + std::to_string(limits.max_target) + " bytes");
        }
        if (has_control(bytes.substr(pos), false) && bytes.back() != '\r') {
            return malformed("the request line holds control characters");
        }
        return {};
    }
    bool http11 = true;
    if (auto verdict = check_request_line(line, limits, http11);
        verdict.state == HeadVerdict::State::refused) {
        return verdict;
    }
    bool host = false, length_seen = false;
    std::uint64_t length = 0;
    while (true) {
        if (next - pos > limits.max_head) {
            break;
        }
        const std::size_t start = next;
        next = line_end(bytes, start, line);
        if (next == std::string_view::npos) {
            if (bytes.size() - pos > limits.max_head) {
                break;
            }
            return {};  // checked once the line ends
        }
        if (line.empty()) {
            if (next - pos > limits.max_head) {
                break;
            }
            if (http11 && !host) {
                return refuse(400, "request.no_host",
                              "an HTTP/1.1 request needs a Host header (any name will do)");
            }
            return {HeadVerdict::State::complete, 0, {}, {}};
        }
        if (line.front() == ' ' || line.front() == '\t') {
            return malformed("folded header lines are not accepted");
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
            return malformed("a header line must be Name: value");
        }
        const std::string_view name = line.substr(0, colon);
        const std::string value = core::trim(line.substr(colon + 1));
        if (has_control(value, true)) {
            return malformed("the " + std::string(name) + " header holds control characters");
        }
        if (core::equals_ignoring_case(name, "host")) {
            host = true;
        } else if (core::equals_ignoring_case(name, "transfer-encoding")) {
            return refuse(411, "request.length_required",
                          "send the body with a Content-Length; Transfer-Encoding (chunked) "
                          "bodies are not accepted");
        } else if (core::equals_ignoring_case(name, "content-length")) {
            std::uint64_t n = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) {
                return malformed("Content-Length must be a decimal number");
            }
            if (ec == std::errc::result_out_of_range || n > limits.max_body) {
                return refuse(
                    413, "request.too_large",
                    "request bodies are limited to " + std::to_string(limits.max_body) + " bytes");
            }
            if (length_seen && n != length) {
                return malformed("Content-Length is given twice with different values");
            }
            length = n;
            length_seen = true;
        }
    }
    return refuse(431, "request.headers_too_large",
                  "the request line and headers are limited to " + std::to_string(limits.max_head) +
                      " bytes");
}

std::string json_error_answer(int status, const std::string& code, const std::string& message,
                              bool retryable) {
    const char* reason = "Error";
    switch (status) {
        case 400:
            reason = "Bad Request";
            break;
        case 403:
            reason = "Forbidden";
            break;
        case 408:
            reason = "Request Timeout";
            break;
        case 411:
            reason = "Length Required";
            break;
        case 413:
            reason = "Content Too Large";
            break;
        case 414:
            reason = "URI Too Long";
            break;
        case 429:
            reason = "Too Many Requests";
            break;
        case 431:
            reason = "Request Header Fields Too Large";
            break;
        case 503:
            reason = "Service Unavailable";
            break;
        case 505:
            reason = "HTTP Version Not Supported";
            break;
        default:
            break;
    }
    core::Error error{core::ErrorKind::usage, code, message, retryable};
    const std::string body = core::api::error_body(error).dump() + "\n";
    return "HTTP/1.1 " + std::to_string(status) + " " + reason +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace sota::daemon
