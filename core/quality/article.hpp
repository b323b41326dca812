#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sota::core::quality {

struct Heading {
    int level = 0;  ///< 1-6
    std::string text;
};

struct Link {
    std::string text;
    std::string url;
};

/// What the checks look at in a Markdown article.
struct ArticleView {
    std::vector<Heading> headings;
    std::vector<std::string> paragraphs;  ///< plain text, markup removed
    std::vector<Link> links;
    std::vector<Link> images;  ///< text is the alt text
    std::string plain_text;    ///< every paragraph and heading, for counts
};

/// Reads the parts of a Markdown article that quality checks need: ATX headings, paragraphs
/// (blank-line separated, list items count as paragraphs), inline links and images. Code blocks
/// are skipped. Markup is stripped from paragraph text.
ArticleView parse_markdown(std::string_view markdown);

/// The host of a URL, lower-cased ("" for a relative URL).
std::string url_host(std::string_view url);

}  // namespace sota::core::quality
