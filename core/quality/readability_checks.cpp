// Yoast SEO's English readability assessments, with its thresholds (docs/analysis.md).

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "core/quality/checks.hpp"
#include "core/quality/text_stats.hpp"

namespace sota::core::quality {
namespace {

const std::set<std::string, std::less<>>& auxiliaries() {
    static const std::set<std::string, std::less<>> words = {
        "am",   "is",  "are",    "was",     "were",  "be",     "been",   "being",  "get",
        "gets", "got", "gotten", "getting", "isn't", "aren't", "wasn't", "weren't"};
    return words;
}

// Words that may stand between the auxiliary and the participle ("is often used").
bool is_filler(std::string_view w) {
    static const std::set<std::string, std::less<>> words = {
        "not",       "also",    "always",    "never",  "often",     "still",    "just",
        "then",      "now",     "being",     "been",   "all",       "usually",  "already",
        "sometimes", "rarely",  "generally", "mostly", "typically", "commonly", "widely",
        "easily",    "quickly", "only",      "even",   "further"};
    return words.count(w) > 0 || (w.size() > 4 && w.ends_with("ly"));
}

const std::set<std::string, std::less<>>& irregular_participles() {
    static const std::set<std::string, std::less<>> words = {
        "arisen",    "awoken",   "beaten",        "become",    "begun",      "bent",
        "bitten",    "bled",     "blown",         "bought",    "bound",      "bred",
        "broadcast", "broken",   "brought",       "built",     "burnt",      "caught",
        "chosen",    "clung",    "dealt",         "done",      "drawn",      "driven",
        "drunk",     "dug",      "eaten",         "fallen",    "fed",        "felt",
        "fled",      "flown",    "flung",         "forbidden", "forecast",   "forgiven",
        "forgotten", "fought",   "found",         "frozen",    "given",      "gone",
        "grown",     "heard",    "held",          "hidden",    "hung",       "hurt",
        "kept",      "knelt",    "known",         "laid",      "lain",       "lent",
        "led",       "left",     "lit",           "lost",      "made",       "meant",
        "met",       "mistaken", "misunderstood", "overcome",  "overtaken",  "overthrown",
        "paid",      "proven",   "rebuilt",       "rewritten", "ridden",     "risen",
        "rung",      "said",     "seen",          "sent",      "sewn",       "shaken",
        "shed",      "shot",     "shown",         "shrunk",    "shut",       "slain",
        "slung",     "sold",     "sought",        "spent",     "split",      "spoken",
        "spread",    "sprung",   "spun",          "stolen",    "struck",     "strung",
        "stuck",     "stung",    "sung",          "sunk",      "sworn",      "swept",
        "swollen",   "swung",    "taken",         "taught",    "thought",    "thrown",
        "thrust",    "told",     "torn",          "undergone", "understood", "undertaken",
        "undone",    "upheld",   "withdrawn",     "withheld",  "woken",      "won",
        "worn",      "woven",    "wound",         "written"};
    return words;
}

// Words ending in -ed that are not participles.
bool not_participle(std::string_view w) {
    static const std::set<std::string, std::less<>> words = {
        "bed",     "bred",    "breed",  "creed",  "embed",   "feed",    "greed",  "hundred",
        "indeed",  "need",    "red",    "seed",   "shed",    "sled",    "speed",  "steed",
        "weed",    "naked",   "wicked", "sacred", "beloved", "rugged",  "ragged", "jagged",
        "crooked", "kindred", "shred",  "wed",    "bleed",   "proceed", "exceed", "succeed"};
    return words.count(w) > 0;
}

bool is_participle(std::string_view w) {
    return irregular_participles().count(w) > 0 ||
           (w.size() > 4 && w.ends_with("ed") && !not_participle(w));
}

// Transition words and phrases (one-word entries match a word; phrases match a word run).
const std::vector<std::vector<std::string>>& transitions() {
    static const std::vector<std::vector<std::string>> list = [] {
        const char* const raw[] = {"accordingly",
                                   "additionally",
                                   "afterward",
                                   "afterwards",
                                   "albeit",
                                   "also",
                                   "although",
                                   "altogether",
                                   "another",
                                   "basically",
                                   "because",
                                   "before",
                                   "besides",
                                   "but",
                                   "certainly",
                                   "chiefly",
                                   "comparatively",
                                   "concurrently",
                                   "consequently",
                                   "contrarily",
                                   "conversely",
                                   "correspondingly",
                                   "despite",
                                   "during",
                                   "earlier",
                                   "emphatically",
                                   "equally",
                                   "especially",
                                   "eventually",
                                   "evidently",
                                   "explicitly",
                                   "finally",
                                   "firstly",
                                   "following",
                                   "formerly",
                                   "forthwith",
                                   "fourthly",
                                   "further",
                                   "furthermore",
                                   "generally",
                                   "hence",
                                   "henceforth",
                                   "however",
                                   "identically",
                                   "indeed",
                                   "initially",
                                   "instead",
                                   "lastly",
                                   "later",
                                   "lest",
                                   "likewise",
                                   "markedly",
                                   "meanwhile",
                                   "moreover",
                                   "namely",
                                   "nevertheless",
                                   "nonetheless",
                                   "nor",
                                   "notwithstanding",
                                   "obviously",
                                   "occasionally",
                                   "otherwise",
                                   "overall",
                                   "particularly",
                                   "presently",
                                   "previously",
                                   "rather",
                                   "regardless",
                                   "secondly",
                                   "shortly",
                                   "significantly",
                                   "similarly",
                                   "simultaneously",
                                   "since",
                                   "so",
                                   "soon",
                                   "specifically",
                                   "still",
                                   "straightaway",
                                   "subsequently",
                                   "surely",
                                   "surprisingly",
                                   "then",
                                   "thereafter",
                                   "therefore",
                                   "thereupon",
                                   "thirdly",
                                   "though",
                                   "thus",
                                   "till",
                                   "too",
                                   "undeniably",
                                   "undoubtedly",
                                   "unless",
                                   "unlike",
                                   "unquestionably",
                                   "until",
                                   "when",
                                   "whenever",
                                   "whereas",
                                   "while",
                                   "above all",
                                   "after all",
                                   "all in all",
                                   "as a matter of fact",
                                   "as a result",
                                   "as long as",
                                   "as soon as",
                                   "as well as",
                                   "at first",
                                   "at last",
                                   "at the same time",
                                   "because of",
                                   "by the same token",
                                   "due to",
                                   "even if",
                                   "even though",
                                   "first of all",
                                   "for example",
                                   "for instance",
                                   "for this reason",
                                   "given that",
                                   "in addition",
                                   "in any case",
                                   "in brief",
                                   "in conclusion",
                                   "in contrast",
                                   "in fact",
                                   "in general",
                                   "in other words",
                                   "in particular",
                                   "in short",
                                   "in spite of",
                                   "in summary",
                                   "in the end",
                                   "in the first place",
                                   "in the meantime",
                                   "in the same way",
                                   "in order to",
                                   "not only",
                                   "of course",
                                   "on the contrary",
                                   "on the other hand",
                                   "provided that",
                                   "so that",
                                   "so as to",
                                   "such as",
                                   "that is",
                                   "to begin with",
                                   "to be sure",
                                   "to conclude",
                                   "to illustrate",
                                   "to sum up",
                                   "with this in mind",
                                   "as a consequence",
                                   "for the most part",
                                   "in the long run",
                                   "to put it differently",
                                   "to summarize",
                                   "in essence",
                                   "on the whole",
                                   "by contrast",
                                   "as an illustration",
                                   "in like manner",
                                   "to this end",
                                   "for one thing",
                                   "in the same fashion",
                                   "as shown above",
                                   "to clarify",
                                   "in detail",
                                   "above",
                                   "again",
                                   "first",
                                   "second",
                                   "third",
                                   "next",
                                   "last"};
        std::vector<std::vector<std::string>> out;
        for (const char* entry : raw) {
            out.push_back(match_text(entry).words);
        }
        return out;
    }();
    return list;
}

// The first word of a sentence, or its first two when the first is an article, a numeral or a
// demonstrative ("The cat", "Two ways").
std::string beginning(const MatchText& s) {
    static const std::set<std::string, std::less<>> two_word = {
        "the",   "a",     "an",   "one", "two",  "three", "four",  "five", "six",
        "seven", "eight", "nine", "ten", "this", "that",  "these", "those"};
    if (s.words.empty()) {
        return "";
    }
    if (two_word.count(s.words[0]) && s.words.size() > 1) {
        return s.words[0] + " " + s.words[1];
    }
    return s.words[0];
}

// Yoast's "complex word": longer than 7 letters, not a capitalised name, three or more
// syllables (sota has no frequency list; see docs/analysis.md).
bool is_complex(std::string_view word) {
    if (word.size() <= 7 || std::isupper(static_cast<unsigned char>(word[0])) ||
        word.find_first_of("0123456789") != std::string_view::npos) {
        return false;
    }
    return count_syllables(word) >= 3;
}

}  // namespace

bool is_passive(const MatchText& s) {
    const auto& w = s.words;
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (!auxiliaries().count(w[i])) {
            continue;
        }
        for (std::size_t j = i + 1; j < w.size() && j <= i + 3; ++j) {
            if (is_participle(w[j])) {
                return true;
            }
            if (!is_filler(w[j])) {
                break;
            }
        }
    }
    return false;
}

bool has_transition(const MatchText& s) {
    for (const auto& phrase : transitions()) {
        if (phrase.empty() || phrase.size() > s.words.size()) {
            continue;
        }
        for (std::size_t i = 0; i + phrase.size() <= s.words.size(); ++i) {
            if (std::equal(phrase.begin(), phrase.end(),
                           s.words.begin() + static_cast<std::ptrdiff_t>(i))) {
                return true;
            }
        }
    }
    return false;
}

void add_readability_checks(const Analysis& a, std::vector<CheckResult>& out) {
    const bool cs = a.in.cornerstone;
    const auto& blocks = a.view.blocks;

    // Subheading distribution: the words of the text before and between headings.
    bool any_heading = false;
    int section = 0, longest = 0;
    for (const auto& b : blocks) {
        if (b.kind == BlockKind::heading) {
            any_heading = true;
            longest = std::max(longest, section);
            section = 0;
        } else {
            section += word_count(b.text);
        }
    }
    longest = std::max(longest, section);
    const int limit = cs ? 250 : 300;
    const int sub_score = !any_heading           ? (a.words > limit ? 2 : 9)
                          : a.words <= limit     ? 9
                          : longest > limit + 50 ? 3
                          : longest > limit      ? 6
                                                 : 9;
    out.push_back(make_check(
        "section_length", "Subheading distribution", Category::readability, sub_score,
        any_heading ? "longest stretch without a subheading: " + std::to_string(longest) + " words"
                    : "no subheadings in " + std::to_string(a.words) + " words",
        "add a subheading at least every " + std::to_string(limit) + " words"));

    // Paragraph length.
    int longest_paragraph = 0, long_paragraphs = 0;
    for (const auto& b : blocks) {
        if (b.kind != BlockKind::heading) {
            const int n = word_count(b.text);
            longest_paragraph = std::max(longest_paragraph, n);
            long_paragraphs += n > 150 ? 1 : 0;
        }
    }
    out.push_back(make_check("paragraph_length", "Paragraph length", Category::readability,
                             longest_paragraph > 200   ? 3
                             : longest_paragraph > 150 ? 6
                                                       : 9,
                             std::to_string(long_paragraphs) +
                                 " paragraphs over 150 words; longest " +
                                 std::to_string(longest_paragraph),
                             "split paragraphs over 150 words"));

    // Sentence length: the share of sentences over 20 words.
    const int sentences = static_cast<int>(a.sentences.size());
    int long_sentences = 0, passive = 0, transition = 0;
    for (const auto& s : a.sentences) {
        long_sentences += s.match.words.size() > 20 ? 1 : 0;
        passive += is_passive(s.match) ? 1 : 0;
        transition += has_transition(s.match) ? 1 : 0;
    }
    const double long_share = sentences == 0 ? 0 : 100.0 * long_sentences / sentences;
    out.push_back(make_check("sentence_length", "Sentence length", Category::readability,
                             long_share <= (cs ? 20 : 25)   ? 9
                             : long_share <= (cs ? 25 : 30) ? 6
                                                            : 3,
                             format_number("%.1f", long_share) + "% of sentences over 20 words",
                             "shorten sentences: at most a quarter should exceed 20 words"));

    // Consecutive sentences starting with the same word.
    int run = 1, longest_run = sentences > 0 ? 1 : 0;
    std::string repeated;
    for (int i = 1; i < sentences; ++i) {
        const std::string b = beginning(a.sentences[static_cast<std::size_t>(i)].match);
        if (!b.empty() && b == beginning(a.sentences[static_cast<std::size_t>(i - 1)].match)) {
            ++run;
            if (run > longest_run) {
                longest_run = run;
                repeated = b;
            }
        } else {
            run = 1;
        }
    }
    out.push_back(make_check(
        "sentence_beginnings", "Consecutive sentences", Category::readability,
        longest_run >= 3 ? 3 : 9,
        longest_run >= 3
            ? std::to_string(longest_run) + " sentences in a row start with '" + repeated + "'"
            : "varied sentence beginnings",
        "vary how sentences start: " + std::to_string(longest_run) + " in a row begin with '" +
            repeated + "'"));

    // Passive voice.
    const double passive_share = sentences == 0 ? 0 : 100.0 * passive / sentences;
    out.push_back(make_check("passive_voice", "Passive voice", Category::readability,
                             passive_share <= 10   ? 9
                             : passive_share <= 15 ? 6
                                                   : 3,
                             format_number("%.1f", passive_share) + "% of sentences in the passive",
                             "rewrite passive sentences in the active voice (at most 10%)"));

    // Transition words: judged on texts over 200 words.
    const double transition_share = sentences == 0 ? 0 : 100.0 * transition / sentences;
    out.push_back(make_check(
        "transition_words", "Transition words", Category::readability,
        a.words <= 200           ? 9
        : transition_share >= 30 ? 9
        : transition_share >= 20 ? 6
                                 : 3,
        format_number("%.1f", transition_share) + "% of sentences hold a transition word",
        "link sentences with transition words (however, for example, "
        "as a result) in at least 30% of them"));

    // Text presence.
    int characters = 0;
    for (const auto& b : blocks) {
        characters += code_points(b.text);
    }
    if (characters < 50) {
        out.push_back(make_check("text_presence", "Not enough content", Category::readability, 3,
                                 std::to_string(characters) + " characters of text",
                                 "write some text: the article is nearly empty"));
    }

    // Word complexity (Premium).
    int complex = 0, total = 0;
    for (const auto& b : blocks) {
        for (const auto& w : split_words(b.text)) {
            ++total;
            complex += is_complex(w) ? 1 : 0;
        }
    }
    const double complex_share = total == 0 ? 0 : 100.0 * complex / total;
    out.push_back(make_check("word_complexity", "Word complexity", Category::readability,
                             complex_share > 10 ? (cs ? 3 : 6) : 9,
                             format_number("%.1f", complex_share) + "% complex words",
                             "use simpler, shorter words where you can (at most 10% complex)"));
}

}  // namespace sota::core::quality
