#pragma once

// PlainHttp's connections and the exchange each carries: shared by plain_http.cpp (the
// connections) and plain_http_response.cpp (reading an answer). Not for other users.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "adapters/plain_http.hpp"

namespace sota::adapters {

struct PlainHttp::Exchange {
    core::HttpRequest request;
    core::HttpCallback done;
    Target target;
    core::HttpResponse response;
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point last_activity;
    bool any_byte = false;     // of the response
    bool retried = false;      // once, on a fresh connection, after a kept-alive one died
    bool keep_alive = true;    // the connection can carry the next request
    bool status_seen = false;  // of the current response head
    enum class Phase { head, length, chunk_size, chunk_data, chunk_end, trailers, until_close };
    Phase phase = Phase::head;
    std::string line;  // a line not yet complete (head, chunk size, trailer)
    std::size_t head_size = 0;
    std::int64_t remaining = 0;
    std::int64_t received = 0;
};

struct PlainHttp::Connection {
    int fd = -1;
    std::string key;
    bool connecting = false;
    bool writable_watched = false;
    bool reused = false;  // carried an exchange before this one
    std::chrono::steady_clock::time_point idle_since;
    std::unique_ptr<Exchange> x;  // the exchange under way; none while idle
    std::string out;              // the request, sent up to out_sent; empty once sent
    std::size_t out_sent = 0;
};

}  // namespace sota::adapters
