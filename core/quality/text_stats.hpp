#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sota::core::quality {

/// English syllables in one word, by vowel groups with the usual corrections (silent final e,
/// -es/-ed endings, consonant + le); at least 1. A heuristic pinned by fixtures, not a
/// dictionary: expect about ±0.1 syllable per word against CMUdict.
int count_syllables(std::string_view word);

/// Words: runs of letters, digits, apostrophes and inner hyphens.
std::vector<std::string> split_words(std::string_view text);

/// Sentences: split after . ! ? (and line ends), skipping common abbreviations and decimals.
std::vector<std::string> split_sentences(std::string_view text);

/// Counts behind the readability formulas.
struct TextStats {
    int words = 0;
    int sentences = 0;
    int syllables = 0;
    double flesch_reading_ease = 0;  ///< 206.835 - 1.015 ASL - 84.6 ASW, not clamped
    double flesch_kincaid_grade = 0;
};

/// Statistics of plain text (no markup).
TextStats text_stats(std::string_view text);

/// The Flesch band name: "very easy" (90+), "easy", "fairly easy", "standard" (60-69),
/// "fairly difficult", "difficult", "very confusing" (under 30).
const char* flesch_band(double score);

}  // namespace sota::core::quality
