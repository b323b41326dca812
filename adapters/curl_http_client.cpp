#include "adapters/curl_http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "adapters/address_guard.hpp"
#include "adapters/http_errors.hpp"
#include "adapters/plain_http.hpp"
#include "core/text.hpp"
#include "core/version.hpp"

namespace sota::adapters {

using Clock = std::chrono::steady_clock;

struct CurlHttpClient::Transfer {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    core::HttpRequest request;
    core::HttpResponse response;
    core::HttpCallback done;
    Clock::time_point last_activity = Clock::now();
    std::int64_t received = 0;
    bool too_large = false;
    bool idle_expired = false;
    bool cancelled = false;
    bool sink_stopped = false;
    bool blocked_address = false;
    bool proxied = false;  // the connection is to a proxy, which reaches the host
    std::string shape;     // the settings the handle was given that other requests share
    std::string blocked_ip;
    char error_buffer[CURL_ERROR_SIZE] = {};

    ~Transfer() {
        if (easy) {
            curl_easy_cleanup(easy);
        }
        if (headers) {
            curl_slist_free_all(headers);
        }
    }
};

namespace {

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<CurlHttpClient::Transfer*>(user);
    const std::size_t n = size * count;
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.remove_suffix(1);
    }
    t->last_activity = Clock::now();
    if (line.substr(0, 5) == "HTTP/") {
        t->response.headers.clear();  // a new response (after 100-continue or a redirect)
        return n;
    }
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        std::string name = core::to_lower(line.substr(0, colon));
        std::string_view value = line.substr(colon + 1);
        const auto b = value.find_first_not_of(" \t");
        value = b == std::string_view::npos ? std::string_view() : value.substr(b);
        t->response.headers.emplace_back(std::move(name), std::string(value));
    }
    return n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<CurlHttpClient::Transfer*>(user);
    const std::size_t n = size * count;
    t->last_activity = Clock::now();
    t->received += static_cast<std::int64_t>(n);
    if (t->request.max_response_bytes > 0 && t->received > t->request.max_response_bytes) {
        t->too_large = true;
        return 0;
    }
    if (t->request.on_body) {
        if (!t->request.on_body(std::string_view(data, n))) {
            t->sink_stopped = true;
            return 0;
        }
        return n;
    }
    t->response.body.append(data, n);
    return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<CurlHttpClient::Transfer*>(user);
    return (t->cancelled || t->idle_expired || t->request.cancel.cancelled()) ? 1 : 0;
}

curl_socket_t on_open_socket(void* user, curlsocktype, curl_sockaddr* address) {
    auto* t = static_cast<CurlHttpClient::Transfer*>(user);
    if (!t->proxied && !t->request.allow_private_addresses &&
        is_non_public_address(&address->addr)) {
        t->blocked_address = true;
        t->blocked_ip = address_text(&address->addr);
        return CURL_SOCKET_BAD;
    }
    // Close-on-exec: a child process (a schedule's run) must not hold the daemon's connections
    // open after the daemon let them go.
    return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

/// The first of `names` set in the environment, or "".
std::string first_env(std::initializer_list<const char*> names) {
    for (const char* name : names) {
        if (const char* v = std::getenv(name); v && *v) {
            return v;
        }
    }
    return "";
}

/// Whether a NO_PROXY list (comma- or space-separated: "*", host names, domains with or
/// without a leading dot, IP addresses, IPv4 ranges as CIDR) exempts `host`, as libcurl reads it.
bool exempt_from_proxy(const std::string& host, const std::string& list) {
    in_addr host4{};
    const bool host_is_v4 = ::inet_pton(AF_INET, host.c_str(), &host4) == 1;
    std::size_t pos = 0;
    while (pos < list.size()) {
        const auto end = list.find_first_of(", ", pos);
        std::string entry = core::to_lower(
            list.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
        pos = end == std::string::npos ? list.size() : end + 1;
        if (entry.empty()) {
            continue;
        }
        if (entry == "*") {
            return true;
        }
        if (const auto slash = entry.find('/'); slash != std::string::npos) {
            in_addr net{};
            const int bits = std::atoi(entry.c_str() + slash + 1);
            if (host_is_v4 && bits >= 0 && bits <= 32 &&
                ::inet_pton(AF_INET, entry.substr(0, slash).c_str(), &net) == 1) {
                const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
                if ((ntohl(host4.s_addr) & mask) == (ntohl(net.s_addr) & mask)) {
                    return true;
                }
            }
            continue;
        }
        if (entry.front() == '.') {
            entry.erase(0, 1);
        }
        if (host == entry || (host.size() > entry.size() &&
                              host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
                              host[host.size() - entry.size() - 1] == '.')) {
            return true;
        }
    }
    return false;
}

/// Whether `host` (a name or an address, no brackets) names a loopback, private or
/// link-local place without asking DNS: an address in those ranges, or localhost.
bool names_private_place(const std::string& host) {
    if (host == "localhost" || (host.size() > 10 && host.ends_with(".localhost"))) {
        return true;
    }
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    if (::inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
        return is_non_public_address(reinterpret_cast<const sockaddr*>(&v4));
    }
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    if (::inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
        return is_non_public_address(reinterpret_cast<const sockaddr*>(&v6));
    }
    return false;
}

/// The scheme and host (lower case, no IPv6 brackets) of `url`; empty when it does not parse.
std::pair<std::string, std::string> scheme_and_host(const std::string& url) {
    std::pair<std::string, std::string> out;
    CURLU* u = curl_url();
    if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
        char* part = nullptr;
        if (curl_url_get(u, CURLUPART_SCHEME, &part, 0) == CURLUE_OK) {
            out.first = core::to_lower(part);
            curl_free(part);
        }
        if (curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
            out.second = core::to_lower(part);
            curl_free(part);
        }
    }
    curl_url_cleanup(u);
    if (out.second.size() > 2 && out.second.front() == '[' && out.second.back() == ']') {
        out.second = out.second.substr(1, out.second.size() - 2);
    }
    return out;
}

core::Error transport_error(const CurlHttpClient::Transfer& t, CURLcode code) {
    const auto& r = t.request;
    const std::string why = t.error_buffer[0] ? t.error_buffer : curl_easy_strerror(code);
    using core::ErrorKind;
    if (t.too_large || code == CURLE_FILESIZE_EXCEEDED) {
        return http_errors::too_large(r);
    }
    if (t.blocked_address) {
        return http_errors::blocked_address(r, t.blocked_ip);
    }
    if (t.idle_expired) {
        return http_errors::idle_timeout(r);
    }
    if (t.cancelled || r.cancel.cancelled()) {
        return http_errors::cancelled(r);
    }
    if (t.sink_stopped) {
        return http_errors::aborted(r);
    }
    const std::string url = http_errors::safe_url(r.url);
    switch (code) {
        case CURLE_OPERATION_TIMEDOUT:
            return http_errors::timed_out(r, why);
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
            return http_errors::cannot_connect(r, why);
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_BAD_CONTENT_ENCODING:
            return http_errors::broke_off(r, why);
        case CURLE_TOO_MANY_REDIRECTS:
            return {ErrorKind::provider, "http.redirects", url + " redirected too many times"};
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
            return {ErrorKind::usage, "http.bad_url", "'" + url + "' is not a usable URL: " + why};
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
            return {ErrorKind::network, "http.tls", "TLS with " + url + " failed: " + why};
        default:
            return http_errors::failed(r, why);
    }
}

}  // namespace

CurlHttpClient::CurlHttpClient() : CurlHttpClient(Options{}) {}

CurlHttpClient::CurlHttpClient(Options options) : m_options(std::move(options)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (m_options.user_agent.empty()) {
        m_options.user_agent = std::string("sota/") + core::k_version;
    }
    m_user_agent_header = "User-Agent: " + m_options.user_agent;
    // Proxies come from the environment as libcurl reads them, but loopback is never proxied.
    m_no_proxy = first_env({"NO_PROXY", "no_proxy"});
    m_no_proxy += std::string(m_no_proxy.empty() ? "" : ",") + "localhost,127.0.0.1,::1";
    // As libcurl reads them: http_proxy only in lower case (HTTP_PROXY can be set by a CGI
    // request's Proxy header).
    m_http_proxy = first_env({"http_proxy", "all_proxy", "ALL_PROXY"});
    m_https_proxy = first_env({"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"});
    curl_slist* connect_to = nullptr;
    for (const auto& rule : m_options.connect_to) {
        connect_to = curl_slist_append(connect_to, rule.c_str());
    }
    m_connect_to = connect_to;
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_wakeup = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = m_wakeup;
    ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeup, &ev);
    m_multi = curl_multi_init();
    curl_multi_setopt(m_multi, CURLMOPT_MAXCONNECTS, 256L);
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
    if (m_options.plain_http) {
        m_plain = std::make_unique<PlainHttp>(m_epoll, m_options.user_agent, m_in_flight);
    }
    m_thread = std::thread([this] { loop(); });
}

CurlHttpClient::~CurlHttpClient() {
    m_stop = true;
    wake();
    m_thread.join();
    for (const auto& spare : m_spare) {
        curl_easy_cleanup(spare.easy);
    }
    forget_parsed_urls();
    m_plain.reset();
    curl_multi_cleanup(m_multi);
    curl_slist_free_all(static_cast<curl_slist*>(m_connect_to));
    ::close(m_wakeup);
    ::close(m_epoll);
    curl_global_cleanup();
}

void CurlHttpClient::wake() {
    const std::uint64_t one = 1;
    (void)!::write(m_wakeup, &one, sizeof one);
}

int CurlHttpClient::on_socket(void*, int fd, int what, void* self, void*) {
    static_cast<CurlHttpClient*>(self)->watch(fd, what);
    return 0;
}

void CurlHttpClient::watch(int fd, int what) {
    auto [it, added] = m_watched.try_emplace(fd);
    Watched& w = it->second;
    if (what == CURL_POLL_REMOVE) {
        w.wanted = false;  // stays in the set until asked for again, or until it stirs
        return;
    }
    const unsigned events =
        (what & CURL_POLL_IN ? EPOLLIN : 0U) | (what & CURL_POLL_OUT ? EPOLLOUT : 0U);
    if (!added && w.wanted && w.events == events) {
        return;
    }
    // An unwanted socket may have been closed and its number reused since: MOD says so.
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (added || ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &ev) != 0) {
        if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev) != 0 && errno == EEXIST) {
            ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &ev);
        }
    }
    w.events = events;
    w.wanted = true;
}

int CurlHttpClient::on_timer(void*, long timeout_ms, void* self) {
    auto* client = static_cast<CurlHttpClient*>(self);
    client->m_timer = timeout_ms < 0 ? std::optional<Clock::time_point>()
                                     : Clock::now() + std::chrono::milliseconds(timeout_ms);
    return 0;
}

void CurlHttpClient::send(core::HttpRequest request, core::HttpCallback done) {
    auto t = std::make_unique<Transfer>();
    t->request = std::move(request);
    t->done = std::move(done);
    ++m_in_flight;
    bool first = false;
    {
        std::lock_guard lock(m_mutex);
        first = m_incoming.empty();
        m_incoming.push_back(std::move(t));
    }
    // Requests behind another still waiting share its wake-up: the I/O thread reads the
    // eventfd before it takes the queue, so it takes them too.
    if (first) {
        wake();
    }
}

void CurlHttpClient::start(std::unique_ptr<Transfer> transfer) {
    Transfer* t = transfer.get();
    const auto& r = t->request;
    // Through a proxy, the only connection is the proxy's, which the user chose; the guard
    // looks at the host in the URL instead (a name is resolved by the proxy, out of sight).
    std::string proxy;
    if (!m_http_proxy.empty() || !m_https_proxy.empty()) {
        const auto [scheme, host] = scheme_and_host(r.url);
        const std::string& configured = scheme == "https"  ? m_https_proxy
                                        : scheme == "http" ? m_http_proxy
                                                           : proxy;
        if (!configured.empty() && !exempt_from_proxy(host, m_no_proxy)) {
            proxy = configured;
            t->proxied = true;
            if (!r.allow_private_addresses && names_private_place(host)) {
                t->blocked_address = true;
                t->blocked_ip = host;
                --m_in_flight;
                core::HttpCallback done = std::move(t->done);
                done(core::fail(transport_error(*t, CURLE_COULDNT_CONNECT)));
                return;
            }
        }
    }
    if (m_plain && proxy.empty() && !m_connect_to) {
        if (auto target = PlainHttp::route(r)) {
            m_plain->start(std::move(t->request), std::move(t->done), std::move(*target));
            return;
        }
    }
    const bool posts =
        !r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
    // A finished request's handle is reused: one last used for the same kind of request keeps
    // its settings, and only what differs per request is set again (libcurl's usual pattern);
    // another is reset to defaults first. Either spares allocating and clearing one.
    t->shape = r.method + (posts ? "|body" : "|") + (r.accept_compressed ? "|gzip|" : "||") +
               std::to_string(r.max_redirects) + "|" + proxy;
    bool configured = false;
    const auto same = std::find_if(m_spare.rbegin(), m_spare.rend(), [&](const SpareHandle& spare) {
        return spare.shape == t->shape;
    });
    if (same != m_spare.rend()) {
        t->easy = same->easy;
        m_spare.erase(std::next(same).base());
        configured = true;
    } else if (!m_spare.empty()) {
        t->easy = m_spare.back().easy;
        m_spare.pop_back();
        curl_easy_reset(t->easy);
    } else {
        t->easy = curl_easy_init();
    }
    CURL* e = t->easy;
    if (!configured) {
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        if (r.accept_compressed) {
            curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
        }
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
        curl_easy_setopt(e, CURLOPT_NOPROXY, m_no_proxy.c_str());
        curl_easy_setopt(e, CURLOPT_PROXY, proxy.c_str());  // "": none, whatever the environment
        if (m_connect_to) {
            curl_easy_setopt(e, CURLOPT_CONNECT_TO, static_cast<curl_slist*>(m_connect_to));
        }
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        if (r.max_redirects > 0) {
            curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
            curl_easy_setopt(e, CURLOPT_MAXREDIRS, static_cast<long>(r.max_redirects));
            curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        }
        if (r.method == "HEAD") {
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        } else if (r.method != "GET") {
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
        }
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    }
    // What differs per request.
    if (CURLU* parsed = parsed_url(r.url)) {
        curl_easy_setopt(e, CURLOPT_CURLU, parsed);
    } else {
        curl_easy_setopt(e, CURLOPT_CURLU, nullptr);
        curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    }
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buffer);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.total_timeout.count()));
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(std::max<std::int64_t>(0, r.max_response_bytes)));
    if (posts) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
    }
    bool own_agent = false;
    for (const auto& [name, value] : r.headers) {
        t->headers = curl_slist_append(t->headers, (name + ": " + value).c_str());
        own_agent = own_agent || ::strcasecmp(name.c_str(), "User-Agent") == 0;
    }
    if (!own_agent) {
        // As a header rather than CURLOPT_USERAGENT, which libcurl formats twice per request,
        // a byte at a time.
        t->headers = curl_slist_append(t->headers, m_user_agent_header.c_str());
    }
    t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, t);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    t->last_activity = Clock::now();
    m_active.emplace(t, std::move(transfer));
    curl_multi_add_handle(m_multi, e);
}

CURLU* CurlHttpClient::parsed_url(const std::string& url) {
    // A URL seen before (a provider's endpoint) is parsed once and kept: libcurl copies a
    // parsed handle instead of parsing the text again. A URL seen once (a page fetched) is
    // only remembered; the map starts over when full.
    constexpr std::size_t k_kept = 64;
    const auto it = m_urls.find(url);
    if (it == m_urls.end()) {
        if (m_urls.size() >= k_kept) {
            forget_parsed_urls();
        }
        m_urls.emplace(url, nullptr);
        return nullptr;
    }
    if (!it->second) {
        CURLU* parsed = curl_url();
        // As libcurl parses a URL given as text.
        if (curl_url_set(parsed, CURLUPART_URL, url.c_str(),
                         CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
            curl_url_cleanup(parsed);
            return nullptr;  // libcurl reports the bad URL itself
        }
        it->second = parsed;
    }
    return static_cast<CURLU*>(it->second);
}

void CurlHttpClient::forget_parsed_urls() {
    for (const auto& [url, parsed] : m_urls) {
        curl_url_cleanup(static_cast<CURLU*>(parsed));
    }
    m_urls.clear();
}

void CurlHttpClient::finish(Transfer* t, int curl_code) {
    curl_multi_remove_handle(m_multi, t->easy);
    const auto code = static_cast<CURLcode>(curl_code);
    core::HttpCallback done = std::move(t->done);
    std::optional<core::Expected<core::HttpResponse>> result;
    if (code == CURLE_OK && !t->too_large && !t->sink_stopped) {
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        t->response.status = static_cast<int>(status);
        char* url = nullptr;
        curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
        t->response.effective_url = url ? url : t->request.url;
        long version = 0;
        curl_easy_getinfo(t->easy, CURLINFO_HTTP_VERSION, &version);
        t->response.http_version = version == CURL_HTTP_VERSION_2_0 ? "2"
                                   : version == CURL_HTTP_VERSION_3 ? "3"
                                                                    : "1.1";
        curl_off_t first = 0, total = 0;
        curl_easy_getinfo(t->easy, CURLINFO_STARTTRANSFER_TIME_T, &first);
        curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total);
        t->response.first_byte = std::chrono::milliseconds(first / 1000);
        t->response.total = std::chrono::milliseconds(total / 1000);
        result.emplace(std::move(t->response));
    } else {
        result.emplace(core::fail(transport_error(*t, code)));
    }
    if (m_spare.size() < k_spare_handles) {
        // Kept as it is, for the next request of the same kind (see start()).
        m_spare.push_back({t->easy, std::move(t->shape)});
        t->easy = nullptr;
    }
    m_active.erase(t);  // t is gone
    --m_in_flight;
    done(std::move(*result));
}

void CurlHttpClient::sweep() {
    const auto now = Clock::now();
    // Cancelled and idle transfers end here directly, without waiting for curl to call back.
    std::vector<Transfer*> ended;
    for (auto& [t, owned] : m_active) {
        if (t->request.idle_timeout.count() > 0 &&
            now - t->last_activity > t->request.idle_timeout) {
            t->idle_expired = true;
        }
        if (t->request.cancel.cancelled()) {
            t->cancelled = true;
        }
        if (t->idle_expired || t->cancelled) {
            ended.push_back(t);
        }
    }
    for (auto* t : ended) {
        finish(t, CURLE_ABORTED_BY_CALLBACK);
    }
}

void CurlHttpClient::collect() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(m_multi, &left)) {
        if (msg->msg == CURLMSG_DONE) {
            Transfer* t = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
            finish(t, msg->data.result);
        }
    }
}

void CurlHttpClient::loop() {
    // Sockets are watched with epoll and only the ones that are ready are handed to curl, so a
    // wake-up costs the same with 5 or 5,000 requests in flight. Cancels and idle limits are
    // looked at every 50 ms.
    constexpr auto k_sweep = std::chrono::milliseconds(50);
    auto next_sweep = Clock::now() + k_sweep;
    std::vector<epoll_event> events(256);
    int running = 0;
    while (!m_stop) {
        auto wait_until = next_sweep;
        if (m_timer) {
            wait_until = std::min(wait_until, *m_timer);
        }
        const auto wait_ms =
            std::chrono::ceil<std::chrono::milliseconds>(wait_until - Clock::now());
        const int n = ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()),
                                   static_cast<int>(std::max<std::int64_t>(0, wait_ms.count())));
        for (int i = 0; i < n; ++i) {
            if (events[i].data.u64 & PlainHttp::k_tag) {
                m_plain->on_event(static_cast<int>(events[i].data.u64 & 0xffffffffU),
                                  events[i].events);
                continue;
            }
            const int fd = events[i].data.fd;
            if (fd == m_wakeup) {
                std::uint64_t count = 0;
                (void)!::read(m_wakeup, &count, sizeof count);
                std::vector<std::unique_ptr<Transfer>> incoming;
                {
                    std::lock_guard lock(m_mutex);
                    incoming.swap(m_incoming);
                }
                for (auto& t : incoming) {
                    start(std::move(t));
                }
                continue;
            }
            if (const auto w = m_watched.find(fd); w == m_watched.end() || !w->second.wanted) {
                // A connection curl is not using stirred (it was closed at the other end):
                // it leaves the set, and curl finds it dead when it next looks. Unless curl
                // closed it earlier in this wake-up and PlainHttp's new socket has the number.
                if (m_plain && m_plain->owns(fd)) {
                    continue;
                }
                ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
                m_watched.erase(fd);
                continue;
            }
            const auto ev = events[i].events;
            const int mask = (ev & EPOLLIN ? CURL_CSELECT_IN : 0) |
                             (ev & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                             (ev & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(m_multi, fd, mask, &running);
        }
        if (m_timer && Clock::now() >= *m_timer) {
            m_timer.reset();
            curl_multi_socket_action(m_multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        collect();
        if (Clock::now() >= next_sweep) {
            sweep();
            if (m_plain) {
                m_plain->sweep(Clock::now());
            }
            next_sweep = Clock::now() + k_sweep;
        }
    }
    // Shutting down: everything still pending or in flight fails as cancelled.
    std::vector<std::unique_ptr<Transfer>> incoming;
    {
        std::lock_guard lock(m_mutex);
        incoming.swap(m_incoming);
    }
    for (auto& t : incoming) {
        --m_in_flight;
        t->done(core::fail(core::ErrorKind::cancelled, "http.cancelled",
                           "the HTTP client was shut down"));
    }
    while (!m_active.empty()) {
        Transfer* t = m_active.begin()->first;
        t->cancelled = true;
        finish(t, CURLE_ABORTED_BY_CALLBACK);
    }
    if (m_plain) {
        m_plain->cancel_all();
    }
}

std::size_t CurlHttpClient::plain_requests() const {
    return m_plain ? m_plain->requests() : 0;
}

}  // namespace sota::adapters
