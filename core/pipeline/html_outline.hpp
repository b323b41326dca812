#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/quality/article.hpp"

namespace sota::core::pipeline {

/// What the gap analysis reads off a competitor's page.
struct PageOutline {
    std::string title;
    std::vector<quality::Heading> headings;  ///< H1-H3 in document order
    int word_count = 0;                      ///< words of visible text in the main content
    std::string description;                 ///< <meta name="description">
};

/// Reads a page's title, H1-H3 outline, meta description and word count. Script, style,
/// nav, header, footer, aside, form and noscript content are left out of the count; entities
/// are decoded. Tolerates broken markup.
PageOutline outline_html(std::string_view html);

/// Turns an article's HTML (a WordPress post body, a live page's <article> or <main>) into the
/// Markdown the pipeline works on: headings, paragraphs, list items, links and emphasis; other
/// markup is dropped.
std::string html_to_markdown(std::string_view html);

/// Decodes &amp; &lt; &gt; &quot; &#39; &nbsp; and numeric entities.
std::string decode_entities(std::string_view text);

}  // namespace sota::core::pipeline
