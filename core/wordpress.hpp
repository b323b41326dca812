#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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
    std::string date_gmt{};    ///< when it was (or will be) published
    std::int64_t author = 0;
    std::vector<std::int64_t> categories;
    std::vector<std::int64_t> tags;
    nlohmann::json meta = nlohmann::json::object();  ///< meta keys registered for REST
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

    /// Creates a category or tag named `name`; returns its id. WordPress answers
    /// `term_exists` (with the id) when one appeared meanwhile, which counts as found.
    Expected<std::int64_t> create_term(const std::string& taxonomy, const std::string& name);

    /// Posts with exactly this slug: of any status the user may see (raw fields, needs
    /// credentials), or with `published_only` the published ones as anyone sees them.
    Expected<std::vector<WpPost>> find_by_slug(const std::string& slug,
                                               const std::string& collection = "posts",
                                               bool published_only = false);

    /// The REST namespaces the site serves ("wp/v2", "yoast/v1", "rankmath/v1", ...); read
    /// once from the API root.
    Expected<std::vector<std::string>> namespaces();

    /// The site URL as configured, without a trailing slash.
    std::string site_url() const;

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
    std::optional<std::vector<std::string>> m_namespaces;
};

/// What a new article does when its slug already belongs to a post (`wordpress.on_conflict`).
enum class OnConflict {
    new_slug,  ///< take the first free SLUG-2, SLUG-3, ...
    refuse,    ///< fail (ErrorKind::usage, "wordpress.slug_taken")
    update,    ///< update the post if sota made it, else fail as `refuse` does
};
/// Parses "new_slug", "refuse", "update".
std::optional<OnConflict> on_conflict_from_string(const std::string& text);

/// How the publisher treats a site.
struct PublishOptions {
    OnConflict on_conflict = OnConflict::new_slug;
    bool create_terms = true;  ///< create categories and tags that do not exist yet
    /// The job that published post `id` on this site, from the job database ("" = none known).
    std::function<std::string(std::int64_t id)> published_by;
};

/// The post meta key that marks a post as sota's (its value is the job id). WordPress keeps it
/// only when the site registers it for REST (register_post_meta with show_in_rest); the job
/// database knows sota's posts either way.
inline constexpr const char* k_sota_job_meta = "sota_job";

/// What publishing an article would do, worked out with reads only.
struct PublishPlan {
    std::string action;  ///< "create" or "update"
    std::string collection = "posts";
    std::optional<std::int64_t> post_id;      ///< update: the post
    std::optional<WpPost> existing;           ///< update: the post as it is now
    WpDraft draft;                            ///< the fields that will be written
    std::vector<std::string> new_categories;  ///< terms to create (names)
    std::vector<std::string> new_tags;
    std::vector<std::string> notes;  ///< decisions worth telling ("slug x is taken: using x-2")
};

/// Publishes to WordPress without damaging the site: a new article never overwrites a post
/// that holds its slug (see OnConflict); a refresh (`existing_id`) updates content, title,
/// excerpt and SEO meta but keeps the post's slug, author, date, categories and tags (new
/// categories and tags are added). The credentials are checked first, so a wrong application
/// password is a credentials error rather than whatever WordPress says to an anonymous caller.
/// Categories and tags are resolved by name (created when allowed); the SEO title and meta
/// description go to the excerpt and, when the site runs Yoast SEO or Rank Math, to their meta
/// fields; the JSON-LD goes with the content; the article's own H1 is left out (the theme
/// shows the title).
class WordPressPublisher final : public Publisher {
  public:
    explicit WordPressPublisher(WordPressClient& client, PublishOptions options = {})
        : m_client(client), m_options(std::move(options)) {}
    Expected<PublishResult> publish(const Article& article) override;

    /// What publish() would do; reads only.
    Expected<PublishPlan> plan(const Article& article);

  private:
    Expected<std::vector<std::int64_t>> resolve_terms(const std::string& taxonomy,
                                                      const std::vector<std::string>& names,
                                                      std::vector<std::string>& missing);
    /// The job that made `post` ("" when not sota's): its meta, else the job database.
    std::string owner_job(const WpPost& post) const;

    WordPressClient& m_client;
    PublishOptions m_options;
};

/// The post content for an article: its HTML without the leading H1, then its JSON-LD.
std::string wordpress_content(const Article& article);

/// A plan in words, one line each: action, post, slug, status, and a short diff of title,
/// excerpt, SEO fields, terms and content size.
std::string describe_plan(const PublishPlan& plan);

/// Parses one post object.
WpPost parse_wp_post(const nlohmann::json& j);

}  // namespace sota::core
