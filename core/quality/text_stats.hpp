#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sota::core::quality {

/// English syllables in one word: the one syllable counter every formula here uses. Vowel
/// groups (a e i o u y) with the usual corrections: a silent final e, -es/-ed endings that add
/// no syllable (except after s/z/c/g/sh/ch/x and t/d), "ia"/"io"/"eo" split in two (not in
/// -tion/-sion); words of three letters or fewer are one syllable; at least 1. A heuristic
/// pinned by fixtures, not a dictionary: expect about ±0.1 syllable per word against CMUdict.
int count_syllables(std::string_view word);

/// Words: runs of letters, digits, apostrophes and inner hyphens.
std::vector<std::string> split_words(std::string_view text);

/// Sentences: split after . ! ? (and line ends), skipping common abbreviations and decimals.
std::vector<std::string> split_sentences(std::string_view text);

/// Counts behind the readability formulas, and the formulas. W words, S sentences, Y syllables,
/// L letters, C characters (letters and digits), P polysyllables (3+ syllables), D complex words.
struct TextStats {
    int words = 0;
    int sentences = 0;
    int syllables = 0;
    int letters = 0;
    int characters = 0;
    int polysyllables = 0;
    int complex_words = 0;  ///< 3+ syllables, not a capitalised name, -es/-ed/-ing not counted
    double flesch_reading_ease = 0;    ///< 206.835 - 1.015 W/S - 84.6 Y/W, not clamped
    double flesch_kincaid_grade = 0;   ///< 0.39 W/S + 11.8 Y/W - 15.59
    double gunning_fog = 0;            ///< 0.4 (W/S + 100 D/W)
    double smog = 0;                   ///< 1.043 sqrt(30 P/S) + 3.1291
    double coleman_liau = 0;           ///< 0.0588 (100 L/W) - 0.296 (100 S/W) - 15.8
    double automated_readability = 0;  ///< 4.71 C/W + 0.5 W/S - 21.43
};

/// Statistics of plain text (no markup). Every formula uses count_syllables.
TextStats text_stats(std::string_view text);

/// The Flesch band name: "very easy" (90+), "easy", "fairly easy", "standard" (60-69),
/// "fairly difficult", "difficult", "very confusing" (under 30).
const char* flesch_band(double score);

}  // namespace sota::core::quality
