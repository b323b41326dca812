#include "core/quality/validator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/quality/article.hpp"
#include "core/text.hpp"

namespace sota::core::quality {
namespace {

std::vector<std::string> lower_words(std::string_view text) {
    auto words = split_words(text);
    for (auto& w : words) {
        w = to_lower(w);
    }
    return words;
}

// How many times the keyword's words appear consecutively in `words`.
int phrase_count(const std::vector<std::string>& words, const std::vector<std::string>& phrase) {
    if (phrase.empty() || words.size() < phrase.size()) {
        return 0;
    }
    int n = 0;
    for (std::size_t i = 0; i + phrase.size() <= words.size(); ++i) {
        if (std::equal(phrase.begin(), phrase.end(),
                       words.begin() + static_cast<std::ptrdiff_t>(i))) {
            ++n;
        }
    }
    return n;
}

bool contains_all(const std::vector<std::string>& words, const std::vector<std::string>& phrase) {
    return std::all_of(phrase.begin(), phrase.end(), [&](const std::string& w) {
        return std::find(words.begin(), words.end(), w) != words.end();
    });
}

std::string fmt(const char* format, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, value);
    return buf;
}

CheckResult make(std::string id, std::string title, int score, std::string detail,
                 std::string fix) {
    CheckResult c;
    c.id = std::move(id);
    c.title = std::move(title);
    c.score = score;
    c.verdict = score >= 8 ? Verdict::pass : score >= 5 ? Verdict::warn : Verdict::fail;
    c.detail = std::move(detail);
    if (c.verdict != Verdict::pass) {
        c.fix = std::move(fix);
    }
    return c;
}

}  // namespace

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

int QualityReport::failed() const {
    return static_cast<int>(std::count_if(
        checks.begin(), checks.end(), [](const auto& c) { return c.verdict == Verdict::fail; }));
}

int QualityReport::warned() const {
    return static_cast<int>(std::count_if(
        checks.begin(), checks.end(), [](const auto& c) { return c.verdict == Verdict::warn; }));
}

QualityReport validate(const QualityInput& in) {
    QualityReport report;
    const ArticleView view = parse_markdown(in.markdown);
    std::string body;
    for (const auto& p : view.paragraphs) {
        body += p + "\n\n";
    }
    report.stats = text_stats(body);
    const auto body_words = lower_words(body);
    const auto keyword = lower_words(in.keyword);
    const int words = static_cast<int>(body_words.size());
    const std::string kw = "'" + in.keyword + "'";
    auto& checks = report.checks;

    // Length against the blueprint's target.
    if (in.target_words > 0) {
        const double ratio = static_cast<double>(words) / in.target_words;
        checks.push_back(make(
            "word_count", "Length against target",
            ratio >= 0.9   ? 9
            : ratio >= 0.7 ? 6
                           : 3,
            std::to_string(words) + " words of " + std::to_string(in.target_words) + " targeted",
            "expand the thinnest sections by about " + std::to_string(in.target_words - words) +
                " words"));
    } else {
        checks.push_back(make("word_count", "Length",
                              words >= 300   ? 9
                              : words >= 250 ? 6
                                             : 3,
                              std::to_string(words) + " words", "write at least 300 words"));
    }

    // The keyword where readers and search engines look first.
    const auto title_words = lower_words(in.meta_title);
    const bool title_starts =
        phrase_count(std::vector<std::string>(
                         title_words.begin(),
                         title_words.begin() + static_cast<std::ptrdiff_t>(
                                                   std::min(title_words.size(), keyword.size()))),
                     keyword) == 1;
    const int title_score = title_starts                             ? 9
                            : phrase_count(title_words, keyword) > 0 ? 7
                            : contains_all(title_words, keyword)     ? 6
                                                                     : 2;
    checks.push_back(make("keyword_in_title", "Keyword in the SEO title", title_score,
                          in.meta_title.empty() ? "no SEO title" : "title: " + in.meta_title,
                          "put " + kw + " at the start of the SEO title"));

    std::vector<const Heading*> h1s;
    for (const auto& h : view.headings) {
        if (h.level == 1) {
            h1s.push_back(&h);
        }
    }
    checks.push_back(
        make("keyword_in_h1", "Keyword in the H1",
             !h1s.empty() && contains_all(lower_words(h1s.front()->text), keyword) ? 9 : 3,
             h1s.empty() ? "no H1" : "H1: " + h1s.front()->text, "use " + kw + " in the H1"));

    const std::string intro = view.paragraphs.empty() ? "" : view.paragraphs.front();
    int intro_score = 3;
    for (const auto& sentence : split_sentences(intro)) {
        if (contains_all(lower_words(sentence), keyword)) {
            intro_score = 9;
        }
    }
    if (intro_score < 9 && contains_all(lower_words(intro), keyword)) {
        intro_score = 6;
    }
    checks.push_back(make("keyword_in_intro", "Keyword in the introduction", intro_score,
                          intro_score == 9 ? "the first paragraph names it"
                                           : "the first paragraph does not name it in one sentence",
                          "mention " + kw + " in the first paragraph"));

    checks.push_back(
        make("keyword_in_meta", "Keyword in the meta description",
             contains_all(lower_words(in.meta_description), keyword) ? 9 : 3,
             in.meta_description.empty() ? "no meta description" : "meta: " + in.meta_description,
             "use " + kw + " in the meta description"));

    std::vector<std::string> slug_words;
    for (auto& w : lower_words(in.slug)) {
        for (std::size_t pos = 0; pos < w.size();) {
            const auto dash = w.find('-', pos);
            slug_words.push_back(
                w.substr(pos, dash == std::string::npos ? std::string::npos : dash - pos));
            pos = dash == std::string::npos ? w.size() : dash + 1;
        }
    }
    const auto slug_hits = std::count_if(keyword.begin(), keyword.end(), [&](const std::string& w) {
        return std::find(slug_words.begin(), slug_words.end(), w) != slug_words.end();
    });
    const int slug_score = keyword.empty()                                     ? 3
                           : slug_hits == static_cast<long>(keyword.size())    ? 9
                           : slug_hits * 2 > static_cast<long>(keyword.size()) ? 6
                                                                               : 3;
    checks.push_back(make("keyword_in_slug", "Keyword in the slug", slug_score, "slug: " + in.slug,
                          "use the keyword's words in the slug"));

    report.keyword_density = words == 0 ? 0 : 100.0 * phrase_count(body_words, keyword) / words;
    const double d = report.keyword_density;
    checks.push_back(make("keyword_density", "Keyword density",
                          d >= 0.5 && d <= 3 ? 9
                          : d > 0 && d < 0.5 ? 6
                          : d == 0           ? 4
                                             : 2,
                          fmt("%.2f%% of words", d),
                          d > 3 ? "use " + kw + " less often: it reads as stuffing above 3%"
                                : "use " + kw + " a few more times (aim for 0.5-3% of words)"));

    // Structure.
    checks.push_back(make("single_h1", "Exactly one H1", h1s.size() == 1 ? 9 : 2,
                          std::to_string(h1s.size()) + " H1 headings",
                          "keep one H1 (the title) and make the others H2"));
    int skipped = 0, h2 = 0;
    for (std::size_t i = 0; i < view.headings.size(); ++i) {
        h2 += view.headings[i].level == 2 ? 1 : 0;
        if (i > 0 && view.headings[i].level > view.headings[i - 1].level + 1) {
            ++skipped;
        }
    }
    checks.push_back(
        make("heading_hierarchy", "Heading hierarchy",
             skipped > 0               ? 3
             : (words > 300 && h2 < 2) ? 4
                                       : 9,
             std::to_string(h2) + " H2 headings, " + std::to_string(skipped) + " skipped levels",
             skipped > 0 ? "do not skip heading levels (H2 then H3)"
                         : "split the text under H2 headings"));

    int longest_section = 0, section = 0;
    // Sections: the words between headings, walking the article's blocks in order.
    {
        std::string_view rest = view.plain_text;
        std::size_t pos = 0;
        const auto& headings = view.headings;
        std::size_t next_heading = 0;
        while (pos < rest.size()) {
            auto end = rest.find("\n\n", pos);
            if (end == std::string_view::npos) {
                end = rest.size();
            }
            const std::string_view block = rest.substr(pos, end - pos);
            pos = end + 2;
            if (next_heading < headings.size() && block == headings[next_heading].text + ".") {
                longest_section = std::max(longest_section, section);
                section = 0;
                ++next_heading;
                continue;
            }
            section += static_cast<int>(split_words(block).size());
        }
        longest_section = std::max(longest_section, section);
    }
    checks.push_back(make("section_length", "Text between subheadings",
                          longest_section > 350   ? 3
                          : longest_section > 300 ? 6
                                                  : 9,
                          "longest section: " + std::to_string(longest_section) + " words",
                          "add a subheading to every section over 300 words"));

    int longest_paragraph = 0;
    for (const auto& p : view.paragraphs) {
        longest_paragraph = std::max(longest_paragraph, static_cast<int>(split_words(p).size()));
    }
    checks.push_back(make("paragraph_length", "Paragraph length",
                          longest_paragraph > 200   ? 3
                          : longest_paragraph > 150 ? 6
                                                    : 9,
                          "longest paragraph: " + std::to_string(longest_paragraph) + " words",
                          "split paragraphs over 150 words"));

    const auto sentences = split_sentences(body);
    const auto long_sentences =
        std::count_if(sentences.begin(), sentences.end(),
                      [](const std::string& s) { return split_words(s).size() > 20; });
    const double long_share = sentences.empty() ? 0
                                                : 100.0 * static_cast<double>(long_sentences) /
                                                      static_cast<double>(sentences.size());
    checks.push_back(make("sentence_length", "Sentence length",
                          long_share > 30   ? 3
                          : long_share > 25 ? 6
                                            : 9,
                          fmt("%.0f%% of sentences over 20 words", long_share),
                          "shorten sentences: at most a quarter should exceed 20 words"));

    const double fre = report.stats.flesch_reading_ease;
    checks.push_back(make("flesch_reading_ease", "Flesch reading ease",
                          fre >= 60   ? 9
                          : fre >= 50 ? 6
                                      : 3,
                          fmt("%.1f", fre) + " (" + flesch_band(fre) + ")",
                          "use shorter sentences and simpler words (aim for 60 or more)"));

    // Links.
    int internal = 0, outbound = 0;
    std::vector<std::string> broken;
    const std::string site = to_lower(in.site_host);
    for (const auto& l : view.links) {
        const std::string host = url_host(l.url);
        if (host.empty() || (!site.empty() && (host == site || host.ends_with("." + site)))) {
            ++internal;
        } else {
            ++outbound;
        }
        if (std::find(in.broken_urls.begin(), in.broken_urls.end(), l.url) !=
            in.broken_urls.end()) {
            broken.push_back(l.url);
        }
    }
    checks.push_back(make("internal_links", "Internal links", internal > 0 ? 9 : 3,
                          std::to_string(internal) + " internal links",
                          "link to at least one related page of the site"));
    checks.push_back(make("outbound_links", "Outbound links", outbound > 0 ? 9 : 3,
                          std::to_string(outbound) + " outbound links",
                          "cite at least one authoritative source"));
    std::string broken_list;
    for (const auto& b : broken) {
        broken_list += (broken_list.empty() ? "" : ", ") + b;
    }
    checks.push_back(
        make("broken_links", "Broken links", broken.empty() ? 9 : 1,
             broken.empty() ? "none" : std::to_string(broken.size()) + " broken: " + broken_list,
             "replace or remove: " + broken_list));

    // Meta lengths (characters; Yoast's pixel width is approximated by 60 characters).
    const auto title_len = static_cast<int>(in.meta_title.size());
    checks.push_back(make("meta_title_length", "SEO title length",
                          title_len == 0                         ? 1
                          : (title_len >= 30 && title_len <= 60) ? 9
                                                                 : 6,
                          std::to_string(title_len) + " characters",
                          "write an SEO title of 30-60 characters"));
    const auto meta_len = static_cast<int>(in.meta_description.size());
    checks.push_back(make("meta_description_length", "Meta description length",
                          meta_len == 0                          ? 1
                          : (meta_len >= 120 && meta_len <= 156) ? 9
                                                                 : 6,
                          std::to_string(meta_len) + " characters",
                          "write a meta description of 120-156 characters"));

    // FAQ and structured data.
    const bool faq = std::any_of(view.headings.begin(), view.headings.end(), [](const Heading& h) {
        const std::string t = to_lower(h.text);
        return t.find("faq") != std::string::npos ||
               t.find("frequently asked") != std::string::npos;
    });
    if (in.expect_faq) {
        checks.push_back(make("faq", "FAQ section", faq ? 9 : 3, faq ? "present" : "missing",
                              "add an FAQ section answering the questions searchers ask"));
    }
    checks.push_back(make("schema", "Structured data", in.schema_type.empty() ? 6 : 9,
                          in.schema_type.empty() ? "no schema type" : "schema: " + in.schema_type,
                          "add JSON-LD (Article, and FAQPage for the FAQ)"));

    int sum = 0;
    for (const auto& c : checks) {
        sum += std::clamp(c.score, 0, 9);
    }
    report.score =
        static_cast<int>(std::lround(100.0 * sum / (static_cast<double>(checks.size()) * 9)));
    return report;
}

}  // namespace sota::core::quality
