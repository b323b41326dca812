#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/http.hpp"
#include "core/publisher.hpp"

namespace sota::core {

/// A WordPress post or page as the REST API returns it.
struct WpPost {
    std::int64_t id = 0;
    std::string type;  ///< "post" or "page"
    std::string status;
    std::string slug;
    std::string link;
    std::string title;    ///< raw in edit context, else rendered
    std::string content;  ///< raw in edit context, else rendered
    std::string excerpt;
    std::string modified_gmt;  ///< YYYY-MM-DDTHH:MM:SS (UTC)
    std::vector<std::int64_t> categories;
    std::vector<std::int64_t> tags;
};

/// Fields to write on create or update (empty strings and lists are left out).
struct WpDraft {
    std::string title;
    std::string content;
    std::string excerpt;
    std::string slug;
    std::string status = "draft";
    std::vector<std::int64_t> categories;
    std::vector<std::int64_t> tags;
    nlohmann::json meta = nlohmann::json::object();  ///< only keys registered with show_in_rest
};

/// Which posts to list.
struct WpListQuery {
    std::string collection = "posts";  ///< "posts" or "pages"
    std::string status = "publish";
    std::string search;
    std::string modified_before;  ///< ISO 8601, e.g. 2026-08-01T00:00:00
    std::vector<std::int64_t> categories;
    std::vector<std::int64_t> tags;
    int per_page = 100;  ///< 1-100
    int max_pages = 1000;
};

/// Where and how to reach a site.
struct WpEndpoint {
    std::string site_url;  ///< https://example.com
    std::string user;
    std::string app_password;  ///< application password (spaces allowed)
    std::chrono::milliseconds timeout{30'000};
};

/// WordPress REST (wp/v2) client: finds the API root (Link header, /wp-json/, then the
/// ?rest_route= form for plain permalinks), authenticates with an application password over
/// Basic auth, pages through collections (X-WP-TotalPages, per_page <= 100), and decodes
/// {code, message, data.status} errors. Thread-safe.
class WordPressClient {
  public:
    WordPressClient(HttpClient& http, WpEndpoint endpoint)
        : m_http(http), m_endpoint(std::move(endpoint)) {}

    /// The API root ("https://site/wp-json/" or "https://site/?rest_route=/"); found once.
    Expected<std::string> api_root();

    /// The authenticated user (checks credentials: users/me?context=edit).
    Expected<nlohmann::json> me();

    /// Every post matching the query, across all pages.
    Expected<std::vector<WpPost>> list(const WpListQuery& query);

    /// One post with raw fields (context=edit). ErrorKind::not_found for an unknown id.
    Expected<WpPost> get(std::int64_t id, const std::string& collection = "posts");

    /// Creates a post (201). Returns it as WordPress stored it.
    Expected<WpPost> create(const WpDraft& draft, const std::string& collection = "posts");

    /// Updates fields of an existing post.
    Expected<WpPost> update(std::int64_t id, const WpDraft& draft,
                            const std::string& collection = "posts");

    /// A category's or tag's id (`taxonomy` "categories" or "tags") from its id, slug or
    /// name (case-insensitive). ErrorKind::not_found names the term and the site.
    Expected<std::int64_t> term_id(const std::string& taxonomy, const std::string& term);

    /// Posts with exactly this slug (any status the user may see).
    Expected<std::vector<WpPost>> find_by_slug(const std::string& slug,
                                               const std::string& collection = "posts");

  private:
    Expected<HttpResponse> call(const std::string& method, const std::string& route,
                                const std::vector<std::pair<std::string, std::string>>& params,
                                const std::string& body = "");
    std::string route_url(const std::string& root, const std::string& route,
                          const std::vector<std::pair<std::string, std::string>>& params) const;

    HttpClient& m_http;
    WpEndpoint m_endpoint;
    std::mutex m_mutex;
    std::optional<std::string> m_root;
};

/// Publishes to WordPress: updates the post with the article's existing id or slug, else
/// creates one, so a retried publish never makes a duplicate.
class WordPressPublisher final : public Publisher {
  public:
    explicit WordPressPublisher(WordPressClient& client) : m_client(client) {}
    Expected<PublishResult> publish(const Article& article) override;

  private:
    WordPressClient& m_client;
};

/// Parses one post object.
WpPost parse_wp_post(const nlohmann::json& j);

}  // namespace sota::core
