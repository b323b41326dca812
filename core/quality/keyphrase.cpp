#include "core/quality/keyphrase.hpp"

#include <algorithm>
#include <array>

#include "core/quality/text_stats.hpp"
#include "core/text.hpp"

namespace sota::core::quality {
namespace {

// English function words: articles, pronouns, prepositions, conjunctions, auxiliary and modal
// verbs, quantifiers, common adverbs and question words.
constexpr auto k_function_words = std::to_array<std::string_view>({
    "a",          "about",      "above",      "across",    "after",      "afterwards", "again",
    "against",    "ago",        "all",        "almost",    "along",      "already",    "also",
    "although",   "always",     "am",         "among",     "amongst",    "an",         "and",
    "another",    "any",        "anybody",    "anyhow",    "anyone",     "anything",   "anyway",
    "anywhere",   "are",        "around",     "as",        "at",         "be",         "became",
    "because",    "become",     "becomes",    "been",      "before",     "behind",     "being",
    "below",      "beside",     "besides",    "between",   "beyond",     "both",       "but",
    "by",         "can",        "cannot",     "could",     "did",        "do",         "does",
    "doing",      "done",       "down",       "during",    "each",       "eight",      "either",
    "else",       "elsewhere",  "enough",     "even",      "ever",       "every",      "everybody",
    "everyone",   "everything", "everywhere", "few",       "fifth",      "first",      "five",
    "for",        "former",     "four",       "from",      "further",    "get",        "gets",
    "getting",    "got",        "had",        "has",       "have",       "having",     "he",
    "her",        "here",       "hers",       "herself",   "him",        "himself",    "his",
    "how",        "however",    "i",          "if",        "in",         "into",       "is",
    "it",         "its",        "itself",     "just",      "last",       "latter",     "least",
    "less",       "lot",        "lots",       "many",      "may",        "me",         "might",
    "mine",       "more",       "most",       "much",      "must",       "my",         "myself",
    "near",       "neither",    "never",      "next",      "nine",       "no",         "nobody",
    "none",       "nor",        "not",        "nothing",   "now",        "nowhere",    "of",
    "off",        "often",      "on",         "once",      "one",        "only",       "onto",
    "or",         "other",      "others",     "otherwise", "ought",      "our",        "ours",
    "ourselves",  "out",        "over",       "own",       "per",        "perhaps",    "quite",
    "rather",     "really",     "same",       "second",    "seven",      "several",    "shall",
    "she",        "should",     "since",      "six",       "so",         "some",       "somebody",
    "someone",    "something",  "sometimes",  "somewhere", "still",      "such",       "ten",
    "than",       "that",       "the",        "their",     "theirs",     "them",       "themselves",
    "then",       "there",      "therefore",  "these",     "they",       "third",      "this",
    "those",      "though",     "three",      "through",   "throughout", "thus",       "to",
    "together",   "too",        "toward",     "towards",   "two",        "under",      "unless",
    "until",      "up",         "upon",       "us",        "very",       "via",        "was",
    "we",         "were",       "what",       "whatever",  "when",       "whenever",   "where",
    "whereas",    "wherever",   "whether",    "which",     "while",      "who",        "whoever",
    "whole",      "whom",       "whose",      "why",       "will",       "with",       "within",
    "without",    "would",      "yet",        "you",       "your",       "yours",      "yourself",
    "yourselves",
});

bool is_apostrophe_at(std::string_view w, std::size_t i) {
    return w[i] == '\'' || (i + 2 < w.size() && static_cast<unsigned char>(w[i]) == 0xE2 &&
                            static_cast<unsigned char>(w[i + 1]) == 0x80 &&
                            static_cast<unsigned char>(w[i + 2]) == 0x99);
}

std::string singular(std::string w) {
    const auto ends = [&](std::string_view s) { return w.ends_with(s); };
    if (w.size() > 4 && ends("ies")) {
        w.resize(w.size() - 3);
        w += 'y';
    } else if (w.size() > 4 &&
               (ends("sses") || ends("xes") || ends("ches") || ends("shes") || ends("zzes"))) {
        w.resize(w.size() - 2);
    } else if (w.size() > 3 && ends("s") && !ends("ss") && !ends("us") && !ends("is") &&
               !ends("'s")) {
        w.pop_back();
    }
    return w;
}

std::vector<std::string> lower_words(std::string_view text) {
    auto words = split_words(text);
    for (auto& w : words) {
        w = to_lower(w);
    }
    return words;
}

int count_of(const std::vector<std::string>& forms, const std::string& form) {
    return static_cast<int>(std::count(forms.begin(), forms.end(), form));
}

}  // namespace

bool is_function_word(std::string_view lower) {
    static const std::vector<std::string_view> sorted = [] {
        std::vector<std::string_view> v(k_function_words.begin(), k_function_words.end());
        std::sort(v.begin(), v.end());
        return v;
    }();
    return std::binary_search(sorted.begin(), sorted.end(), lower);
}

std::string word_form(std::string_view word) {
    std::string w = to_lower(word);
    // A possessive: "grinder's", "grinder’s", "grinders'".
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (is_apostrophe_at(w, i)) {
            const std::size_t len = w[i] == '\'' ? 1 : 3;
            const std::string_view rest = std::string_view(w).substr(i + len);
            if (rest == "s" || rest.empty()) {
                w.resize(i);
                break;
            }
        }
    }
    std::erase(w, '-');
    return singular(std::move(w));
}

std::vector<std::string> forms_of(std::string_view text) {
    std::vector<std::string> out;
    for (const auto& w : split_words(text)) {
        out.push_back(word_form(w));
    }
    return out;
}

Keyphrase make_keyphrase(std::string_view raw) {
    Keyphrase k;
    std::string text = trim(raw);
    if (text.size() >= 2 && (text.front() == '"' && text.back() == '"')) {
        k.exact = true;
        text = trim(std::string_view(text).substr(1, text.size() - 2));
    }
    k.text = text;
    k.words = lower_words(text);
    for (const auto& w : k.words) {
        if (!is_function_word(w)) {
            k.forms.push_back(word_form(w));
        }
    }
    if (k.forms.empty() && !k.words.empty()) {
        k.only_function_words = true;
        for (const auto& w : k.words) {
            k.forms.push_back(word_form(w));
        }
    }
    return k;
}

std::vector<Keyphrase> make_synonyms(std::string_view text) {
    std::vector<Keyphrase> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto comma = text.find(',', pos);
        if (comma == std::string_view::npos) {
            comma = text.size();
        }
        auto k = make_keyphrase(text.substr(pos, comma - pos));
        if (!k.empty()) {
            out.push_back(std::move(k));
        }
        pos = comma + 1;
    }
    return out;
}

MatchText match_text(std::string_view text) {
    MatchText m;
    m.words = lower_words(text);
    m.forms.reserve(m.words.size());
    for (const auto& w : m.words) {
        m.forms.push_back(word_form(w));
    }
    return m;
}

int occurrences_in_sentence(const Keyphrase& k, const MatchText& s) {
    if (k.empty()) {
        return 0;
    }
    if (k.exact) {
        int n = 0;
        for (std::size_t i = 0; i + k.words.size() <= s.words.size(); ++i) {
            if (std::equal(k.words.begin(), k.words.end(),
                           s.words.begin() + static_cast<std::ptrdiff_t>(i))) {
                ++n;
            }
        }
        return n;
    }
    int fewest = -1;
    for (const auto& form : k.forms) {
        const int n = count_of(s.forms, form);
        fewest = fewest < 0 ? n : std::min(fewest, n);
    }
    return std::max(fewest, 0);
}

bool contains_all(const Keyphrase& k, const MatchText& text) {
    return !k.empty() && occurrences_in_sentence(k, text) > 0;
}

int forms_found(const Keyphrase& k, const MatchText& text) {
    std::vector<std::string> distinct = k.forms;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    return static_cast<int>(std::count_if(distinct.begin(), distinct.end(), [&](const auto& f) {
        return std::find(text.forms.begin(), text.forms.end(), f) != text.forms.end();
    }));
}

bool is_whole_keyphrase(const Keyphrase& k, const MatchText& text) {
    std::vector<std::string> content;
    for (std::size_t i = 0; i < text.words.size(); ++i) {
        if (!is_function_word(text.words[i]) || k.only_function_words) {
            content.push_back(text.forms[i]);
        }
    }
    return !k.empty() && content == k.forms;
}

}  // namespace sota::core::quality
