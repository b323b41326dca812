// Steps 1 and 2: semantic keywords and competitor gap analysis.
#include <algorithm>
#include <mutex>

#include "core/pipeline/html_outline.hpp"
#include "core/pipeline/steps/steps.hpp"
#include "core/quality/article.hpp"
#include "core/text.hpp"

namespace sota::core::pipeline::steps {

using nlohmann::json;

namespace {

const json& keyword_schema() {
    static const json schema = json::parse(R"({
      "type": "object",
      "required": ["primary_intent", "clusters"],
      "additionalProperties": false,
      "properties": {
        "primary_intent": {"type": "string",
          "enum": ["informational", "commercial", "transactional", "navigational"]},
        "clusters": {"type": "array", "minItems": 1, "maxItems": 8, "items": {
          "type": "object", "required": ["label", "intent", "keywords"],
          "additionalProperties": false,
          "properties": {
            "label": {"type": "string", "minLength": 1},
            "intent": {"type": "string",
              "enum": ["informational", "commercial", "transactional", "navigational"]},
            "keywords": {"type": "array", "minItems": 1, "items": {"type": "string"}}
          }}}
      }})");
    return schema;
}

const json& gap_schema() {
    static const json schema = json::parse(R"({
      "type": "object",
      "required": ["covered", "missing", "angle"],
      "additionalProperties": false,
      "properties": {
        "covered": {"type": "array", "items": {"type": "string"}},
        "missing": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "angle": {"type": "string"}
      }})");
    return schema;
}

std::string clusters_text(const json& keywords) {
    std::string out;
    for (const auto& c : keywords.value("clusters", json::array())) {
        out += "- " + c.value("label", "") + " (" + c.value("intent", "") + "): ";
        std::string list;
        for (const auto& k : c.value("keywords", json::array())) {
            list += (list.empty() ? "" : ", ") + k.get<std::string>();
        }
        out += list + "\n";
    }
    return out.empty() ? "none" : out;
}

std::string joined(const json& list) {
    std::string out;
    for (const auto& item : list) {
        out += item.is_string() ? item.get<std::string>() : item.dump();
        out += "\n";
    }
    return out;
}

}  // namespace

Expected<json> semantic_keywords(StepContext& ctx) {
    const std::string keyword = ctx.input("keyword").get<std::string>();
    auto serp = ctx.search(keyword);
    if (!serp) {
        return fail(serp.error());
    }
    json related = json::array();
    for (const auto& r : serp->related_searches) {
        related.push_back(r);
    }
    json questions = json::array();
    for (const auto& q : serp->people_also_ask) {
        questions.push_back(q.question);
    }
    json organic = json::array();
    for (const auto& o : serp->organic) {
        organic.push_back({{"title", o.title},
                           {"link", o.link},
                           {"snippet", o.snippet},
                           {"position", o.position}});
    }
    ctx.progress(std::to_string(related.size()) + " related searches, " +
                 std::to_string(questions.size()) + " questions");
    const json vars = {{"keyword", keyword},
                       {"related", related.empty() ? json("none") : related},
                       {"questions", questions.empty() ? json("none") : questions}};
    auto clusters = ctx.ask_json_cached("keywords", ctx.services().ttl_keywords,
                                        {to_lower(trim(keyword)), related.dump(), questions.dump()},
                                        "semantic_keywords", vars, keyword_schema());
    if (!clusters) {
        return fail(clusters.error());
    }
    std::size_t count = 0;
    for (const auto& c : (*clusters)["clusters"]) {
        count += c["keywords"].size();
    }
    ctx.progress(std::to_string(count) + " keywords in " +
                 std::to_string((*clusters)["clusters"].size()) + " clusters");
    json out = {{"primary", keyword},
                {"primary_intent", (*clusters)["primary_intent"]},
                {"clusters", (*clusters)["clusters"]},
                {"questions", questions},
                {"related", related},
                {"organic", organic},
                {"serp_stale", serp->stale}};
    return json{{"keywords", out}};
}

Expected<json> gap_analysis(StepContext& ctx) {
    const std::string keyword = ctx.input("keyword").get<std::string>();
    const json& keywords = ctx.input("keywords");
    auto& services = ctx.services();
    const std::string own_host = quality::url_host(services.site_url);
    std::vector<json> candidates;
    for (const auto& o : keywords.value("organic", json::array())) {
        const std::string link = o.value("link", "");
        if (link.empty() || (!own_host.empty() && quality::url_host(link) == own_host)) {
            continue;
        }
        candidates.push_back(o);
        if (static_cast<int>(candidates.size()) >= services.competitors) {
            break;
        }
    }
    std::vector<json> pages(candidates.size());
    if (services.web) {
        parallel_for(candidates.size(), services.parallel_calls, [&](std::size_t i) {
            const std::string url = candidates[i].value("link", "");
            json page = {{"url", url},
                         {"title", candidates[i].value("title", "")},
                         {"snippet", candidates[i].value("snippet", "")},
                         {"fetched", false}};
            auto fetched = services.web->fetch(url, ctx.cancel());
            ctx.count_fetch();
            if (fetched) {
                const PageOutline outline = outline_html(fetched->text);
                json headings = json::array();
                for (const auto& h : outline.headings) {
                    headings.push_back({{"level", h.level}, {"text", h.text}});
                }
                page["fetched"] = true;
                if (!outline.title.empty()) {
                    page["title"] = outline.title;
                }
                page["headings"] = headings;
                page["word_count"] = outline.word_count;
            } else {
                page["error"] = fetched.error().message;
                ctx.log("warn", "could not read " + url + ": " + fetched.error().message);
            }
            pages[i] = std::move(page);
        });
    }
    if (ctx.cancel().cancelled()) {
        return fail(ErrorKind::cancelled, "step.cancelled", "gap analysis was stopped");
    }
    std::string competitors;
    std::vector<int> lengths;
    for (const auto& p : pages) {
        competitors += "## " + p.value("title", "") + " (" + p.value("url", "") + ")\n";
        if (p.value("fetched", false)) {
            competitors += std::to_string(p.value("word_count", 0)) + " words\n";
            lengths.push_back(p.value("word_count", 0));
            for (const auto& h : p["headings"]) {
                competitors += std::string(static_cast<std::size_t>(h.value("level", 2)), '#') +
                               " " + h.value("text", "") + "\n";
            }
        } else {
            competitors += "(not readable) " + p.value("snippet", "") + "\n";
        }
        competitors += "\n";
    }
    ctx.progress("read " + std::to_string(lengths.size()) + " of " + std::to_string(pages.size()) +
                 " competitor pages");
    int median = 0;
    if (!lengths.empty()) {
        std::sort(lengths.begin(), lengths.end());
        median = lengths[lengths.size() / 2];
    }
    std::vector<std::string> urls;
    for (const auto& p : pages) {
        urls.push_back(p.value("url", "") + "#" + std::to_string(p.value("word_count", 0)));
    }
    json url_list = urls;
    const json vars = {{"keyword", keyword},
                       {"clusters", clusters_text(keywords)},
                       {"competitors", competitors.empty() ? "none found" : competitors}};
    auto gaps =
        ctx.ask_json_cached("gaps", services.ttl_gaps, {to_lower(trim(keyword)), url_list.dump()},
                            "gap_analysis", vars, gap_schema());
    if (!gaps) {
        return fail(gaps.error());
    }
    json out = *gaps;
    out["competitors"] = pages;
    out["median_words"] = median;
    return json{{"gaps", out}};
}

// Shared with the blueprint step.
std::string cluster_summary(const json& keywords) {
    return clusters_text(keywords);
}

std::string lines_of(const json& list) {
    return joined(list);
}

}  // namespace sota::core::pipeline::steps
