#include "core/quality/validator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/quality/checks.hpp"
#include "core/text.hpp"

namespace sota::core::quality {

Analysis::Analysis(const QualityInput& input)
    : in(input),
      view(input.html ? parse_html(input.markdown) : parse_markdown(input.markdown)),
      keyphrase(make_keyphrase(input.keyword)),
      synonyms(make_synonyms(input.synonyms)),
      title(input.meta_title) {
    if (title.empty()) {
        title = view.html_title;
    }
    first_sentence.reserve(view.blocks.size());
    std::string text;
    for (std::size_t b = 0; b < view.blocks.size(); ++b) {
        first_sentence.push_back(sentences.size());
        const std::string& block = view.blocks[b].text;
        for (auto& s : split_sentences(block)) {
            MatchText m = match_text(s);
            words += static_cast<int>(m.words.size());
            sentences.push_back({std::move(s), std::move(m), b});
        }
        text += block;
        text += view.blocks[b].kind == BlockKind::heading ? ".\n\n" : "\n\n";
    }
    stats = text_stats(text);
}

std::vector<const Keyphrase*> Analysis::topics() const {
    std::vector<const Keyphrase*> out{&keyphrase};
    for (const auto& s : synonyms) {
        out.push_back(&s);
    }
    return out;
}

CheckResult make_check(std::string id, std::string title, Category category, int score,
                       std::string detail, std::string fix, bool yoast) {
    CheckResult c;
    c.id = std::move(id);
    c.title = std::move(title);
    c.category = category;
    c.yoast = yoast;
    c.score = score;
    c.verdict = score >= 8 ? Verdict::pass : score >= 5 ? Verdict::warn : Verdict::fail;
    c.detail = std::move(detail);
    if (c.verdict != Verdict::pass) {
        c.fix = std::move(fix);
    }
    return c;
}

std::string format_number(const char* format, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, value);
    return buf;
}

int word_count(std::string_view text) {
    return static_cast<int>(split_words(text).size());
}

int code_points(std::string_view text) {
    return static_cast<int>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

void add_structure_checks(const Analysis& a, std::vector<CheckResult>& out) {
    const auto& in = a.in;
    const int words = a.words;
    if (in.target_words > 0) {
        const double ratio = static_cast<double>(words) / in.target_words;
        out.push_back(make_check(
            "word_count", "Length against target", Category::seo,
            ratio >= 0.9   ? 9
            : ratio >= 0.7 ? 6
                           : 3,
            std::to_string(words) + " words of " + std::to_string(in.target_words) + " targeted",
            "expand the thinnest sections by about " + std::to_string(in.target_words - words) +
                " words",
            false));
    }
    if (a.has_keyphrase()) {
        const Heading* h1 = nullptr;
        for (const auto& h : a.view.headings) {
            if (h.level == 1) {
                h1 = &h;
                break;
            }
        }
        const bool named = h1 && contains_all(a.keyphrase, match_text(h1->text));
        out.push_back(make_check("keyword_in_h1", "Keyphrase in the H1", Category::seo,
                                 named ? 9 : 3, h1 ? "H1: " + h1->text : "no H1",
                                 "use '" + a.keyphrase.text + "' in the H1", false));
    }
    int skipped = 0;
    for (std::size_t i = 1; i < a.view.headings.size(); ++i) {
        if (a.view.headings[i].level > a.view.headings[i - 1].level + 1) {
            ++skipped;
        }
    }
    out.push_back(make_check("heading_hierarchy", "Heading levels", Category::seo,
                             skipped > 0 ? 3 : 9,
                             std::to_string(skipped) + " skipped heading levels",
                             "do not skip heading levels (H2, then H3)", false));

    const double fre = std::clamp(a.stats.flesch_reading_ease, 0.0, 100.0);
    out.push_back(make_check("flesch_reading_ease", "Flesch reading ease", Category::readability,
                             fre >= 60   ? 9
                             : fre >= 50 ? 6
                                         : 3,
                             format_number("%.1f", fre) + " (" + flesch_band(fre) + ")",
                             "use shorter sentences and simpler words (aim for 60 or more)",
                             false));

    std::string broken;
    int broken_count = 0;
    for (const auto& l : a.view.links) {
        if (std::find(in.broken_urls.begin(), in.broken_urls.end(), l.url) !=
            in.broken_urls.end()) {
            broken += (broken.empty() ? "" : ", ") + l.url;
            ++broken_count;
        }
    }
    out.push_back(
        make_check("broken_links", "Broken links", Category::seo, broken_count == 0 ? 9 : 1,
                   broken_count == 0 ? "none" : std::to_string(broken_count) + " broken: " + broken,
                   "replace or remove: " + broken, false));

    if (in.expect_faq) {
        const bool faq =
            std::any_of(a.view.headings.begin(), a.view.headings.end(), [](const Heading& h) {
                const std::string t = to_lower(h.text);
                return t.find("faq") != std::string::npos ||
                       t.find("frequently asked") != std::string::npos;
            });
        out.push_back(make_check(
            "faq", "FAQ section", Category::seo, faq ? 9 : 3, faq ? "present" : "missing",
            "add an FAQ section answering the questions searchers ask", false));
    }
    if (in.expect_schema) {
        out.push_back(
            make_check("schema", "Structured data", Category::seo, in.schema_type.empty() ? 6 : 9,
                       in.schema_type.empty() ? "no schema type" : "schema: " + in.schema_type,
                       "add JSON-LD (Article, and FAQPage for the FAQ)", false));
    }
}

const char* to_string(Verdict verdict) {
    switch (verdict) {
        case Verdict::pass:
            return "pass";
        case Verdict::warn:
            return "warn";
        case Verdict::fail:
            return "fail";
    }
    return "fail";
}

const char* to_string(Category category) {
    switch (category) {
        case Category::seo:
            return "seo";
        case Category::readability:
            return "readability";
        case Category::editor:
            return "editor";
    }
    return "seo";
}

int QualityReport::failed() const {
    return static_cast<int>(std::count_if(
        checks.begin(), checks.end(), [](const auto& c) { return c.verdict == Verdict::fail; }));
}

int QualityReport::warned() const {
    return static_cast<int>(std::count_if(
        checks.begin(), checks.end(), [](const auto& c) { return c.verdict == Verdict::warn; }));
}

int seo_overall(const std::vector<int>& scores) {
    if (scores.empty()) {
        return 0;
    }
    double sum = 0;
    for (const int s : scores) {
        sum += s;
    }
    const double score = 100.0 * sum / (static_cast<double>(scores.size()) * 9);
    return static_cast<int>(std::clamp(std::lround(score), 0L, 100L));
}

int readability_overall(const std::vector<int>& scores) {
    if (scores.empty()) {
        return 0;
    }
    int penalty = 0;
    for (const int s : scores) {
        penalty += s <= 4 ? 3 : s <= 7 ? 2 : 0;
    }
    return penalty >= 6 ? 30 : penalty >= 4 ? 60 : 90;
}

QualityReport validate(const QualityInput& input) {
    const Analysis a(input);
    QualityReport report;
    report.stats = a.stats;
    add_seo_checks(a, report.checks);
    add_readability_checks(a, report.checks);
    add_structure_checks(a, report.checks);
    add_editor_checks(a, report.checks);

    std::vector<int> seo, readability, all;
    for (const auto& c : report.checks) {
        if (c.id == "function_words_keyphrase") {
            continue;  // Yoast's grey feedback: shown, never scored
        }
        all.push_back(std::max(c.score, 0));
        if (c.yoast && c.category == Category::seo) {
            seo.push_back(c.score);
        } else if (c.yoast && c.category == Category::readability) {
            readability.push_back(c.score);
        }
    }
    report.seo_score = seo_overall(seo);
    report.readability_score = readability_overall(readability);
    report.score = seo_overall(all);
    for (const auto& s : a.sentences) {
        report.keyphrase_count += occurrences_in_sentence(a.keyphrase, s.match);
    }
    report.keyword_density = a.words == 0 ? 0 : 100.0 * report.keyphrase_count / a.words;
    return report;
}

}  // namespace sota::core::quality
