#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sota::core::quality {

/// True for an English function word ("the", "of", "how", "very", "is", ...): the words Yoast's
/// keyphrase checks leave out of a keyphrase. `lower` must be lower case.
bool is_function_word(std::string_view lower);

/// The form a word is matched by: lower case, hyphens and a possessive ('s, ’s, s') dropped,
/// a regular plural made singular ("grinders" -> "grinder", "boxes" -> "box",
/// "stories" -> "story"). "E-mail", "email" and "emails" share one form.
std::string word_form(std::string_view word);

/// The forms of every word of a text, in order.
std::vector<std::string> forms_of(std::string_view text);

/// A focus keyphrase (or one synonym) as the checks match it.
struct Keyphrase {
    std::string text;                ///< as given, quotes removed
    std::vector<std::string> words;  ///< every word, lower case
    std::vector<std::string>
        forms;           ///< the content words' forms (all words if only function words)
    bool exact = false;  ///< given in double quotes: match the phrase as written
    bool only_function_words = false;
    bool empty() const { return words.empty(); }
};

/// Reads a keyphrase. A phrase in double quotes is matched exactly.
Keyphrase make_keyphrase(std::string_view text);

/// Reads a comma-separated synonym list ("espresso mill, coffee grinder").
std::vector<Keyphrase> make_synonyms(std::string_view text);

/// A run of text prepared for matching: its lower-case words and their forms.
struct MatchText {
    std::vector<std::string> words;
    std::vector<std::string> forms;
};

/// Prepares `text` for matching.
MatchText match_text(std::string_view text);

/// How many times the keyphrase occurs in one sentence: with all its content words present,
/// the fewest times any of them occurs (Yoast counts "several occurrences of all content words
/// within one sentence" as several matches); an exact keyphrase counts its phrase.
int occurrences_in_sentence(const Keyphrase& keyphrase, const MatchText& sentence);

/// True when every content word of the keyphrase occurs in `text`.
bool contains_all(const Keyphrase& keyphrase, const MatchText& text);

/// How many of the keyphrase's distinct content forms occur in `text`.
int forms_found(const Keyphrase& keyphrase, const MatchText& text);

/// True when `text` is the keyphrase itself (same forms in the same order, function words aside).
bool is_whole_keyphrase(const Keyphrase& keyphrase, const MatchText& text);

}  // namespace sota::core::quality
