#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/fake_http_server.hpp"

namespace sota::test {

/// An in-memory WordPress: API discovery by Link header (or, with pretty_permalinks false, only
/// the ?rest_route= form), application-password Basic auth, wp/v2 posts and pages with
/// pagination headers, per_page and page limits, context=edit, _fields, create (201 +
/// Location) and update, registered post meta, categories and tags (created by POST), unique
/// slugs for published posts (SLUG-2), and WordPress's error bodies (an anonymous caller asking
/// for drafts gets rest_invalid_param, as from WordPress 5.x on).
struct FakeWordPress {
    std::mutex mutex;
    bool pretty_permalinks = true;
    std::string user = "editor";
    std::string app_password = "abcd EFGH ijkl MNOP qrst UVWX";
    std::map<std::int64_t, nlohmann::json> posts;  ///< by id
    std::int64_t next_id = 100;
    std::string base_url;
    bool writes_down = false;  ///< answer every create/update with 503 (the site is struggling)
    /// Categories and tags: {"categories": [{"id", "name", "slug"}, ...], "tags": [...]}.
    /// POST creates one (term_exists, with its id, for a name taken).
    std::map<std::string, std::vector<nlohmann::json>> terms;
    std::int64_t next_term_id = 50;
    /// REST namespaces the API root lists; add "yoast/v1" or "rankmath/v1" to act as a site
    /// running Yoast SEO or Rank Math.
    std::vector<std::string> namespaces = {"oembed/1.0", "wp/v2", "wp-site-health/v1"};
    /// Post meta keys registered with show_in_rest: only these are stored and shown; other
    /// keys in a write are ignored, as WordPress does.
    std::vector<std::string> registered_meta;
    /// False: the site ignores application passwords (WordPress over plain HTTP on a site that
    /// is not local) and treats every request as anonymous.
    bool app_passwords_available = true;
    std::int64_t user_id = 1;

    /// Adds a published post modified `days_ago` days before 2026-11-24.
    std::int64_t add_post(const std::string& title, const std::string& slug, int days_ago,
                          std::vector<std::int64_t> categories = {}, std::int64_t author = 7);
    /// Adds a category or tag; returns its id.
    std::int64_t add_term(const std::string& taxonomy, const std::string& name);
};

void install_wordpress(FakeHttpServer& server, std::shared_ptr<FakeWordPress> wp);

}  // namespace sota::test
