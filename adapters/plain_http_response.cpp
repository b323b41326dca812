// PlainHttp reading an answer: the status line and headers (1xx interim answers skipped),
// then a body framed by Content-Length, chunked transfer coding, or the connection's end, in
// whatever pieces the bytes arrive.

#include <algorithm>
#include <cctype>
#include <cstring>

#include "adapters/http_errors.hpp"
#include "adapters/plain_http.hpp"
#include "adapters/plain_http_state.hpp"
#include "core/text.hpp"

namespace sota::adapters {

namespace {

// Limits as libcurl's: a response's header block, and a chunk-size or trailer line.
constexpr std::size_t k_max_head = 100 * 1024;
constexpr std::size_t k_max_line = 8 * 1024;

/// Whether a comma-separated header value holds `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        const auto comma = value.find(',');
        std::string_view item = value.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
            item.remove_prefix(1);
        }
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
            item.remove_suffix(1);
        }
        if (core::equals_ignoring_case(item, token)) {
            return true;
        }
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
    return false;
}

}  // namespace

PlainHttp::Fed PlainHttp::feed(Connection* c, const char* data, std::size_t size) {
    Exchange& x = *c->x;
    using Phase = Exchange::Phase;
    while (size > 0) {
        switch (x.phase) {
            case Phase::head: {
                const Fed fed = feed_head(c, data, size);
                if (fed != Fed::more) {
                    return fed;
                }
                break;
            }
            case Phase::length:
            case Phase::chunk_data: {
                const auto n = static_cast<std::size_t>(
                    std::min<std::int64_t>(x.remaining, static_cast<std::int64_t>(size)));
                if (!deliver(c, data, n)) {
                    return Fed::failed;
                }
                data += n;
                size -= n;
                x.remaining -= static_cast<std::int64_t>(n);
                if (x.remaining == 0) {
                    if (x.phase == Phase::length) {
                        x.keep_alive = x.keep_alive && size == 0;  // nothing unasked for
                        return Fed::done;
                    }
                    x.phase = Phase::chunk_end;
                }
                break;
            }
            case Phase::until_close:
                if (!deliver(c, data, size)) {
                    return Fed::failed;
                }
                size = 0;
                break;
            case Phase::chunk_size:
            case Phase::chunk_end:
            case Phase::trailers: {
                const char* nl = static_cast<const char*>(std::memchr(data, '\n', size));
                const std::size_t take = nl ? static_cast<std::size_t>(nl - data) + 1 : size;
                x.line.append(data, take);
                data += take;
                size -= take;
                if (x.line.size() > k_max_line) {
                    fail(c, http_errors::failed(x.request, "a chunk line is too long"));
                    return Fed::failed;
                }
                if (!nl) {
                    break;
                }
                std::string_view line(x.line);
                line.remove_suffix(1);
                if (!line.empty() && line.back() == '\r') {
                    line.remove_suffix(1);
                }
                if (x.phase == Phase::chunk_end) {
                    if (!line.empty()) {
                        fail(c,
                             http_errors::failed(x.request, "a chunk has more data than its size"));
                        return Fed::failed;
                    }
                    x.phase = Phase::chunk_size;
                } else if (x.phase == Phase::trailers) {
                    if (line.empty()) {
                        x.keep_alive = x.keep_alive && size == 0;
                        return Fed::done;
                    }
                } else {
                    const std::string_view digits = line.substr(0, line.find_first_of("; \t"));
                    std::int64_t chunk = 0;
                    bool valid = !digits.empty() && digits.size() <= 15;
                    for (const char d : digits) {
                        const int v = std::isdigit(static_cast<unsigned char>(d)) ? d - '0'
                                      : (d >= 'a' && d <= 'f')                    ? d - 'a' + 10
                                      : (d >= 'A' && d <= 'F')                    ? d - 'A' + 10
                                                                                  : -1;
                        valid = valid && v >= 0;
                        chunk = chunk * 16 + std::max(v, 0);
                    }
                    if (!valid) {
                        fail(c, http_errors::failed(x.request, "a chunk size is not hexadecimal"));
                        return Fed::failed;
                    }
                    x.remaining = chunk;
                    x.phase = chunk == 0 ? Phase::trailers : Phase::chunk_data;
                }
                x.line.clear();
                break;
            }
        }
    }
    return Fed::more;
}

PlainHttp::Fed PlainHttp::feed_head(Connection* c, const char*& data, std::size_t& size) {
    Exchange& x = *c->x;
    using Phase = Exchange::Phase;
    while (size > 0 && x.phase == Phase::head) {
        const char* nl = static_cast<const char*>(std::memchr(data, '\n', size));
        const std::size_t take = nl ? static_cast<std::size_t>(nl - data) + 1 : size;
        x.head_size += take;
        if (x.head_size > k_max_head) {
            fail(c, http_errors::failed(x.request, "the response headers are too large"));
            return Fed::failed;
        }
        std::string_view line;
        if (nl && x.line.empty()) {
            line = std::string_view(data, take - 1);  // whole in this read: no copy
        } else {
            x.line.append(data, take);
            if (nl) {
                line = std::string_view(x.line).substr(0, x.line.size() - 1);
            }
        }
        data += take;
        size -= take;
        if (!nl) {
            return Fed::more;
        }
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        core::HttpResponse& response = x.response;
        if (!x.status_seen) {
            // "HTTP/1.1 200 OK"
            if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ' ||
                !std::all_of(line.begin() + 9, line.begin() + 12, ::isdigit) ||
                (line.size() > 12 && line[12] != ' ')) {
                fail(c, http_errors::failed(x.request, "the answer is not an HTTP/1.x response"));
                return Fed::failed;
            }
            response.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
            x.keep_alive = line[7] == '1';  // HTTP/1.0 closes unless it says otherwise
            x.status_seen = true;
        } else if (!line.empty()) {
            const auto colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0) {
                fail(c, http_errors::failed(x.request, "a response header has no name"));
                return Fed::failed;
            }
            std::string_view value = line.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
                value.remove_prefix(1);
            }
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
                value.remove_suffix(1);
            }
            response.headers.emplace_back(core::to_lower(line.substr(0, colon)), value);
        } else if (response.status >= 100 && response.status < 200) {
            if (response.status == 101) {
                fail(c, http_errors::failed(x.request, "the server switched protocols"));
                return Fed::failed;
            }
            response.headers.clear();  // an interim answer; the real one follows
            x.status_seen = false;
        } else {
            // The end of the head: how the body is framed.
            std::optional<std::int64_t> length;
            bool chunked = false;
            for (const auto& [name, value] : response.headers) {
                if (name == "transfer-encoding") {
                    if (!has_token(value, "chunked")) {
                        fail(c, http_errors::failed(x.request,
                                                    "unsupported Transfer-Encoding " + value));
                        return Fed::failed;
                    }
                    chunked = true;
                } else if (name == "content-length") {
                    if (value.empty() || value.size() > 18 ||
                        !std::all_of(value.begin(), value.end(), ::isdigit) ||
                        (length && *length != std::stoll(value))) {
                        fail(c, http_errors::failed(x.request, "a bad Content-Length"));
                        return Fed::failed;
                    }
                    length = std::stoll(value);
                } else if (name == "connection") {
                    if (has_token(value, "close")) {
                        x.keep_alive = false;
                    } else if (has_token(value, "keep-alive")) {
                        x.keep_alive = true;
                    }
                }
            }
            const std::int64_t cap = x.request.max_response_bytes;
            if (response.status == 204 || response.status == 304) {
                x.keep_alive = x.keep_alive && size == 0;
                return Fed::done;
            }
            if (chunked) {
                x.phase = Phase::chunk_size;
            } else if (length) {
                if (cap > 0 && *length > cap) {
                    fail(c, http_errors::too_large(x.request));
                    return Fed::failed;
                }
                if (*length == 0) {
                    x.keep_alive = x.keep_alive && size == 0;
                    return Fed::done;
                }
                if (!x.request.on_body) {
                    response.body.reserve(static_cast<std::size_t>(*length));
                }
                x.remaining = *length;
                x.phase = Phase::length;
            } else {
                x.phase = Phase::until_close;
                x.keep_alive = false;
            }
        }
        if (!x.line.empty()) {
            x.line.clear();
        }
    }
    return Fed::more;
}

bool PlainHttp::deliver(Connection* c, const char* data, std::size_t size) {
    Exchange& x = *c->x;
    x.received += static_cast<std::int64_t>(size);
    if (x.request.max_response_bytes > 0 && x.received > x.request.max_response_bytes) {
        fail(c, http_errors::too_large(x.request));
        return false;
    }
    if (x.request.on_body) {
        if (size > 0 && !x.request.on_body(std::string_view(data, size))) {
            fail(c, http_errors::aborted(x.request));
            return false;
        }
        return true;
    }
    x.response.body.append(data, size);
    return true;
}

}  // namespace sota::adapters
