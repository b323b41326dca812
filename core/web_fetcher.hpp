#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "core/expected.hpp"
#include "core/http.hpp"
#include "core/robots.hpp"

namespace sota::core {

/// A fetched web page, decoded to UTF-8.
struct WebPage {
    std::string url;  ///< after redirects
    int status = 0;
    std::string content_type;  ///< media type only, lower-cased ("text/html")
    std::string charset;       ///< what the bytes were decoded from
    std::string text;          ///< UTF-8
    int redirects = 0;
};

/// Limits and manners of the fetcher.
struct WebFetchOptions {
    bool respect_robots = true;
    bool allow_private = false;  ///< reach loopback/private/link-local addresses (tests: true)
    int max_redirects = 5;
    std::chrono::milliseconds timeout{15'000};
    std::int64_t max_bytes = 5LL << 20;
    std::string product_token = "sota";  ///< the robots.txt user-agent token
};

/// Fetches competitor pages and reference URLs: redirects followed by hand (each hop checked
/// against robots.txt and, at connect time, the private-address guard), a size and time cap,
/// only text/html, application/xhtml+xml and text/plain accepted, charset from the header or
/// <meta>, decoded to UTF-8. robots.txt is fetched once per origin and kept. Thread-safe.
class WebFetcher {
  public:
    WebFetcher(HttpClient& http, WebFetchOptions options)
        : m_http(http), m_options(std::move(options)) {}

    /// Fetches a page. Errors: "web.bad_url", "web.robots" (disallowed), "web.status" (4xx/5xx;
    /// 5xx and 429 retryable), "web.unsupported_type", "web.redirects", "http.blocked_address",
    /// and the HTTP client's transport errors.
    Expected<WebPage> fetch(const std::string& url, CancelToken cancel = {});

    /// Whether a URL answers with a success status (HEAD, then GET if HEAD is refused); for
    /// verifying references. Robots rules apply.
    Expected<int> check(const std::string& url, CancelToken cancel = {});

  private:
    Expected<HttpResponse> get(const std::string& url, const std::string& method,
                               CancelToken cancel, int& redirects);
    Expected<bool> robots_allow(const std::string& url, CancelToken cancel);

    HttpClient& m_http;
    WebFetchOptions m_options;
    std::mutex m_mutex;
    std::map<std::string, RobotsRules> m_robots;  // by origin
};

/// "https://host:port" of a URL, or "" if it has none.
std::string url_origin(std::string_view url);

/// Resolves a (possibly relative) reference against a base URL.
std::string resolve_url(std::string_view base, std::string_view reference);

}  // namespace sota::core
