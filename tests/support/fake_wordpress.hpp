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
/// Location) and update, and WordPress's error bodies.
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
    std::map<std::string, std::vector<nlohmann::json>> terms;

    /// Adds a published post modified `days_ago` days before 2026-11-24.
    std::int64_t add_post(const std::string& title, const std::string& slug, int days_ago,
                          std::vector<std::int64_t> categories = {});
};

void install_wordpress(FakeHttpServer& server, std::shared_ptr<FakeWordPress> wp);

}  // namespace sota::test
