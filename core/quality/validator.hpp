#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/quality/text_stats.hpp"

namespace sota::core::quality {

/// A source the article cites, as the reference step found it.
struct SourceInfo {
    int n = 0;  ///< the number the article cites it by
    std::string url;
    std::string title;
    std::string snippet;  ///< the search snippet or fetched text ("" if unknown)
};

/// What the validator needs to know about an article.
struct QualityInput {
    std::string keyword;   ///< the focus keyphrase ("" = the keyphrase checks are left out)
    std::string synonyms;  ///< comma-separated keyphrase synonyms
    std::string markdown;  ///< the article: Markdown, or HTML when `html` is set
    bool html = false;
    std::string meta_title;
    std::string meta_description;
    std::string slug;
    std::string site_host;     ///< links to this host (or relative links) are internal
    bool cornerstone = false;  ///< Yoast's stricter thresholds for the site's key articles
    int target_words = 0;      ///< from the blueprint; 0 = no target (Yoast's text length applies)
    bool expect_faq = false;   ///< the pipeline's articles carry an FAQ section
    bool expect_schema = false;            ///< the pipeline's articles carry JSON-LD
    std::string schema_type;               ///< the JSON-LD type the article carries ("" if none)
    std::vector<std::string> broken_urls;  ///< URLs the reference step found not answering
    std::vector<SourceInfo> sources;  ///< the cited sources' text; else the References list is read
};

enum class Verdict { pass, warn, fail };

/// "pass", "warn", "fail".
const char* to_string(Verdict verdict);

/// Which score a check counts towards.
enum class Category { seo, readability, editor };

/// "seo", "readability", "editor".
const char* to_string(Category category);

/// One check's outcome: a score on Yoast's scale (8-9 green, 5-7 orange, 4 or less red; some
/// of Yoast's assessments go below 0), what was found, and what to change (fed to the auto-fix
/// step).
struct CheckResult {
    std::string id;
    std::string title;
    Category category = Category::seo;
    bool yoast = true;  ///< Yoast SEO has this assessment (false: one of sota's own)
    Verdict verdict = Verdict::pass;
    int score = 9;
    std::string detail;
    std::string fix;  ///< empty when it passed
};

/// Every check and the scores.
struct QualityReport {
    std::vector<CheckResult> checks;
    int score = 0;              ///< every check: round(sum of scores / (checks x 9) x 100), 0-100
    int seo_score = 0;          ///< Yoast's SEO formula over its SEO assessments
    int readability_score = 0;  ///< Yoast's readability formula: 90, 60 or 30 by penalty points
    TextStats stats;
    int keyphrase_count = 0;
    double keyword_density = 0;  ///< keyphrase matches per 100 words
    int failed() const;
    int warned() const;
};

/// Scores an article deterministically, with no network: Yoast's English SEO and readability
/// assessments with its thresholds (see docs/analysis.md), sota's own structure checks, and the
/// editor checks (repeated text, template filler, doubled words, citations).
QualityReport validate(const QualityInput& input);

/// True when a source's text (its title, snippet or fetched text) supports a sentence as the
/// citation check judges it: they share a content term, and the shared terms are at least a
/// fifth of the smaller set of terms.
bool citation_supported(std::string_view sentence, std::string_view source_text);

/// Width in pixels of a title as a search result shows it: Arial at 20 px, from the font's
/// advance-width table (Helvetica metrics); a non-ASCII character counts as an average letter.
int title_width_px(std::string_view title);

/// Yoast's SEO overall score: round(sum / (n x 9) x 100) over the given scores.
int seo_overall(const std::vector<int>& scores);

/// Yoast's readability overall score: red 3 and orange 2 penalty points; 6+ -> 30, 4-5 -> 60,
/// else 90.
int readability_overall(const std::vector<int>& scores);

}  // namespace sota::core::quality
