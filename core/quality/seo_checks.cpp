// Yoast SEO's English SEO assessments: thresholds and scores from its scoring documentation
// (docs/analysis.md lists each with its source and sota's deliberate differences).

#include <algorithm>
#include <array>
#include <cmath>

#include "core/quality/checks.hpp"
#include "core/quality/text_stats.hpp"

namespace sota::core::quality {
namespace {

// Advance widths of ASCII 32-126 in Arial (metric-compatible with Helvetica), in 1/1000 em.
constexpr std::array<int, 95> k_arial_widths = {
    278,  278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  // space-/
    556,  556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  // 0-?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  // @-O
    667,  778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  // P-_
    333,  556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  // `-o
    556,  556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584};      // p-~

std::string quoted(const Keyphrase& k) {
    return "'" + k.text + "'";
}

// The best result over the keyphrase and its synonyms.
template <typename F>
int best_over_topics(const Analysis& a, F score) {
    int best = -1;
    for (const Keyphrase* k : a.topics()) {
        best = std::max(best, score(*k));
    }
    return best;
}

bool reflects_topic(const Keyphrase& k, const MatchText& text) {
    return !k.empty() && forms_found(k, text) * 2 >= static_cast<int>(k.forms.size());
}

// The keyphrase's words (function words included) as one run, at `start` or anywhere.
int exact_position(const Keyphrase& k, const MatchText& text) {
    std::vector<std::string> forms;
    for (const auto& w : k.words) {
        forms.push_back(word_form(w));
    }
    for (std::size_t i = 0; i + forms.size() <= text.forms.size(); ++i) {
        if (std::equal(forms.begin(), forms.end(),
                       text.forms.begin() + static_cast<std::ptrdiff_t>(i))) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

int links_score(int followed, int nofollow) {
    if (followed + nofollow == 0) {
        return 3;
    }
    if (followed == 0) {
        return 7;
    }
    return nofollow > 0 ? 8 : 9;
}

int recommended_count(int words, int keyphrase_length, double density, bool minimum) {
    if (words == 0) {
        return 0;
    }
    const double count = density * words / (100.0 * (0.7 + keyphrase_length / 3.0));
    if (count < 2) {
        return 2;
    }
    return static_cast<int>(minimum ? std::ceil(count) : std::floor(count));
}

void keyphrase_checks(const Analysis& a, std::vector<CheckResult>& out) {
    const Keyphrase& kp = a.keyphrase;
    const std::string kw = quoted(kp);
    const bool cs = a.in.cornerstone;

    // Keyphrase in introduction: the first paragraph (headings are not paragraphs).
    int intro = 3;
    std::string intro_detail = "no first paragraph";
    for (std::size_t b = 0; b < a.view.blocks.size(); ++b) {
        if (a.view.blocks[b].kind == BlockKind::heading) {
            continue;
        }
        const MatchText paragraph = match_text(a.view.blocks[b].text);
        intro = best_over_topics(a, [&](const Keyphrase& k) {
            for (std::size_t s = a.first_sentence[b];
                 s < a.sentences.size() && a.sentences[s].block == b; ++s) {
                if (contains_all(k, a.sentences[s].match)) {
                    return 9;
                }
            }
            return contains_all(k, paragraph) ? 6 : 3;
        });
        intro_detail = intro == 9   ? "the first paragraph names it in one sentence"
                       : intro == 6 ? "the first paragraph has its words, but not in one sentence"
                                    : "the first paragraph does not name it";
        break;
    }
    out.push_back(make_check(
        "keyword_in_intro", "Keyphrase in introduction", Category::seo, intro, intro_detail,
        "name " + kw + " (or a synonym) in one sentence of the first paragraph"));

    // Keyphrase length in content words.
    const int length = static_cast<int>(kp.forms.size());
    out.push_back(make_check("keyphrase_length", "Keyphrase length", Category::seo,
                             length <= 4   ? 9
                             : length <= 8 ? 6
                                           : 3,
                             std::to_string(length) + " content words",
                             "use a keyphrase of at most 4 content words"));

    // Keyphrase density: every match counts, all content words within one sentence.
    int count = 0;
    for (const auto& s : a.sentences) {
        count += occurrences_in_sentence(kp, s.match);
    }
    const int w = a.words;
    const double factor = 0.7 + length / 3.0;
    const double kd = w == 0 ? 0 : 100.0 * count / w;
    const double weighted = kd * factor;
    const int min_count = recommended_count(w, length, 0.5, true);
    const int max_count = recommended_count(w, length, 3.5, false);
    int density = 9;
    if (count == 0) {
        density = 4;
    } else if (w >= 100) {
        // Yoast's order: too few, good, too many, way too many.
        density = weighted < 0.5 || count == 1                        ? 4
                  : weighted <= 3.5 || (count == 2 && min_count <= 2) ? 9
                  : weighted <= 4                                     ? -10
                                                                      : -50;
    } else if (w >= 51) {
        density = count <= 2 ? 9 : count == 3 ? -10 : -50;
    } else {
        density = count == 1 ? 9 : count == 2 ? -10 : -50;
    }
    out.push_back(make_check("keyword_density", "Keyphrase density", Category::seo, density,
                             "found " + std::to_string(count) + " times in " + std::to_string(w) +
                                 " words (" + format_number("%.2f", kd) + "%)",
                             density > 0 && density < 9
                                 ? "use " + kw + " at least " + std::to_string(min_count) +
                                       " times (all its content words within one sentence)"
                                 : "use " + kw + " at most " + std::to_string(max_count) +
                                       " times: more reads as keyword stuffing"));

    // Keyphrase in meta description: one or two matches.
    const int meta_matches =
        a.in.meta_description.empty() ? 0 : best_over_topics(a, [&](const Keyphrase& k) {
            int n = 0;
            for (const auto& s : split_sentences(a.in.meta_description)) {
                n += occurrences_in_sentence(k, match_text(s));
            }
            return n;
        });
    out.push_back(make_check(
        "keyword_in_meta", "Keyphrase in meta description", Category::seo,
        meta_matches >= 1 && meta_matches <= 2 ? 9 : 3,
        a.in.meta_description.empty() ? "no meta description"
                                      : "found " + std::to_string(meta_matches) + " times",
        meta_matches > 2 ? "name " + kw + " at most twice in the meta description"
                         : "name " + kw + " in the meta description"));

    // Keyphrase in H2/H3 subheadings.
    int subheadings = 0, reflecting = 0;
    for (const auto& h : a.view.headings) {
        if (h.level == 2 || h.level == 3) {
            ++subheadings;
            const MatchText text = match_text(h.text);
            reflecting += best_over_topics(
                a, [&](const Keyphrase& k) { return reflects_topic(k, text) ? 1 : 0; });
        }
    }
    int sub_score = 9;
    std::string sub_detail;
    if (subheadings == 0) {
        sub_score = a.words > (cs ? 250 : 300) ? 2 : 9;
        sub_detail = "no H2 or H3 subheadings";
    } else {
        const double share = 100.0 * reflecting / subheadings;
        sub_score = (subheadings == 1 && reflecting == 1) || (share >= 30 && share <= 75) ? 9 : 3;
        sub_detail = std::to_string(reflecting) + " of " + std::to_string(subheadings) +
                     " H2/H3 subheadings reflect the topic";
    }
    out.push_back(make_check(
        "keyword_in_subheadings", "Keyphrase in subheadings", Category::seo, sub_score, sub_detail,
        subheadings > 0 && reflecting * 4 > subheadings * 3
            ? "name " + kw + " in fewer subheadings (at most three quarters)"
            : "name " + kw + " or a synonym in some H2/H3 subheadings (30-75% of them)"));

    // Competing links: a link whose anchor is the keyphrase sends readers away for it.
    int competing = 0;
    for (const auto& l : a.view.links) {
        const MatchText anchor = match_text(l.text);
        competing += best_over_topics(
            a, [&](const Keyphrase& k) { return is_whole_keyphrase(k, anchor) ? 1 : 0; });
    }
    out.push_back(make_check("competing_links", "Competing links", Category::seo,
                             competing > 0 ? 2 : 8,
                             std::to_string(competing) + " links with the keyphrase as anchor",
                             "do not link with " + kw + " as the anchor text"));

    // Keyphrase in image alt attributes.
    const int images = static_cast<int>(a.view.images.size());
    int with_alt = 0, alt_matches = 0;
    for (const auto& img : a.view.images) {
        with_alt += img.text.empty() ? 0 : 1;
        const MatchText alt = match_text(img.text);
        alt_matches +=
            best_over_topics(a, [&](const Keyphrase& k) { return reflects_topic(k, alt) ? 1 : 0; });
    }
    int alt_score = 9;
    if (images == 0) {
        alt_score = 3;
    } else if (with_alt == 0) {
        alt_score = cs ? 3 : 6;
    } else if (images < 5) {
        alt_score = alt_matches >= 1 ? 9 : (cs ? 3 : 6);
    } else {
        const double share = 100.0 * alt_matches / images;
        alt_score = share >= 30 && share <= 75 ? 9 : 6;
    }
    out.push_back(make_check(
        "image_keyphrase", "Image keyphrase", Category::seo, alt_score,
        std::to_string(images) + " images, " + std::to_string(alt_matches) +
            " with the keyphrase in the alt text",
        images == 0 ? "add an image whose alt text names " + kw
                    : "name " + kw + " in the alt text of some images (30-75% of them)"));

    // Keyphrase in SEO title: the exact phrase at the start.
    const MatchText title = match_text(a.title);
    const int at = exact_position(kp, title);
    bool leading = at >= 0;
    for (int i = 0; leading && i < at; ++i) {
        leading = is_function_word(title.words[static_cast<std::size_t>(i)]);
    }
    const int title_score = a.title.empty()                        ? 2
                            : leading                              ? 9
                            : at >= 0                              ? 6
                            : !kp.exact && contains_all(kp, title) ? 6
                                                                   : 2;
    out.push_back(make_check("keyword_in_title", "Keyphrase in SEO title", Category::seo,
                             title_score, a.title.empty() ? "no SEO title" : "title: " + a.title,
                             "start the SEO title with " + kw));

    // Keyphrase in slug.
    std::string slug_text = a.in.slug;
    std::replace_if(
        slug_text.begin(), slug_text.end(), [](char c) { return c == '-' || c == '_'; }, ' ');
    const int in_slug = forms_found(kp, match_text(slug_text));
    const int needed = static_cast<int>(kp.forms.size());
    const int slug_score = a.in.slug.empty()      ? 3
                           : needed <= 2          ? (in_slug == needed ? 9 : (cs ? 3 : 6))
                           : in_slug * 2 > needed ? 9
                                                  : (cs ? 3 : 6);
    out.push_back(make_check("keyword_in_slug", "Keyphrase in slug", Category::seo, slug_score,
                             a.in.slug.empty() ? "no slug" : "slug: " + a.in.slug,
                             "use the keyphrase's content words in the slug"));

    // Keyphrase distribution (Premium): the longest run of sentences without it.
    const int total = static_cast<int>(a.sentences.size());
    int run = 0, longest = 0, hits = 0;
    for (const auto& s : a.sentences) {
        const bool hit = best_over_topics(a, [&](const Keyphrase& k) {
                             return contains_all(k, s.match) ? 1 : 0;
                         }) > 0;
        hits += hit ? 1 : 0;
        run = hit ? 0 : run + 1;
        longest = std::max(longest, run);
    }
    const double gap = total == 0 ? 1.0 : static_cast<double>(longest) / total;
    const int dist_score = hits == 0 ? 1 : total < 15 ? 9 : gap < 0.3 ? 9 : gap <= 0.5 ? 6 : 1;
    out.push_back(make_check("keyphrase_distribution", "Keyphrase distribution", Category::seo,
                             dist_score,
                             hits == 0 ? "not found in the text"
                                       : "longest stretch without it: " + std::to_string(longest) +
                                             " of " + std::to_string(total) + " sentences",
                             "spread " + kw + " and its synonyms evenly through the text"));

    if (kp.only_function_words) {
        auto feedback = make_check("function_words_keyphrase", "Function words in keyphrase",
                                   Category::seo, 0, "the keyphrase is only function words",
                                   "add a word that says what the text is about to the keyphrase");
        out.push_back(std::move(feedback));
    }
}

}  // namespace

int title_width_px(std::string_view title) {
    int units = 0;
    for (std::size_t i = 0; i < title.size(); ++i) {
        const auto c = static_cast<unsigned char>(title[i]);
        if (c >= 32 && c < 127) {
            units += k_arial_widths[c - 32];
        } else if ((c & 0xC0) != 0x80 && c >= 0x80) {
            units += 556;  // a code point outside ASCII: an average letter
        }
    }
    return static_cast<int>(std::lround(units * 20 / 1000.0));
}

void add_seo_checks(const Analysis& a, std::vector<CheckResult>& out) {
    if (a.has_keyphrase()) {
        keyphrase_checks(a, out);
    }
    const bool cs = a.in.cornerstone;

    const int w = a.words;
    const int length_score = cs ? (w < 300   ? -20
                                   : w < 400 ? -10
                                   : w < 900 ? 6
                                             : 9)
                                : (w < 100   ? -20
                                   : w < 200 ? -10
                                   : w < 250 ? 3
                                   : w < 300 ? 6
                                             : 9);
    out.push_back(make_check("text_length", "Text length", Category::seo, length_score,
                             std::to_string(w) + " words",
                             "write at least " + std::to_string(cs ? 900 : 300) + " words"));

    int internal = 0, internal_nofollow = 0, outbound = 0, outbound_nofollow = 0;
    for (const auto& l : a.view.links) {
        switch (link_kind(l.url, a.in.site_host)) {
            case LinkKind::internal:
                (l.nofollow ? internal_nofollow : internal) += 1;
                break;
            case LinkKind::outbound:
                (l.nofollow ? outbound_nofollow : outbound) += 1;
                break;
            case LinkKind::other:
                break;
        }
    }
    const int out_score = links_score(outbound, outbound_nofollow);
    out.push_back(make_check("outbound_links", "Outbound links", Category::seo, out_score,
                             std::to_string(outbound + outbound_nofollow) + " outbound links (" +
                                 std::to_string(outbound_nofollow) + " nofollow)",
                             out_score == 7
                                 ? "let at least one outbound link be followed (drop rel=nofollow)"
                                 : "cite at least one authoritative source with a link"));
    const int in_score = links_score(internal, internal_nofollow);
    out.push_back(make_check("internal_links", "Internal links", Category::seo, in_score,
                             std::to_string(internal + internal_nofollow) + " internal links (" +
                                 std::to_string(internal_nofollow) + " nofollow)",
                             in_score == 7
                                 ? "let at least one internal link be followed (drop rel=nofollow)"
                                 : "link to at least one related page of the site"));

    const int px = title_width_px(a.title);
    out.push_back(make_check("title_width", "SEO title width", Category::seo,
                             a.title.empty() ? 1
                             : px > 600      ? 3
                                             : 9,
                             a.title.empty() ? "no SEO title" : std::to_string(px) + " px",
                             a.title.empty() ? "write an SEO title"
                                             : "shorten the SEO title to fit 600 px (about 60 "
                                               "characters)"));

    const int meta = code_points(a.in.meta_description);
    out.push_back(make_check("meta_description_length", "Meta description length", Category::seo,
                             meta == 0                  ? 1
                             : meta > 120 && meta < 157 ? 9
                                                        : (cs ? 3 : 6),
                             std::to_string(meta) + " characters",
                             meta == 0     ? "write a meta description of 121-156 characters"
                             : meta <= 120 ? "lengthen the meta description to 121-156 characters"
                                           : "shorten the meta description to 121-156 characters"));

    int h1 = 0;
    for (const auto& h : a.view.headings) {
        h1 += h.level == 1 ? 1 : 0;
    }
    out.push_back(make_check("single_h1", "Single title", Category::seo, h1 > 1 ? 1 : 8,
                             std::to_string(h1) + " H1 headings",
                             "keep one H1 (the title) and make the others H2"));

    out.push_back(make_check("images", "Images", Category::seo, a.view.images.empty() ? 3 : 9,
                             std::to_string(a.view.images.size()) + " images",
                             "add at least one image"));

    out.push_back(make_check("title_present", "Title", Category::seo, a.title.empty() ? -10000 : 9,
                             a.title.empty() ? "no title" : "title set", "give the page a title"));
}

}  // namespace sota::core::quality
