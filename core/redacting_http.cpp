#include "core/redacting_http.hpp"

#include <algorithm>
#include <cctype>

#include "core/base64.hpp"
#include "core/text.hpp"

namespace sota::core {
namespace {

std::string percent_decoded(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() &&
            std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += text[i] == '+' ? ' ' : text[i];
        }
    }
    return out;
}

bool names_a_credential(std::string_view lower_name) {
    for (const std::string_view word : {"key", "token", "secret", "password", "passwd"}) {
        if (lower_name.find(word) != std::string_view::npos) {
            return true;
        }
    }
    return false;
}

void add_value(std::vector<std::string>& out, std::string value) {
    if (value.size() >= 4 && std::find(out.begin(), out.end(), value) == out.end()) {
        out.push_back(std::move(value));
    }
}

/// What a stream's pieces share: the caller's sink and the bytes held back.
struct Stream {
    BodySink sink;
    std::string held;
};

/// Masks with the shared redactor and the request's own credentials.
struct Masks {
    std::shared_ptr<const Redactor> shared;
    std::shared_ptr<const Redactor> extra;  // may be null

    void known(std::string& text) const {
        shared->mask_known(text);
        if (extra) {
            extra->mask_known(text);
        }
    }
    void all(std::string& text) const {
        text = shared->redact(text);
        if (extra) {
            text = extra->redact(text);
        }
    }
    std::size_t partial_at_end(std::string_view text) const {
        return std::max(shared->partial_at_end(text), extra ? extra->partial_at_end(text) : 0);
    }
};

}  // namespace

std::vector<std::string> request_credentials(const HttpRequest& request) {
    std::vector<std::string> out;
    for (const auto& [name, value] : request.headers) {
        const std::string lower = to_lower(name);
        if (lower == "authorization" || lower == "proxy-authorization") {
            const auto space = value.find(' ');
            const std::string scheme = to_lower(value.substr(0, space));
            const std::string token =
                space == std::string::npos ? value : trim(value.substr(space + 1));
            add_value(out, token);
            if (scheme == "basic") {
                if (const auto decoded = base64_decode(token)) {
                    add_value(out, *decoded);
                    if (const auto colon = decoded->find(':'); colon != std::string::npos) {
                        add_value(out, decoded->substr(colon + 1));
                    }
                }
            }
        } else if (names_a_credential(lower)) {
            add_value(out, value);
        }
    }
    const std::string_view url = request.url;
    const auto scheme_end = url.find("://");
    const auto authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    const auto authority_end = std::min(url.find_first_of("/?#", authority_start), url.size());
    const auto at = url.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos && at > authority_start) {
        const auto user_info = url.substr(authority_start, at - authority_start);
        if (const auto colon = user_info.find(':'); colon != std::string_view::npos) {
            add_value(out, std::string(user_info.substr(colon + 1)));
            add_value(out, percent_decoded(user_info.substr(colon + 1)));
        }
    }
    if (const auto q = url.find('?'); q != std::string_view::npos) {
        std::string_view query = url.substr(q + 1);
        query = query.substr(0, query.find('#'));
        while (!query.empty()) {
            const auto amp = query.find('&');
            const auto pair = query.substr(0, amp);
            const auto eq = pair.find('=');
            if (eq != std::string_view::npos) {
                const std::string name = to_lower(pair.substr(0, eq));
                if (name == "key" || name == "api_key" || name == "apikey" || name == "token" ||
                    name == "access_token") {
                    add_value(out, std::string(pair.substr(eq + 1)));
                    add_value(out, percent_decoded(pair.substr(eq + 1)));
                }
            }
            query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        }
    }
    return out;
}

RedactingHttpClient::RedactingHttpClient(HttpClient& inner,
                                         std::shared_ptr<const Redactor> redactor)
    : m_inner(inner),
      m_redactor(redactor ? std::move(redactor) : std::make_shared<const Redactor>()) {}

std::shared_ptr<const Redactor> RedactingHttpClient::extra_for(const HttpRequest& request) {
    std::string key;
    std::vector<std::string> unknown;
    for (auto& value : request_credentials(request)) {
        if (!m_redactor->knows(value)) {
            key += value;
            key += '\n';
            unknown.push_back(std::move(value));
        }
    }
    if (unknown.empty()) {
        return nullptr;
    }
    std::lock_guard lock(m_mutex);
    for (const auto& [known, redactor] : m_recent) {
        if (known == key) {
            return redactor;
        }
    }
    auto redactor = std::make_shared<Redactor>();
    for (const auto& value : unknown) {
        redactor->add_secret("credential", value);
    }
    m_recent.insert(m_recent.begin(), {key, redactor});
    if (m_recent.size() > 8) {
        m_recent.pop_back();
    }
    return redactor;
}

void RedactingHttpClient::send(HttpRequest request, HttpCallback done) {
    const Masks masks{m_redactor, extra_for(request)};
    std::shared_ptr<Stream> stream;
    if (request.on_body && !(masks.shared->empty() && !masks.extra)) {
        stream = std::make_shared<Stream>();
        stream->sink = std::move(request.on_body);
        request.on_body = [stream, masks](std::string_view piece) {
            stream->held.append(piece);
            const std::size_t keep = masks.partial_at_end(stream->held);
            std::string ready = stream->held.substr(0, stream->held.size() - keep);
            stream->held.erase(0, stream->held.size() - keep);
            masks.known(ready);
            return ready.empty() || stream->sink(ready);
        };
    }
    m_inner.send(std::move(request),
                 [masks, stream, done = std::move(done)](Expected<HttpResponse> answer) {
                     if (!answer) {
                         Error e = answer.error();
                         masks.all(e.message);
                         masks.all(e.detail);
                         masks.all(e.request_id);
                         done(fail(std::move(e)));
                         return;
                     }
                     HttpResponse& r = *answer;
                     const bool ok = r.status >= 200 && r.status < 300;
                     if (stream && !stream->held.empty()) {
                         std::string rest = std::move(stream->held);
                         masks.known(rest);
                         stream->sink(rest);
                     }
                     for (auto& [name, value] : r.headers) {
                         if (ok) {
                             masks.known(value);
                         } else {
                             masks.all(value);
                         }
                     }
                     if (ok) {
                         masks.known(r.body);
                     } else {
                         masks.all(r.body);
                     }
                     masks.known(r.effective_url);
                     done(std::move(answer));
                 });
}

}  // namespace sota::core
