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
    std::string text;  ///< anchor text (an image's alt text)
    std::string url;
    bool nofollow = false;  ///< rel="nofollow" (HTML links only)
};

/// What kind of block a piece of prose came from.
enum class BlockKind { heading, paragraph, list_item, quote, table_cell };

/// One block of prose, in document order: a heading, a paragraph, a list item, a blockquote
/// paragraph or a table cell. Code spans and code blocks are not prose and never appear here.
struct Block {
    BlockKind kind = BlockKind::paragraph;
    int level = 0;  ///< heading level (1-6); 0 for other blocks
    std::string text;
};

/// What the checks look at in an article.
struct ArticleView {
    std::vector<Block> blocks;  ///< headings and prose blocks in document order
    std::vector<Heading> headings;
    std::vector<std::string> paragraphs;  ///< the text of every non-heading block
    std::vector<Link> links;
    std::vector<Link> images;      ///< text is the alt text
    std::string plain_text;        ///< every block, headings ending in ".", for counts
    std::string html_title;        ///< <title> of an HTML document ("" for Markdown)
    std::string html_description;  ///< <meta name="description"> of an HTML document
};

/// Reads a Markdown article: ATX and Setext headings, paragraphs, list items (each its own
/// block), blockquotes (their own paragraphs), table cells, inline and reference links, images,
/// autolinks and inline HTML links (rel="nofollow" honoured). Fenced and indented code blocks,
/// code spans, link definitions and front matter are not prose. Emphasis and escapes are removed.
ArticleView parse_markdown(std::string_view markdown);

/// Reads an HTML document or fragment: h1-h6, p, li, blockquote, td/th and other block
/// elements become blocks; a, img (alt), <title> and the meta description are read; script,
/// style, code, pre, template, svg and noscript are not prose. Entities are decoded.
ArticleView parse_html(std::string_view html);

/// True when the text reads as HTML rather than Markdown (it starts with a tag, or has
/// <html>, <body> or <p> elements).
bool looks_like_html(std::string_view text);

/// The host of a URL, lower-cased ("" for a relative URL).
std::string url_host(std::string_view url);

/// Where a link points, as the link checks count it.
enum class LinkKind { internal, outbound, other };

/// `other` for mailto:, tel:, javascript: and fragment-only (#x) links, which are neither
/// internal nor outbound; `internal` for a relative URL or one on `site_host` (or a subdomain
/// of it); otherwise `outbound`.
LinkKind link_kind(std::string_view url, std::string_view site_host);

/// Front matter at the top of a Markdown file ("---" YAML-style "key: value" lines "---").
struct FrontMatter {
    bool present = false;
    std::string title;        ///< title / seo_title / meta_title
    std::string description;  ///< description / meta_description / meta / excerpt
    std::string slug;         ///< slug / permalink (last path part)
    std::string keyword;      ///< keyphrase / keyword / focus_keyphrase
    std::string synonyms;     ///< synonyms (a comma-separated list or a [a, b] list)
    std::string body;         ///< the text after the front matter
};

/// Splits off front matter; without any, `body` is the whole text.
FrontMatter split_front_matter(std::string_view text);

}  // namespace sota::core::quality
