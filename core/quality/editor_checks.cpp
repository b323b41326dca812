// Checks an editor makes that no SEO plugin does. Each names what it found and how to fix it,
// in words the auto-fix step can act on.

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "core/quality/checks.hpp"
#include "core/text.hpp"

namespace sota::core::quality {
namespace {

/// Near-duplicate text: word 3-shingles, Jaccard similarity at or above this is "the same".
constexpr double k_duplicate_similarity = 0.7;
/// Paragraphs shorter than this many words are not compared (a "Yes." answer is no copy).
constexpr std::size_t k_min_paragraph_words = 8;
/// Sentences shorter than this many words may repeat ("It depends.").
constexpr std::size_t k_min_sentence_words = 6;
/// A citation is supported when its sentence shares content terms with the source: at least
/// one, and at least this share of the smaller term set.
constexpr double k_citation_support = 0.2;

using Shingles = std::vector<std::size_t>;

Shingles shingles(const std::vector<std::string>& forms) {
    Shingles out;
    const std::hash<std::string> hash;
    for (std::size_t i = 0; i + 3 <= forms.size(); ++i) {
        out.push_back(hash(forms[i] + ' ' + forms[i + 1] + ' ' + forms[i + 2]));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

double jaccard(const Shingles& a, const Shingles& b) {
    if (a.empty() || b.empty()) {
        return 0;
    }
    std::size_t shared = 0;
    for (std::size_t i = 0, j = 0; i < a.size() && j < b.size();) {
        if (a[i] == b[j]) {
            ++shared, ++i, ++j;
        } else if (a[i] < b[j]) {
            ++i;
        } else {
            ++j;
        }
    }
    return static_cast<double>(shared) / static_cast<double>(a.size() + b.size() - shared);
}

std::string excerpt(std::string_view text, std::size_t max = 60) {
    if (text.size() <= max) {
        return std::string(text);
    }
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    return std::string(text.substr(0, cut)) + "...";
}

std::vector<std::string> content_forms(const MatchText& m) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < m.words.size(); ++i) {
        const auto& w = m.words[i];
        if (!is_function_word(w) && !std::isdigit(static_cast<unsigned char>(w[0])) &&
            w.size() > 1) {
            out.push_back(m.forms[i]);
        }
    }
    return out;
}

bool is_references_heading(std::string_view text) {
    const std::string t = to_lower(text);
    return t == "references" || t == "sources" || t == "bibliography" || t == "citations" ||
           t == "notes" || t == "works cited";
}

bool is_faq_heading(std::string_view text) {
    const std::string t = to_lower(text);
    return t.find("faq") != std::string::npos || t.find("frequently asked") != std::string::npos;
}

/// Citation markers "[12]" or "[^12]" in a text, in order.
std::vector<int> citations_in(std::string_view text) {
    std::vector<int> out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '[') {
            continue;
        }
        std::size_t j = i + 1;
        if (j < text.size() && text[j] == '^') {
            ++j;
        }
        int n = 0, digits = 0;
        while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) && digits < 4) {
            n = n * 10 + (text[j] - '0');
            ++j, ++digits;
        }
        if (digits > 0 && j < text.size() && text[j] == ']') {
            out.push_back(n);
            i = j;
        }
    }
    return out;
}

/// A number used as a claim: a percentage, an amount of money, a count in thousands or more,
/// or "N times".
bool has_number_claim(const MatchText& m, std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(text[i]))) {
            std::size_t j = i;
            while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) ||
                                       text[j] == '.' || text[j] == ',')) {
                ++j;
            }
            if (j < text.size() && text[j] == '%') {
                return true;
            }
            if (i > 0 && (text[i - 1] == '$' || text.substr(0, i).ends_with("\xE2\x82\xAC") ||
                          text.substr(0, i).ends_with("\xC2\xA3"))) {
                return true;
            }
            i = j;
        }
    }
    static const std::set<std::string, std::less<>> scale = {
        "percent", "million", "millions", "billion", "billions", "trillion", "times", "fold"};
    for (std::size_t i = 0; i + 1 < m.words.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(m.words[i][0])) &&
            scale.count(m.words[i + 1])) {
            return true;
        }
    }
    return false;
}

/// Where the references list starts (a block index), or the block count.
std::size_t references_start(const ArticleView& view) {
    for (std::size_t b = 0; b < view.blocks.size(); ++b) {
        if (view.blocks[b].kind == BlockKind::heading &&
            is_references_heading(view.blocks[b].text)) {
            return b;
        }
    }
    return view.blocks.size();
}

void duplicate_checks(const Analysis& a, std::vector<CheckResult>& out) {
    const auto& blocks = a.view.blocks;
    // Paragraphs.
    std::vector<std::pair<std::size_t, Shingles>> paragraphs;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
        if (blocks[b].kind == BlockKind::heading || blocks[b].kind == BlockKind::table_cell) {
            continue;
        }
        const MatchText m = match_text(blocks[b].text);
        if (m.words.size() >= k_min_paragraph_words) {
            paragraphs.emplace_back(b, shingles(m.forms));
        }
    }
    std::vector<std::string> found;
    std::set<std::size_t> reported;
    for (std::size_t i = 0; i < paragraphs.size(); ++i) {
        for (std::size_t j = i + 1; j < paragraphs.size(); ++j) {
            if (reported.count(paragraphs[j].first)) {
                continue;
            }
            if (jaccard(paragraphs[i].second, paragraphs[j].second) >= k_duplicate_similarity) {
                reported.insert(paragraphs[j].first);
                found.push_back("paragraph \"" + excerpt(blocks[paragraphs[j].first].text) +
                                "\" repeats an earlier one");
            }
        }
    }
    // Sentences outside the paragraphs already reported.
    std::map<std::string, int> seen;
    for (const auto& s : a.sentences) {
        if (blocks[s.block].kind == BlockKind::heading || reported.count(s.block) ||
            s.match.words.size() < k_min_sentence_words) {
            continue;
        }
        std::string key;
        for (const auto& f : s.match.forms) {
            key += f + ' ';
        }
        if (++seen[key] == 2) {
            found.push_back("sentence \"" + excerpt(s.text) + "\" appears more than once");
        }
    }
    std::string detail = found.empty() ? "no repeated paragraphs or sentences" : found.front();
    if (found.size() > 1) {
        detail += " (and " + std::to_string(found.size() - 1) + " more)";
    }
    std::string fix = "rewrite or remove the repeated text: ";
    for (std::size_t i = 0; i < found.size() && i < 5; ++i) {
        fix += (i ? "; " : "") + found[i];
    }
    out.push_back(make_check("duplicate_text", "Repeated text", Category::editor,
                             found.empty() ? 9 : 3, detail, fix, false));

    // FAQ answers: each question's answer should be its own.
    std::vector<std::pair<std::string, std::string>> answers;  // question, answer
    int faq_level = 0;
    for (const auto& b : blocks) {
        if (b.kind == BlockKind::heading) {
            if (is_faq_heading(b.text)) {
                faq_level = b.level;
            } else if (faq_level > 0 && b.level <= faq_level) {
                faq_level = 0;
            } else if (faq_level > 0) {
                answers.emplace_back(b.text, "");
            }
        } else if (faq_level > 0 && !answers.empty()) {
            answers.back().second += b.text + " ";
        }
    }
    if (answers.size() >= 2) {
        std::vector<Shingles> sh;
        for (const auto& [q, ans] : answers) {
            sh.push_back(shingles(match_text(ans).forms));
        }
        std::vector<std::string> same;
        for (std::size_t i = 0; i < answers.size(); ++i) {
            for (std::size_t j = i + 1; j < answers.size(); ++j) {
                if (jaccard(sh[i], sh[j]) >= k_duplicate_similarity) {
                    same.push_back("\"" + excerpt(answers[j].first) +
                                   "\" has the same answer as \"" + excerpt(answers[i].first) +
                                   "\"");
                }
            }
        }
        out.push_back(make_check(
            "duplicate_faq_answers", "Distinct FAQ answers", Category::editor, same.empty() ? 9 : 3,
            same.empty()
                ? std::to_string(answers.size()) + " questions, each answered on its own"
                : std::to_string(same.size()) + " question pairs share an answer: " + same.front(),
            "answer each FAQ question on its own: " +
                (same.empty() ? std::string() : same.front()) +
                (same.size() > 1 ? " (and " + std::to_string(same.size() - 1) + " more)" : ""),
            false));
    }
}

void filler_checks(const Analysis& a, std::vector<CheckResult>& out) {
    const auto& blocks = a.view.blocks;
    // The first three words of each section's first sentence: three or more sections opening
    // alike ("Here is what ...") read as a template, not as writing.
    std::map<std::string, std::vector<std::string>> openings;
    for (std::size_t b = 0; b + 1 < blocks.size(); ++b) {
        if (blocks[b].kind != BlockKind::heading || blocks[b].level < 2 ||
            blocks[b + 1].kind == BlockKind::heading) {
            continue;
        }
        const std::size_t s = a.first_sentence[b + 1];
        if (s >= a.sentences.size() || a.sentences[s].block != b + 1 ||
            a.sentences[s].match.forms.size() < 4) {
            continue;
        }
        std::string key;
        for (std::size_t i = 0; i < 3; ++i) {
            const std::string& f = a.sentences[s].match.forms[i];
            key += (std::isdigit(static_cast<unsigned char>(f[0])) ? "#" : f) + ' ';
        }
        openings[key].push_back(blocks[b].text);
    }
    std::string detail = "sections open in their own words";
    int worst = 0;
    for (const auto& [key, sections] : openings) {
        if (static_cast<int>(sections.size()) > worst && sections.size() >= 3) {
            worst = static_cast<int>(sections.size());
            detail = std::to_string(sections.size()) + " sections open with the same words \"" +
                     trim(key) + "\" (" + excerpt(sections[0], 30) + ", " +
                     excerpt(sections[1], 30) + ", ...)";
        }
    }
    out.push_back(make_check("template_filler", "Template openings", Category::editor,
                             worst >= 3 ? 3 : 9, detail,
                             "open each section with its own point instead of a repeated "
                             "template sentence: " +
                                 detail,
                             false));

    // Doubled words: "the the", "what What".
    std::vector<std::string> doubled;
    for (const auto& s : a.sentences) {
        const auto& w = s.match.words;
        for (std::size_t i = 1; i < w.size(); ++i) {
            if (w[i] == w[i - 1] && !std::isdigit(static_cast<unsigned char>(w[i][0])) &&
                w[i] != "had" && w[i] != "that") {
                doubled.push_back("\"" + w[i] + " " + w[i] + "\" in \"" + excerpt(s.text) + "\"");
            }
        }
    }
    std::string fix = "remove the doubled word: ";
    for (std::size_t i = 0; i < doubled.size() && i < 5; ++i) {
        fix += (i ? "; " : "") + doubled[i];
    }
    out.push_back(make_check(
        "doubled_words", "Doubled words", Category::editor, doubled.empty() ? 9 : 3,
        doubled.empty() ? "none" : std::to_string(doubled.size()) + " doubled: " + doubled.front(),
        fix, false));
}

void citation_checks(const Analysis& a, std::vector<CheckResult>& out) {
    const auto& blocks = a.view.blocks;
    const std::size_t refs_at = references_start(a.view);
    // What each source says: the given sources, or the References list's items.
    std::map<int, std::string> sources;
    for (const auto& s : a.in.sources) {
        sources[s.n] = s.title + " " + s.snippet;
    }
    if (sources.empty() && refs_at < blocks.size()) {
        int n = 0;
        for (std::size_t b = refs_at + 1; b < blocks.size() && blocks[b].kind != BlockKind::heading;
             ++b) {
            sources[++n] = blocks[b].text;
        }
    }
    std::vector<int> order;
    std::vector<std::string> unsupported;
    int cited_sentences = 0, uncited_claims = 0;
    std::string first_uncited;
    // A marker written after the full stop ("... grind. [2] Next ...") cites the sentence
    // before it.
    std::vector<std::vector<int>> cites(a.sentences.size());
    for (std::size_t i = 0; i < a.sentences.size(); ++i) {
        const auto& s = a.sentences[i];
        std::string_view text = s.text;
        const auto leading_end = text.find_first_not_of("[]^0123456789 ");
        const std::string_view leading = text.substr(0, leading_end);
        const auto lead = citations_in(leading);
        if (!lead.empty() && i > 0 && a.sentences[i - 1].block == s.block) {
            cites[i - 1].insert(cites[i - 1].end(), lead.begin(), lead.end());
            text.remove_prefix(leading.size());
        }
        const auto rest = citations_in(text);
        cites[i].insert(cites[i].end(), rest.begin(), rest.end());
    }
    for (std::size_t i = 0; i < a.sentences.size(); ++i) {
        const auto& s = a.sentences[i];
        if (s.block >= refs_at || blocks[s.block].kind == BlockKind::heading) {
            continue;
        }
        const auto& cited = cites[i];
        if (cited.empty()) {
            if (has_number_claim(s.match, s.text)) {
                if (++uncited_claims == 1) {
                    first_uncited = excerpt(s.text, 80);
                }
            }
            continue;
        }
        ++cited_sentences;
        for (const int n : cited) {
            if (std::find(order.begin(), order.end(), n) == order.end()) {
                order.push_back(n);
            }
            const auto it = sources.find(n);
            if (it == sources.end()) {
                unsupported.push_back("[" + std::to_string(n) + "] is not in the references");
                continue;
            }
            if (!citation_supported(s.text, it->second)) {
                unsupported.push_back("[" + std::to_string(n) + "] on \"" + excerpt(s.text, 80) +
                                      "\"");
            }
        }
    }
    if (cited_sentences > 0) {
        std::string fix = "move or drop citations whose source does not support the sentence: ";
        for (std::size_t i = 0; i < unsupported.size() && i < 5; ++i) {
            fix += (i ? "; " : "") + unsupported[i];
        }
        out.push_back(make_check(
            "citation_support", "Citations supported by their source", Category::editor,
            unsupported.empty() ? 9 : 3,
            unsupported.empty()
                ? std::to_string(cited_sentences) + " cited sentences share terms with their source"
                : std::to_string(unsupported.size()) +
                      " citations not supported: " + unsupported.front(),
            fix, false));
        bool in_order = true;
        for (std::size_t i = 0; i < order.size(); ++i) {
            in_order = in_order && order[i] == static_cast<int>(i) + 1;
        }
        std::string seen;
        for (const int n : order) {
            seen += (seen.empty() ? "" : ", ") + std::to_string(n);
        }
        out.push_back(make_check("citation_order", "References numbered in order", Category::editor,
                                 in_order ? 9 : 6, "first cited in the order " + seen,
                                 "number the references in the order they are first cited", false));
    }
    out.push_back(make_check(
        "uncited_numbers", "Numbers with a source", Category::editor,
        uncited_claims == 0  ? 9
        : uncited_claims < 3 ? 6
                             : 3,
        uncited_claims == 0
            ? "every figure carries a citation"
            : std::to_string(uncited_claims) +
                  " sentences state a figure without a citation, e.g. \"" + first_uncited + "\"",
        "cite a source for each figure, or drop the figure: \"" + first_uncited + "\"", false));
}

}  // namespace

bool citation_supported(std::string_view sentence, std::string_view source_text) {
    const auto sentence_terms = content_forms(match_text(sentence));
    const auto source_terms = content_forms(match_text(source_text));
    const std::set<std::string> mine(sentence_terms.begin(), sentence_terms.end());
    const std::set<std::string> theirs(source_terms.begin(), source_terms.end());
    std::size_t shared = 0;
    for (const auto& t : mine) {
        shared += theirs.count(t);
    }
    if (shared == 0) {
        return false;
    }
    return static_cast<double>(shared) /
               static_cast<double>(std::min(mine.size(), theirs.size())) >=
           k_citation_support;
}

void add_editor_checks(const Analysis& a, std::vector<CheckResult>& out) {
    duplicate_checks(a, out);
    filler_checks(a, out);
    citation_checks(a, out);
}

}  // namespace sota::core::quality
