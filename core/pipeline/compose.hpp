#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sota::core::pipeline {

/// Words for matching passages: lower-case, stop words dropped, a plural "s" trimmed.
std::vector<std::string> content_terms(std::string_view text);

/// Cosine similarity of two bags of terms, 0-1.
double similarity(const std::vector<std::string>& a, const std::vector<std::string>& b);

/// The body paragraphs of a Markdown article (not headings, lists of references or code), as
/// they appear in the text.
std::vector<std::string> body_paragraphs(std::string_view markdown);

/// Places a link at the first occurrence of `anchor` (whole words, any case) that is in body
/// text and not already inside a link. Returns false if there is none.
bool insert_link(std::string& markdown, const std::string& anchor, const std::string& url);

/// The finished article: the fixed draft's Markdown with internal links at their anchors,
/// each reference's citation after the sentence it supports, and a "References" list.
/// `fixed_draft` is {markdown, ...}; `references` {sources: [{n, url, title, sentence}]};
/// `links` {links: [{url, anchor}]}; either may be null.
std::string compose_markdown(const nlohmann::json& fixed_draft, const nlohmann::json& references,
                             const nlohmann::json& links);

/// A whole HTML page around a rendered article body: title, meta description, and JSON-LD
/// (the blueprint's schema type, plus FAQPage when the article has questions).
/// `meta` is {title, meta_title, meta_description, keyword, slug, schema_type, faq: [{q, a}]}.
std::string html_document(const nlohmann::json& meta, const std::string& body_html);

/// Escapes text for HTML.
std::string html_escape(std::string_view text);

}  // namespace sota::core::pipeline
