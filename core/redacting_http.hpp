#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/http.hpp"
#include "core/redactor.hpp"

namespace sota::core {

/// The credentials a request carries: the token of an Authorization header (and, for Basic,
/// the decoded "user:password" and the password), the values of headers named like a key,
/// token, secret or password (x-api-key, x-goog-api-key, api-key, ...), the password of the
/// URL's user info and the values of query parameters named key, api_key, apikey, token or
/// access_token. Values shorter than 4 characters are left out.
std::vector<std::string> request_credentials(const HttpRequest& request);

/// The one door through which text from outside enters sota: every answer of the wrapped
/// transport (body, header values, effective URL, streamed pieces) and every transport error
/// has the known secrets (`redactor`) and the credentials this very request carried (even a
/// key the redactor was never told of) masked in every form of secret_forms() before any
/// provider client, error classification, store, log or output sees it. Error answers and
/// header values also lose credential-shaped text; a 2xx body keeps it (an article may speak of
/// "Bearer tokens"). A streamed answer holds back the few bytes at the end of a piece that could
/// begin a secret until the next piece or the end. Thread-safe like the transport it wraps.
class RedactingHttpClient final : public HttpClient {
  public:
    RedactingHttpClient(HttpClient& inner, std::shared_ptr<const Redactor> redactor);

    void send(HttpRequest request, HttpCallback done) override;

  private:
    /// A redactor for the request's credentials the shared one does not know (null if none):
    /// kept for the few most recent credential sets, since every request of an endpoint
    /// carries the same key.
    std::shared_ptr<const Redactor> extra_for(const HttpRequest& request);

    HttpClient& m_inner;
    std::shared_ptr<const Redactor> m_redactor;
    std::mutex m_mutex;
    std::vector<std::pair<std::string, std::shared_ptr<const Redactor>>> m_recent;
};

}  // namespace sota::core
