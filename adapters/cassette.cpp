#include "adapters/cassette.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "adapters/private_files.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"

namespace sota::adapters {

using nlohmann::json;

namespace {

const std::vector<std::string> k_secret_headers = {
    "authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie", "proxy-authorization"};

// The URL with query parameters sorted and any `key` parameter dropped.
std::string canonical_url(const std::string& url) {
    const auto q = url.find('?');
    if (q == std::string::npos) {
        return url;
    }
    std::vector<std::string> params;
    std::size_t pos = q + 1;
    while (pos <= url.size()) {
        const auto amp = url.find('&', pos);
        std::string p = url.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        if (!p.empty() && p.rfind("key=", 0) != 0) {
            params.push_back(p);
        }
        if (amp == std::string::npos) {
            break;
        }
        pos = amp + 1;
    }
    std::sort(params.begin(), params.end());
    std::string out = url.substr(0, q);
    for (std::size_t i = 0; i < params.size(); ++i) {
        out += (i == 0 ? "?" : "&") + params[i];
    }
    return out;
}

// The path and query of a URL: recordings replay against any host serving the same API.
std::string path_of(const std::string& url) {
    const auto scheme = url.find("://");
    const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    return slash == std::string::npos ? "/" : url.substr(slash);
}

std::string canonical_body(const std::string& body) {
    const json j = core::parse_json(body);
    return j.is_discarded() ? body : j.dump();
}

json headers_json(const core::HttpHeaders& headers, const core::Redactor& redactor, bool request) {
    json out = json::array();
    for (const auto& [name, value] : headers) {
        const std::string key = core::to_lower(name);
        if (!request && key == "set-cookie") {
            continue;
        }
        const bool secret = std::find(k_secret_headers.begin(), k_secret_headers.end(), key) !=
                            k_secret_headers.end();
        out.push_back({name, secret ? "[redacted]" : redactor.redact(value)});
    }
    return out;
}

core::HttpHeaders headers_from(const json& j) {
    core::HttpHeaders out;
    for (const auto& h : j) {
        out.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
    }
    return out;
}

// Splits a body into the pieces a stream would have delivered: SSE events, or fixed slices.
std::vector<std::string> stream_pieces(const std::string& body) {
    std::vector<std::string> pieces;
    std::size_t pos = 0;
    while (pos < body.size()) {
        auto end = body.find("\n\n", pos);
        end = end == std::string::npos ? body.size() : end + 2;
        pieces.push_back(body.substr(pos, end - pos));
        pos = end;
    }
    return pieces;
}

}  // namespace

std::string request_fingerprint(const core::HttpRequest& request, const core::Redactor& redactor) {
    return core::sha256_hex(request.method + "\n" +
                            path_of(canonical_url(redactor.redact(request.url))) + "\n" +
                            canonical_body(redactor.redact(request.body)));
}

RecordingHttpClient::RecordingHttpClient(core::HttpClient& inner, std::filesystem::path cassette,
                                         std::shared_ptr<const core::Redactor> redactor)
    : m_inner(inner), m_path(std::move(cassette)), m_redactor(std::move(redactor)) {}

void RecordingHttpClient::send(core::HttpRequest request, core::HttpCallback done) {
    json entry;
    entry["fingerprint"] = request_fingerprint(request, *m_redactor);
    entry["request"] = {{"method", request.method},
                        {"url", canonical_url(m_redactor->redact(request.url))},
                        {"headers", headers_json(request.headers, *m_redactor, true)},
                        {"body", m_redactor->redact(request.body)}};
    auto streamed = std::make_shared<std::string>();
    if (request.on_body) {
        request.on_body = [streamed, sink = std::move(request.on_body)](std::string_view chunk) {
            streamed->append(chunk);
            return sink(chunk);
        };
    }
    m_inner.send(std::move(request), [this, entry = std::move(entry), streamed,
                                      done = std::move(done)](
                                         core::Expected<core::HttpResponse> result) mutable {
        if (result) {
            const std::string& body = result->body.empty() ? *streamed : result->body;
            entry["response"] = {{"status", result->status},
                                 {"headers", headers_json(result->headers, *m_redactor, false)},
                                 {"body", m_redactor->redact(body)},
                                 {"streamed", !streamed->empty()}};
        } else {
            const auto& e = result.error();
            entry["error"] = {{"kind", core::to_string(e.kind)},
                              {"code", e.code},
                              {"message", m_redactor->redact(e.message)},
                              {"retryable", e.retryable}};
        }
        const std::string line = entry.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
        {
            std::lock_guard lock(m_mutex);
            std::error_code ec;
            std::filesystem::create_directories(m_path.parent_path(), ec);
            const int fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            if (fd >= 0) {
                [[maybe_unused]] const auto n = ::write(fd, line.data(), line.size());
                ::close(fd);
            }
        }
        done(std::move(result));
    });
}

core::Expected<std::unique_ptr<ReplayHttpClient>> ReplayHttpClient::open(
    const std::filesystem::path& cassette, std::shared_ptr<const core::Redactor> redactor) {
    std::ifstream in(cassette);
    if (!in) {
        return core::fail(core::ErrorKind::not_found, "replay.no_cassette",
                          "cannot read the recording " + cassette.string() + "; check the path");
    }
    std::unique_ptr<ReplayHttpClient> client(new ReplayHttpClient());
    client->m_path = cassette;
    client->m_redactor = std::move(redactor);
    std::string line;
    std::size_t line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.empty()) {
            continue;
        }
        const json j = core::parse_json(line);
        if (j.is_discarded() || !j.contains("fingerprint")) {
            return core::fail(
                core::ErrorKind::config, "replay.bad_cassette",
                cassette.string() + ":" + std::to_string(line_no) + ": not a recorded exchange");
        }
        Answer answer;
        if (j.contains("response")) {
            core::HttpResponse r;
            r.status = j["response"].value("status", 0);
            r.headers = headers_from(j["response"].value("headers", json::array()));
            r.body = j["response"].value("body", "");
            answer.response = std::move(r);
        } else {
            const json& e = j.value("error", json::object());
            core::Error err{core::ErrorKind::network, e.value("code", "http.failed"),
                            e.value("message", "recorded failure"), e.value("retryable", false)};
            const std::string kind = e.value("kind", "network");
            for (const auto k : {core::ErrorKind::usage, core::ErrorKind::network,
                                 core::ErrorKind::provider, core::ErrorKind::cancelled,
                                 core::ErrorKind::billing, core::ErrorKind::credentials}) {
                if (kind == core::to_string(k)) {
                    err.kind = k;
                }
            }
            answer.error = std::move(err);
        }
        client->m_answers[j["fingerprint"].get<std::string>()].push_back(std::move(answer));
        ++client->m_count;
    }
    return client;
}

namespace {

/// The lower-case host and the port (the scheme's when none is written) of a URL.
std::pair<std::string, std::string> host_and_port(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        return {};
    }
    const std::string scheme = core::to_lower(url.substr(0, scheme_end));
    const auto start = scheme_end + 3;
    auto end = url.find_first_of("/?#", start);
    std::string authority =
        url.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (const auto at = authority.rfind('@'); at != std::string::npos) {
        authority = authority.substr(at + 1);
    }
    std::string host = authority;
    std::string port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        host = authority.substr(0, close == std::string::npos ? std::string::npos : close + 1);
        if (close != std::string::npos && close + 1 < authority.size() &&
            authority[close + 1] == ':') {
            port = authority.substr(close + 2);
        }
    } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (port.empty()) {
        port = scheme == "https" ? "443" : "80";
    }
    return {core::to_lower(host), port};
}

}  // namespace

bool host_listed(const std::string& url, const std::vector<std::string>& hosts) {
    const auto [host, port] = host_and_port(url);
    if (host.empty()) {
        return false;
    }
    for (const auto& raw : hosts) {
        const std::string entry = core::to_lower(core::trim(raw));
        if (entry.empty()) {
            continue;
        }
        // An entry is the authority part of a URL: parse it as one.
        const auto [entry_host, entry_port] = host_and_port("x://" + entry);
        const bool has_port = entry.back() != ']' && entry.find(':') != std::string::npos &&
                              (entry.front() != '[' || entry.find("]:") != std::string::npos);
        if (entry_host == host && (!has_port || entry_port == port)) {
            return true;
        }
    }
    return false;
}

void ReplayHttpClient::set_passthrough(std::vector<std::string> hosts, core::HttpClient* live) {
    std::lock_guard lock(m_mutex);
    m_passthrough = std::move(hosts);
    m_live = live;
}

void ReplayHttpClient::send(core::HttpRequest request, core::HttpCallback done) {
    if (m_live && host_listed(request.url, m_passthrough)) {
        m_live->send(std::move(request), std::move(done));
        return;
    }
    const std::string fingerprint = request_fingerprint(request, *m_redactor);
    std::optional<Answer> answer;
    {
        std::lock_guard lock(m_mutex);
        const auto it = m_answers.find(fingerprint);
        if (it != m_answers.end()) {
            std::size_t& served = m_served[fingerprint];
            answer = it->second[std::min(served, it->second.size() - 1)];
            ++served;
        }
    }
    if (!answer) {
        std::string url = canonical_url(m_redactor->redact(request.url));
        done(core::fail(
            core::ErrorKind::not_found, "replay.unrecorded",
            "the recording " + m_path.string() + " has no answer for " + request.method + " " +
                url + " (request " + fingerprint.substr(0, 12) +
                "); the request differs from what was recorded: record again with live providers"));
        return;
    }
    if (answer->error) {
        done(core::fail(*answer->error));
        return;
    }
    core::HttpResponse response = std::move(*answer->response);
    if (request.on_body && response.status >= 200 && response.status < 300) {
        for (const auto& piece : stream_pieces(response.body)) {
            if (request.cancel.cancelled() || !request.on_body(piece)) {
                done(core::fail(core::ErrorKind::cancelled, "http.cancelled",
                                "replayed request was cancelled"));
                return;
            }
        }
        response.body.clear();
    } else if (request.on_body) {
        request.on_body(response.body);
    }
    done(std::move(response));
}

}  // namespace sota::adapters
