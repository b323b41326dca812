#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/http.hpp"
#include "core/redactor.hpp"

namespace sota::adapters {

/// The stable identity of a request in a cassette: SHA-256 over the method, the URL's path and
/// query (parameters sorted, `key` dropped) and the body (JSON re-serialized with sorted keys),
/// all after redaction. Scheme, host and port are left out, so a recording replays against any
/// base URL serving the same API; headers are left out because they carry credentials and
/// client versions.
std::string request_fingerprint(const core::HttpRequest& request, const core::Redactor& redactor);

/// Records every exchange that passes through it to a cassette (one JSON object per line),
/// with credential headers and every known secret value redacted, then hands the answer on
/// unchanged. Streamed bodies are recorded whole. Thread-safe.
class RecordingHttpClient final : public core::HttpClient {
  public:
    RecordingHttpClient(core::HttpClient& inner, std::filesystem::path cassette,
                        std::shared_ptr<const core::Redactor> redactor);

    void send(core::HttpRequest request, core::HttpCallback done) override;

  private:
    core::HttpClient& m_inner;
    std::filesystem::path m_path;
    std::shared_ptr<const core::Redactor> m_redactor;
    std::mutex m_mutex;
};

/// Answers requests from a cassette with no network. Identical requests are answered with the
/// recorded answers in order, the last one repeated. A request the cassette lacks fails with
/// ErrorKind::not_found ("replay.unrecorded") naming it. Streamed answers are delivered to
/// on_body event by event. Thread-safe.
class ReplayHttpClient final : public core::HttpClient {
  public:
    /// Loads a cassette; a missing or unreadable file is an error naming it.
    static core::Expected<std::unique_ptr<ReplayHttpClient>> open(
        const std::filesystem::path& cassette, std::shared_ptr<const core::Redactor> redactor);

    void send(core::HttpRequest request, core::HttpCallback done) override;

    /// Sends requests to these hosts through `live` instead of answering them from the
    /// cassette (http.replay_passthrough): "host" matches any port, "host:port" (or
    /// "[v6]:port") one port; names are compared without case. `live` must outlive this.
    void set_passthrough(std::vector<std::string> hosts, core::HttpClient* live);

    /// How many recorded exchanges the cassette holds.
    std::size_t size() const { return m_count; }

  private:
    struct Answer {
        std::optional<core::HttpResponse> response;
        std::optional<core::Error> error;
    };
    ReplayHttpClient() = default;

    std::filesystem::path m_path;
    std::shared_ptr<const core::Redactor> m_redactor;
    std::map<std::string, std::vector<Answer>> m_answers;
    std::map<std::string, std::size_t> m_served;
    std::size_t m_count = 0;
    std::mutex m_mutex;
    std::vector<std::string> m_passthrough;
    core::HttpClient* m_live = nullptr;
};

/// Whether `url`'s host (and port) is one of `hosts` (see ReplayHttpClient::set_passthrough).
bool host_listed(const std::string& url, const std::vector<std::string>& hosts);

}  // namespace sota::adapters
