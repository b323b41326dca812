#pragma once

#include <string>
#include <vector>

#include "core/quality/text_stats.hpp"

namespace sota::core::quality {

/// What the validator needs to know about an article.
struct QualityInput {
    std::string keyword;
    std::string markdown;
    std::string meta_title;
    std::string meta_description;
    std::string slug;
    std::string site_host;  ///< links to this host (or relative links) are internal
    int target_words = 0;   ///< from the blueprint; 0 = at least 300
    bool expect_faq = true;
    std::string schema_type;               ///< the JSON-LD type the article carries ("" if none)
    std::vector<std::string> broken_urls;  ///< URLs the reference step found not answering
};

enum class Verdict { pass, warn, fail };

/// "pass", "warn", "fail".
const char* to_string(Verdict verdict);

/// One check's outcome: a 0-9 score (Yoast's scale: 8-9 green, 5-7 orange, 0-4 red), what was
/// found, and what to change (fed to the auto-fix step).
struct CheckResult {
    std::string id;
    std::string title;
    Verdict verdict = Verdict::pass;
    int score = 9;
    std::string detail;
    std::string fix;  ///< empty when it passed
};

/// Every check and the overall 0-100 score: round(sum of scores / (checks x 9) x 100).
struct QualityReport {
    std::vector<CheckResult> checks;
    int score = 0;
    TextStats stats;
    double keyword_density = 0;  ///< keyword phrase matches per 100 words
    int failed() const;
    int warned() const;
};

/// Scores an article deterministically: word count against target; keyword in title, H1,
/// introduction, meta description and slug; keyword density band; a single H1 and heading
/// hierarchy; section, paragraph and sentence length; Flesch reading ease; internal, outbound
/// and broken links; meta title and description lengths; FAQ and schema presence.
QualityReport validate(const QualityInput& input);

}  // namespace sota::core::quality
