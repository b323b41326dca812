// Steps 6-8: references, internal links and quality validation.
#include <algorithm>
#include <set>

#include "core/pipeline/compose.hpp"
#include "core/pipeline/steps/steps.hpp"
#include "core/quality/article.hpp"
#include "core/quality/text_stats.hpp"
#include "core/resilience/cache.hpp"
#include "core/text.hpp"

namespace sota::core::pipeline::steps {

using nlohmann::json;

namespace {

/// Sentences of the body paragraphs, each exactly as written in the Markdown.
std::vector<std::string> body_sentences(const std::string& markdown) {
    std::vector<std::string> out;
    for (const auto& paragraph : body_paragraphs(markdown)) {
        const std::string t = trim(paragraph);
        if (t.rfind("- ", 0) == 0 || t.rfind("* ", 0) == 0 || t.find("](") != std::string::npos) {
            continue;  // list items and sentences with links make poor citation anchors
        }
        std::size_t start = 0;
        for (std::size_t i = 0; i < t.size(); ++i) {
            const bool end = (t[i] == '.' || t[i] == '!' || t[i] == '?') &&
                             (i + 1 == t.size() || t[i + 1] == ' ');
            if (end) {
                const std::string sentence = trim(t.substr(start, i + 1 - start));
                if (quality::split_words(sentence).size() >= 6) {
                    out.push_back(sentence);
                }
                start = i + 1;
            }
        }
    }
    return out;
}

/// Checks a URL answers, through the cache (kind "references").
int check_url(StepContext& ctx, const std::string& url) {
    auto& services = ctx.services();
    auto compute = [&]() -> Expected<std::string> {
        ctx.count_fetch();
        auto status = services.web->check(url, ctx.cancel());
        if (!status) {
            if (status.error().kind == ErrorKind::cancelled) {
                return fail(status.error());
            }
            return std::string("0");
        }
        return std::to_string(*status);
    };
    Expected<std::string> value = std::string("0");
    if (services.cache && services.ttl_references.count() > 0) {
        bool computed = false;
        value = services.cache->get_or_compute("references", resilience::cache_key({"url", url}),
                                               services.ttl_references, [&] {
                                                   computed = true;
                                                   return compute();
                                               });
        if (!computed) {
            ctx.count_cache_hit();
        }
    } else {
        value = compute();
    }
    if (!value) {
        return -1;
    }
    try {
        return std::stoi(*value);
    } catch (const std::exception&) {
        return 0;
    }
}

}  // namespace

Expected<json> references(StepContext& ctx) {
    const std::string keyword = ctx.input("keyword").get<std::string>();
    const json& draft = ctx.input("fixed_draft");
    auto& services = ctx.services();
    if (!services.web) {
        return fail(ErrorKind::internal, "step.no_web", "the references step needs the web");
    }
    auto serp = ctx.search(keyword + " research data");
    if (!serp) {
        return fail(serp.error());
    }
    const std::string own_host = quality::url_host(services.site_url);
    std::vector<OrganicResult> candidates;
    std::set<std::string> hosts;
    for (const auto& o : serp->organic) {
        const std::string host = quality::url_host(o.link);
        if (host.empty() || host == own_host || hosts.count(host)) {
            continue;  // one source per site
        }
        hosts.insert(host);
        candidates.push_back(o);
        if (static_cast<int>(candidates.size()) >= services.max_references * 2) {
            break;
        }
    }
    std::vector<int> status(candidates.size(), 0);
    parallel_for(candidates.size(), services.parallel_calls,
                 [&](std::size_t i) { status[i] = check_url(ctx, candidates[i].link); });
    if (ctx.cancel().cancelled()) {
        return fail(ErrorKind::cancelled, "step.cancelled", "references were stopped");
    }
    const auto sentences = body_sentences(draft.value("markdown", ""));
    std::vector<bool> used(sentences.size(), false);
    json sources = json::array();
    json broken = json::array();
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const auto& c = candidates[i];
        if (status[i] < 200 || status[i] >= 400) {
            broken.push_back(c.link);
            continue;
        }
        if (static_cast<int>(sources.size()) >= services.max_references) {
            continue;
        }
        // Cite the source after the sentence it supports best.
        const auto terms = content_terms(c.title + " " + c.snippet);
        double best = 0.08;
        int best_index = -1;
        for (std::size_t s = 0; s < sentences.size(); ++s) {
            // Only a sentence the source supports, as the validator's citation check judges it.
            if (used[s] || !quality::citation_supported(sentences[s], c.title + " " + c.snippet)) {
                continue;
            }
            const double score = similarity(terms, content_terms(sentences[s]));
            if (score > best) {
                best = score;
                best_index = static_cast<int>(s);
            }
        }
        json source = {{"n", sources.size() + 1}, {"url", c.link},
                       {"title", c.title},        {"host", quality::url_host(c.link)},
                       {"snippet", c.snippet},    {"status", status[i]},
                       {"sentence", ""}};
        if (best_index >= 0) {
            used[static_cast<std::size_t>(best_index)] = true;
            source["sentence"] = sentences[static_cast<std::size_t>(best_index)];
            source["score"] = best;
        }
        sources.push_back(std::move(source));
    }
    // Number the sources in the order the article first cites them; uncited ones last.
    const std::string markdown = draft.value("markdown", "");
    auto position = [&](const json& source) {
        const std::string sentence = source.value("sentence", "");
        const auto at = sentence.empty() ? std::string::npos : markdown.find(sentence);
        return at == std::string::npos ? markdown.size() + 1 : at;
    };
    std::stable_sort(sources.begin(), sources.end(),
                     [&](const json& a, const json& b) { return position(a) < position(b); });
    for (std::size_t i = 0; i < sources.size(); ++i) {
        sources[i]["n"] = i + 1;
    }
    ctx.progress(std::to_string(sources.size()) + " sources verified, " +
                 std::to_string(broken.size()) + " not answering");
    return json{
        {"references", {{"sources", sources}, {"broken", broken}, {"checked", candidates.size()}}}};
}

Expected<json> internal_links(StepContext& ctx) {
    const json& draft = ctx.input("fixed_draft");
    const json& pages = ctx.input("site_pages");
    const std::string markdown = draft.value("markdown", "");
    const auto paragraphs = body_paragraphs(markdown);
    const std::string own_slug = draft.value("slug", "");
    struct Candidate {
        double score = 0;
        std::size_t paragraph = 0;
        std::string anchor;
        const json* page = nullptr;
    };
    std::vector<Candidate> candidates;
    const json page_list = pages.is_array() ? pages : json::array();  // candidates point into it
    for (const auto& page : page_list) {
        const std::string url = page.value("url", "");
        if (!own_slug.empty() && without_trailing_slashes(url).size() >= own_slug.size() &&
            without_trailing_slashes(url).substr(without_trailing_slashes(url).size() -
                                                 own_slug.size()) == own_slug) {
            continue;  // the article itself
        }
        const auto page_terms =
            content_terms(page.value("title", "") + " " + page.value("description", ""));
        const std::set<std::string> title_terms = [&] {
            auto t = content_terms(page.value("title", ""));
            return std::set<std::string>(t.begin(), t.end());
        }();
        Candidate best;
        for (std::size_t p = 0; p < paragraphs.size(); ++p) {
            const std::string text = trim(paragraphs[p]);
            if (text.rfind("- ", 0) == 0) {
                continue;
            }
            const double score = similarity(page_terms, content_terms(text));
            if (score <= best.score) {
                continue;
            }
            // The natural anchor: the run of 2-5 words sharing the most with the page title.
            std::vector<std::string> words;
            std::string word;
            for (char c : text + " ") {
                if (c == ' ') {
                    if (!word.empty()) {
                        words.push_back(word);
                    }
                    word.clear();
                } else {
                    word.push_back(c);
                }
            }
            std::string anchor;
            double anchor_score = 0;
            for (std::size_t a = 0; a < words.size(); ++a) {
                for (std::size_t n = 2; n <= 5 && a + n <= words.size(); ++n) {
                    std::string phrase;
                    bool clean = true;
                    for (std::size_t k = a; k < a + n; ++k) {
                        const std::string& w = words[k];
                        const bool last = k + 1 == a + n;
                        for (std::size_t ci = 0; ci < w.size(); ++ci) {
                            const char ch = w[ci];
                            const bool trailing_punct =
                                last && ci + 1 == w.size() && (ch == '.' || ch == ',');
                            if (!trailing_punct &&
                                !(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' ||
                                  ch == '\'' || static_cast<unsigned char>(ch) >= 0x80)) {
                                clean = false;
                            }
                        }
                        phrase += (phrase.empty() ? "" : " ") + w;
                    }
                    if (!phrase.empty() && (phrase.back() == '.' || phrase.back() == ',')) {
                        phrase.pop_back();
                    }
                    // A natural anchor neither starts nor ends on a filler word.
                    if (!clean || content_terms(words[a]).empty() ||
                        content_terms(phrase.substr(phrase.rfind(' ') + 1)).empty()) {
                        continue;
                    }
                    const auto phrase_terms = content_terms(phrase);
                    int hits = 0;
                    for (const auto& t : phrase_terms) {
                        hits += title_terms.count(t) ? 1 : 0;
                    }
                    const auto fillers = n - phrase_terms.size();
                    const auto strangers = phrase_terms.size() - static_cast<std::size_t>(hits);
                    const double fit = hits - 0.25 * static_cast<double>(fillers) -
                                       0.5 * static_cast<double>(strangers);
                    const bool enough =
                        hits >= 2 || (hits == 1 && title_terms.size() == 1 && strangers == 0);
                    if (enough && fit > anchor_score) {
                        anchor = phrase;
                        anchor_score = fit;
                    }
                }
            }
            if (!anchor.empty()) {
                best = Candidate{score, p, anchor, &page};
            }
        }
        if (best.page && best.score >= 0.1) {
            candidates.push_back(best);
        }
    }
    std::sort(candidates.begin(), candidates.end(),
              [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    json links = json::array();
    std::set<std::size_t> used_paragraphs;
    std::string working = markdown;
    for (const auto& c : candidates) {
        if (static_cast<int>(links.size()) >= ctx.services().max_internal_links) {
            break;
        }
        if (used_paragraphs.count(c.paragraph)) {
            continue;
        }
        const std::string url = c.page->value("url", "");
        if (!insert_link(working, c.anchor, url)) {
            continue;
        }
        used_paragraphs.insert(c.paragraph);
        links.push_back({{"url", url},
                         {"title", c.page->value("title", "")},
                         {"anchor", c.anchor},
                         {"score", c.score}});
    }
    ctx.progress(std::to_string(links.size()) + " internal links from " +
                 std::to_string(pages.is_array() ? pages.size() : 0) + " site pages");
    return json{{"links", {{"links", links}, {"candidates", candidates.size()}}}};
}

Expected<json> validate(StepContext& ctx) {
    const std::string keyword = ctx.input("keyword").get<std::string>();
    json draft = ctx.input("fixed_draft");
    const json& refs = ctx.input("references");
    const std::string markdown = compose_markdown(draft, refs, ctx.input("links"));
    draft["markdown"] = markdown;
    auto in = quality_input(draft, keyword, ctx.services().site_url);
    if (refs.is_object()) {
        // Links in the article that the reference step found not answering count as broken.
        for (const auto& url : refs.value("broken", json::array())) {
            in.broken_urls.push_back(url.get<std::string>());
        }
        for (const auto& source : refs.value("sources", json::array())) {
            in.sources.push_back({source.value("n", 0), source.value("url", ""),
                                  source.value("title", ""), source.value("snippet", "")});
        }
    }
    const auto report = quality::validate(in);
    json result = report_to_json(report);
    std::string body;
    if (ctx.services().render_html) {
        body = ctx.services().render_html(markdown);
    }
    json meta = {{"title", draft.value("title", "")},
                 {"meta_title", draft.value("meta_title", "")},
                 {"meta_description", draft.value("meta_description", "")},
                 {"keyword", keyword},
                 {"slug", draft.value("slug", "")},
                 {"schema_type", draft.value("schema_type", "Article")},
                 {"faq", draft.value("faq", json::array())}};
    result["article"] = meta;
    result["article"]["markdown"] = markdown;
    result["article"]["html"] = html_document(meta, body);
    ctx.progress("score " + std::to_string(report.score) + "/100, " +
                 std::to_string(report.failed()) + " checks failed");
    return json{{"quality", result}};
}

}  // namespace sota::core::pipeline::steps
