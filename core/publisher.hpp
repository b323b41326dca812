#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace sota::core {

/// A finished article, ready to publish.
struct Article {
    std::string title;
    std::string slug;
    std::string meta_description;
    std::string keyword;
    std::string markdown;
    std::string html;
    std::string status = "draft";            ///< draft, publish, pending, private
    std::vector<std::int64_t> category_ids;  ///< WordPress term ids
    std::vector<std::int64_t> tag_ids;
    std::vector<std::string> categories;  ///< names (WordPress: created if missing and allowed)
    std::vector<std::string> tags;
    std::optional<std::int64_t> existing_id;  ///< refresh: the post being updated
    std::string seo_title{};                  ///< the <title> for search results ("" = title)
    std::string json_ld{};                    ///< schema.org JSON-LD, published with the content
    std::string job_id{};                     ///< the job that made it (marks the post as sota's)
};

/// Where an article went.
struct PublishResult {
    std::string location;  ///< URL or file path
    std::optional<std::int64_t> remote_id;
    bool updated = false;    ///< an existing post or file was replaced
    bool deferred = false;   ///< not published yet: queued and retried later
    std::string status{};    ///< the status the post has now ("draft", "publish", ...)
    std::string slug{};      ///< the slug it went to (may differ from the article's: "-2")
    std::string replaced{};  ///< an update: what it replaced, in words
};

/// The article as JSON (for the deferred publish queue) and back.
std::string article_to_json(const Article& article);
Expected<Article> article_from_json(const std::string& text);

/// Somewhere articles are published: WordPress, or files for a static site.
class Publisher {
  public:
    virtual ~Publisher() = default;
    /// Publishes or updates one article. Idempotent: publishing the same slug again updates it.
    virtual Expected<PublishResult> publish(const Article& article) = 0;
};

}  // namespace sota::core
