#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/pipeline/job.hpp"
#include "core/web_fetcher.hpp"
#include "core/wordpress.hpp"

namespace sota::core::pipeline {

/// Reads the site's pages from a file's text: a CSV with a header naming `url` (and optionally
/// `title`, `description`), or one URL per line (blank lines and # comments skipped). Errors
/// name the source and line; a page without a title gets one from its URL's last segment.
Expected<std::vector<SitePage>> parse_site_pages(std::string_view text, const std::string& source);

/// The <loc> URLs of a sitemap; `is_index` says whether they are further sitemaps.
struct SitemapEntries {
    std::vector<std::string> locations;
    bool is_index = false;
};
SitemapEntries parse_sitemap(std::string_view xml);

/// The pages listed by a sitemap (following a sitemap index one level), at most `limit`.
Expected<std::vector<SitePage>> load_sitemap(WebFetcher& web, const std::string& url,
                                             std::size_t limit);

/// The site's published posts and pages from WordPress, at most `limit`.
Expected<std::vector<SitePage>> load_wordpress_pages(WordPressClient& wp, std::size_t limit);

/// "best-burr-grinders" from ".../best-burr-grinders/" becomes "Best burr grinders".
std::string title_from_url(const std::string& url);

}  // namespace sota::core::pipeline
