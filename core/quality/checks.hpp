#pragma once

// Private to core/quality: what every check reads, prepared once per article, and the check
// families validate() runs.

#include <string>
#include <vector>

#include "core/quality/article.hpp"
#include "core/quality/keyphrase.hpp"
#include "core/quality/validator.hpp"

namespace sota::core::quality {

/// One sentence of the article with its words ready for matching.
struct Sentence {
    std::string text;
    MatchText match;
    std::size_t block = 0;  ///< index into ArticleView::blocks
};

/// The article read once for all checks.
struct Analysis {
    explicit Analysis(const QualityInput& input);

    const QualityInput& in;
    ArticleView view;
    std::vector<Sentence> sentences;  ///< every block's sentences, headings included, in order
    std::vector<std::size_t> first_sentence;  ///< per block: index of its first sentence
    int words = 0;                            ///< words of every block, headings included
    Keyphrase keyphrase;
    std::vector<Keyphrase> synonyms;
    std::string title;  ///< the SEO title
    TextStats stats;

    bool has_keyphrase() const { return !keyphrase.empty(); }
    /// The keyphrase followed by its synonyms.
    std::vector<const Keyphrase*> topics() const;
};

/// A check result with the verdict that goes with its score.
CheckResult make_check(std::string id, std::string title, Category category, int score,
                       std::string detail, std::string fix, bool yoast = true);

/// printf-style formatting of one number.
std::string format_number(const char* format, double value);

/// Words in a piece of text.
int word_count(std::string_view text);

/// Unicode code points in UTF-8 text (what a reader counts as characters).
int code_points(std::string_view text);

/// Yoast's keyphrase checks (introduction, length, density, meta description, subheadings,
/// competing links, image alt, title, slug, distribution) and its other SEO checks (text
/// length, links, title width, meta description length, single H1, images, title).
void add_seo_checks(const Analysis& a, std::vector<CheckResult>& out);

/// Yoast's readability checks: subheading distribution, paragraph and sentence length,
/// consecutive sentence beginnings, passive voice, transition words, text presence, word
/// complexity.
void add_readability_checks(const Analysis& a, std::vector<CheckResult>& out);

/// sota's own structure checks: length against the blueprint, keyphrase in the H1, heading
/// levels, Flesch reading ease, broken links, FAQ and structured data.
void add_structure_checks(const Analysis& a, std::vector<CheckResult>& out);

/// Checks an editor makes that no SEO plugin does: repeated paragraphs, sentences and FAQ
/// answers, template filler, doubled words, citation support and order, uncited numbers.
void add_editor_checks(const Analysis& a, std::vector<CheckResult>& out);

/// True when a sentence uses the passive voice (a form of "be" or "get" followed by a past
/// participle, allowing adverbs between).
bool is_passive(const MatchText& sentence);

/// True when a sentence holds a transition word or phrase ("however", "for example").
bool has_transition(const MatchText& sentence);

}  // namespace sota::core::quality
