#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/http.hpp"

namespace sota::core {

/// One SERP query (Serper: POST /search).
struct SerpQuery {
    std::string q;
    std::string gl = "us";  ///< country
    std::string hl = "en";  ///< language
    int num = 10;
    int page = 1;
};

struct OrganicResult {
    std::string title;
    std::string link;
    std::string snippet;
    int position = 0;
    std::string date;
};

struct Question {
    std::string question;
    std::string snippet;
    std::string title;
    std::string link;
};

struct AnswerBox {
    std::string title;
    std::string link;
    std::string snippet;
    std::string answer;
};

struct KnowledgeGraph {
    std::string title;
    std::string type;
    std::string description;
    std::string website;
};

/// A SERP page as Serper returns it; every block but organic may be absent.
struct SerpResult {
    std::string query;
    std::vector<OrganicResult> organic;
    std::vector<Question> people_also_ask;
    std::vector<std::string> related_searches;
    std::optional<AnswerBox> answer_box;
    std::optional<KnowledgeGraph> knowledge_graph;
    int credits = 0;  ///< credits Serper charged for this call
    std::string raw;  ///< the answer body, as cached
    bool from_cache = false;
    bool stale = false;     ///< served from an expired cache entry because Serper failed
    std::string cached_at;  ///< when a cached answer was stored (ISO 8601 UTC)
};

/// Parses a Serper /search answer body.
Expected<SerpResult> parse_serper_result(const std::string& body);

/// Where and how to reach Serper.
struct SerpEndpoint {
    std::string base_url = "https://google.serper.dev";
    std::string api_key;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds request_timeout{30'000};
};

/// Serper search over an HttpClient (which must outlive it). Errors are classified like every
/// provider's (403 Unauthorized is credentials; 400 "Not enough credits" is billing). Thread-safe.
class SerpClient {
  public:
    SerpClient(HttpClient& http, SerpEndpoint endpoint)
        : m_http(http), m_endpoint(std::move(endpoint)) {}

    /// Starts a search; `done` runs once.
    void search(const SerpQuery& query, std::function<void(Expected<SerpResult>)> done,
                CancelToken cancel = {});

    /// Searches and waits.
    Expected<SerpResult> search_sync(const SerpQuery& query, CancelToken cancel = {});

  private:
    HttpClient& m_http;
    SerpEndpoint m_endpoint;
};

}  // namespace sota::core
