#include "core/quality/text_stats.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

namespace sota::core::quality {
namespace {

bool is_vowel(char c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

int count_syllables(std::string_view raw) {
    std::string w;
    for (const char c : raw) {
        if (std::isalpha(static_cast<unsigned char>(c))) {
            w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    if (w.empty()) {
        return 0;
    }
    if (w.size() <= 3) {
        return 1;
    }
    // Endings that add no syllable: silent e, -es and -ed (except after t/d: "wanted", "faded").
    if (ends_with(w, "es") && !ends_with(w, "ses") && !ends_with(w, "zes") &&
        !ends_with(w, "ces") && !ends_with(w, "ges") && !ends_with(w, "shes") &&
        !ends_with(w, "ches") && !ends_with(w, "xes")) {
        w.resize(w.size() - 2);
    } else if (ends_with(w, "ed") && !ends_with(w, "ted") && !ends_with(w, "ded")) {
        w.resize(w.size() - 2);
    } else if (ends_with(w, "e") && !ends_with(w, "le") && !ends_with(w, "ee")) {
        w.pop_back();
    }
    int count = 0;
    bool in_vowels = false;
    for (const char c : w) {
        const bool v = is_vowel(c);
        if (v && !in_vowels) {
            ++count;
        }
        in_vowels = v;
    }
    // "ia", "io" (but not "tion"/"sion"), "eo" usually split into two syllables.
    for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        const bool split = (w[i] == 'i' && (w[i + 1] == 'a' || w[i + 1] == 'o')) ||
                           (w[i] == 'e' && w[i + 1] == 'o');
        const bool suffix = i > 0 && (w[i - 1] == 't' || w[i - 1] == 's') && w[i + 1] == 'o';
        if (split && !suffix) {
            ++count;
        }
    }
    return std::max(count, 1);
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::string current;
    auto flush = [&] {
        while (!current.empty() && (current.back() == '-' || current.back() == '\'')) {
            current.pop_back();
        }
        if (!current.empty()) {
            words.push_back(current);
        }
        current.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool inner_number_mark = (c == '.' || c == ',') && !current.empty() &&
                                       std::isdigit(static_cast<unsigned char>(current.back())) &&
                                       i + 1 < text.size() &&
                                       std::isdigit(static_cast<unsigned char>(text[i + 1]));
        if (std::isalnum(c) || c >= 0x80 || inner_number_mark ||
            ((c == '\'' || c == '-') && !current.empty())) {
            current += static_cast<char>(c);
        } else {
            flush();
        }
    }
    flush();
    return words;
}

std::vector<std::string> split_sentences(std::string_view text) {
    static const std::array<std::string_view, 12> k_abbreviations = {
        "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "no", "approx", "fig"};
    std::vector<std::string> out;
    std::string current;
    auto flush = [&] {
        const auto b = current.find_first_not_of(" \t\r\n");
        if (b != std::string::npos && !split_words(current).empty()) {
            out.push_back(current.substr(b));
        }
        current.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n' && i + 1 < text.size() && text[i + 1] == '\n') {
            flush();
            continue;
        }
        current += c;
        if (c == '.' || c == '!' || c == '?') {
            const bool next_is_space =
                i + 1 >= text.size() || std::isspace(static_cast<unsigned char>(text[i + 1]));
            if (!next_is_space) {
                continue;  // 3.5, example.com
            }
            if (c == '.') {
                // The token before the full stop, as written ("e.g", "Dr"): an abbreviation
                // does not end the sentence.
                const auto space = current.find_last_of(" \t\n(");
                std::string token = current.substr(space == std::string::npos ? 0 : space + 1);
                token.pop_back();
                std::transform(token.begin(), token.end(), token.begin(), [](unsigned char ch) {
                    return static_cast<char>(std::tolower(ch));
                });
                if (std::find(k_abbreviations.begin(), k_abbreviations.end(), token) !=
                    k_abbreviations.end()) {
                    continue;
                }
            }
            flush();
        }
    }
    flush();
    return out;
}

TextStats text_stats(std::string_view text) {
    TextStats s;
    const auto words = split_words(text);
    s.words = static_cast<int>(words.size());
    s.sentences = std::max(1, static_cast<int>(split_sentences(text).size()));
    for (const auto& w : words) {
        const int syllables = count_syllables(w);
        s.syllables += syllables;
        for (const char c : w) {
            const auto u = static_cast<unsigned char>(c);
            s.letters += std::isalpha(u) ? 1 : 0;
            s.characters += std::isalnum(u) || (u >= 0x80 && (u & 0xC0) != 0x80) ? 1 : 0;
        }
        if (syllables >= 3) {
            ++s.polysyllables;
            // Gunning's complex words leave out names and the inflected endings.
            const bool name = std::isupper(static_cast<unsigned char>(w[0]));
            const bool inflected =
                (ends_with(w, "es") || ends_with(w, "ed") || ends_with(w, "ing")) && syllables == 3;
            s.complex_words += !name && !inflected && w.find('-') == std::string::npos ? 1 : 0;
        }
    }
    if (s.words > 0) {
        const double asl = static_cast<double>(s.words) / s.sentences;
        const double asw = static_cast<double>(s.syllables) / s.words;
        s.flesch_reading_ease = 206.835 - 1.015 * asl - 84.6 * asw;
        s.flesch_kincaid_grade = 0.39 * asl + 11.8 * asw - 15.59;
        s.gunning_fog = 0.4 * (asl + 100.0 * s.complex_words / s.words);
        s.smog = 1.043 * std::sqrt(30.0 * s.polysyllables / s.sentences) + 3.1291;
        s.coleman_liau =
            0.0588 * (100.0 * s.letters / s.words) - 0.296 * (100.0 * s.sentences / s.words) - 15.8;
        s.automated_readability =
            4.71 * static_cast<double>(s.characters) / s.words + 0.5 * asl - 21.43;
    }
    return s;
}

const char* flesch_band(double score) {
    if (score >= 90) {
        return "very easy";
    }
    if (score >= 80) {
        return "easy";
    }
    if (score >= 70) {
        return "fairly easy";
    }
    if (score >= 60) {
        return "standard";
    }
    if (score >= 50) {
        return "fairly difficult";
    }
    if (score >= 30) {
        return "difficult";
    }
    return "very confusing";
}

}  // namespace sota::core::quality
