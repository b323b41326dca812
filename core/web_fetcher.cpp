#include "core/web_fetcher.hpp"

#include <algorithm>
#include <cctype>

#include "core/charset.hpp"
#include "core/provider_error.hpp"
#include "core/text.hpp"

namespace sota::core {
namespace {

std::string path_and_query(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return "/";
    }
    const auto slash = url.find('/', scheme + 3);
    std::string p = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    if (const auto hash = p.find('#'); hash != std::string::npos) {
        p.erase(hash);
    }
    return p;
}

bool is_http_url(std::string_view url) {
    const std::string l = to_lower(std::string(url.substr(0, 8)));
    return (l.rfind("http://", 0) == 0 && url.size() > 7) ||
           (l.rfind("https://", 0) == 0 && url.size() > 8);
}

}  // namespace

std::string url_origin(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return "";
    }
    const auto end = url.find_first_of("/?#", scheme + 3);
    return std::string(url.substr(0, end));
}

std::string resolve_url(std::string_view base, std::string_view ref) {
    if (ref.find("://") != std::string_view::npos) {
        return std::string(ref);
    }
    if (ref.rfind("//", 0) == 0) {
        return std::string(base.substr(0, base.find("://") + 1)) + std::string(ref);
    }
    if (!ref.empty() && ref.front() == '/') {
        return url_origin(base) + std::string(ref);
    }
    std::string b(base);
    if (const auto q = b.find_first_of("?#"); q != std::string::npos) {
        b.erase(q);
    }
    const auto slash = b.rfind('/');
    const auto origin_len = url_origin(b).size();
    std::string dir =
        slash != std::string::npos && slash >= origin_len ? b.substr(0, slash + 1) : b + "/";
    return dir + std::string(ref);
}

Expected<bool> WebFetcher::robots_allow(const std::string& url, CancelToken cancel) {
    if (!m_options.respect_robots) {
        return true;
    }
    const std::string origin = url_origin(url);
    {
        std::lock_guard lock(m_mutex);
        if (const auto it = m_robots.find(origin); it != m_robots.end()) {
            return it->second.allowed(path_and_query(url));
        }
    }
    HttpRequest r;
    r.url = origin + "/robots.txt";
    r.set_deadline(m_options.timeout);
    r.max_response_bytes = 512 * 1024;
    r.max_redirects = 3;
    r.allow_private_addresses = m_options.allow_private;
    r.cancel = cancel;
    auto response = m_http.perform(std::move(r));
    RobotsRules rules;
    if (!response) {
        if (response.error().kind == ErrorKind::cancelled ||
            response.error().code == "http.blocked_address") {
            return fail(response.error());
        }
        rules = RobotsRules::disallow_all();  // unreachable robots.txt: assume no permission
    } else if (response->status >= 500) {
        rules = RobotsRules::disallow_all();
    } else if (response->status >= 400) {
        rules = RobotsRules::allow_all();
    } else {
        rules = RobotsRules::parse(response->body, m_options.product_token);
    }
    std::lock_guard lock(m_mutex);
    const auto& kept = m_robots.emplace(origin, std::move(rules)).first->second;
    return kept.allowed(path_and_query(url));
}

Expected<HttpResponse> WebFetcher::get(const std::string& start, const std::string& method,
                                       CancelToken cancel, int& redirects) {
    std::string url = start;
    for (redirects = 0;; ++redirects) {
        if (!is_http_url(url)) {
            return fail(ErrorKind::usage, "web.bad_url", "'" + url + "' is not an http(s) URL");
        }
        auto allowed = robots_allow(url, cancel);
        if (!allowed) {
            return fail(allowed.error());
        }
        if (!*allowed) {
            return fail(ErrorKind::provider, "web.robots",
                        url +
                            " is disallowed by its site's robots.txt; sota skips it (set "
                            "web.respect_robots "
                            "to false only for sites you own)");
        }
        HttpRequest r;
        r.method = method;
        r.url = url;
        r.headers = {{"Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"}};
        r.set_deadline(m_options.timeout);
        r.max_response_bytes = m_options.max_bytes;
        r.allow_private_addresses = m_options.allow_private;
        r.cancel = cancel;
        auto response = m_http.perform(std::move(r));
        if (!response) {
            return response;
        }
        const int s = response->status;
        const auto location = response->header("location");
        if ((s == 301 || s == 302 || s == 303 || s == 307 || s == 308) && location) {
            if (redirects >= m_options.max_redirects) {
                return fail(ErrorKind::provider, "web.redirects",
                            start + " redirected more than " +
                                std::to_string(m_options.max_redirects) + " times");
            }
            url = resolve_url(url, *location);
            continue;
        }
        response->effective_url = url;
        return response;
    }
}

Expected<WebPage> WebFetcher::fetch(const std::string& url, CancelToken cancel) {
    int redirects = 0;
    auto response = get(url, "GET", std::move(cancel), redirects);
    if (!response) {
        return fail(response.error());
    }
    if (response->status < 200 || response->status >= 300) {
        Error e =
            classify_http_error(ProviderKind::web, *response, std::chrono::system_clock::now());
        e.code = "web.status";
        e.message = response->effective_url + " answered " + std::to_string(response->status);
        return fail(std::move(e));
    }
    const std::string content_type = response->header("content-type").value_or("text/html");
    std::string media = to_lower(content_type.substr(0, content_type.find(';')));
    media.erase(std::remove(media.begin(), media.end(), ' '), media.end());
    if (media != "text/html" && media != "application/xhtml+xml" && media != "text/plain") {
        return fail(ErrorKind::provider, "web.unsupported_type",
                    response->effective_url + " is " + media + ", not a web page sota can read");
    }
    std::string charset = charset_from_content_type(content_type);
    if (charset.empty() && media != "text/plain") {
        charset = charset_from_html(response->body);
    }
    auto text = to_utf8(response->body, charset);
    if (!text) {
        return fail(text.error());
    }
    WebPage page;
    page.url = response->effective_url;
    page.status = response->status;
    page.content_type = media;
    page.charset =
        charset.empty() ? (is_valid_utf8(response->body) ? "utf-8" : "windows-1252") : charset;
    page.text = std::move(*text);
    page.redirects = redirects;
    return page;
}

Expected<int> WebFetcher::check(const std::string& url, CancelToken cancel) {
    int redirects = 0;
    auto head = get(url, "HEAD", cancel, redirects);
    if (head && head->status != 405 && head->status != 403 && head->status != 501) {
        return head->status;
    }
    if (!head && head.error().code != "http.reset") {
        return fail(head.error());
    }
    auto response = get(url, "GET", std::move(cancel), redirects);
    if (!response) {
        return fail(response.error());
    }
    return response->status;
}

}  // namespace sota::core
