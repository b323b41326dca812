#include "core/pipeline/result.hpp"

#include <cstdio>
#include <set>

#include "core/pipeline/compose.hpp"
#include "core/quality/article.hpp"
#include "core/quality/text_stats.hpp"
#include "core/text.hpp"

namespace sota::core::pipeline {

using nlohmann::json;

json refresh_changes(const json& current_article, const std::string& markdown, int new_score) {
    json before = current_article.value("sections", json::array());
    std::vector<std::string> new_headings;
    for (const auto& h : quality::parse_markdown(markdown).headings) {
        if (h.level == 2 && to_lower(h.text) != "references") {
            new_headings.push_back(h.text);
        }
    }
    json kept = json::array(), added = json::array(), removed = json::array();
    std::vector<bool> matched(before.size(), false);
    for (const auto& heading : new_headings) {
        bool found = false;
        for (std::size_t i = 0; i < before.size(); ++i) {
            if (!matched[i] && similarity(content_terms(heading),
                                          content_terms(before[i].value("heading", ""))) >= 0.6) {
                matched[i] = true;
                found = true;
                break;
            }
        }
        (found ? kept : added).push_back(heading);
    }
    for (std::size_t i = 0; i < before.size(); ++i) {
        if (!matched[i]) {
            removed.push_back(before[i].value("heading", ""));
        }
    }
    const int words_after =
        static_cast<int>(quality::split_words(quality::parse_markdown(markdown).plain_text).size());
    return {{"sections_kept", kept},       {"sections_added", added},
            {"sections_removed", removed}, {"words_before", current_article.value("word_count", 0)},
            {"words_after", words_after},  {"score_before", current_article.value("score", 0)},
            {"score_after", new_score}};
}

namespace {

/// `j[key]` when `j` is an object that has it, else null; no copy.
const json& member(const json& j, const char* key) {
    static const json none;
    if (j.is_object()) {
        if (const auto it = j.find(key); it != j.end()) {
            return *it;
        }
    }
    return none;
}

/// `j[key]` when it is an object, else an empty object; no copy.
const json& object_member(const json& j, const char* key) {
    static const json empty = json::object();
    const json& m = member(j, key);
    return m.is_object() ? m : empty;
}

}  // namespace

json build_result(const JobRecord& job, const RunOutcome& outcome) {
    // Built key by key: a braced list copies every value once more, and this runs per job.
    const json& a = outcome.artifacts;
    const json& quality = object_member(a, "quality");
    const json& article = object_member(quality, "article");
    json report = quality;
    report.erase("article");
    json usage = json::object();
    for (const auto& [step, u] : outcome.usage) {
        usage[step] = u.to_json();
    }
    const StepUsage total = outcome.total();
    json result = json::object();
    result["job_id"] = job.id;
    result["keyword"] = job.spec.keyword;
    result["mode"] = job.spec.mode;
    const json& doc = workflow_doc(job);
    result["workflow"] = doc.value("name", job.spec.workflow);
    result["state"] = to_string(outcome.state);
    result["score"] = quality.value("score", 0);
    json& summary = result["article"];
    summary = json::object();
    for (const char* field : {"title", "meta_title", "meta_description", "slug", "schema_type"}) {
        summary[field] = article.value(field, "");
    }
    summary["words"] = quality.value("words", 0);
    for (const char* name : {"keywords", "gaps", "outline", "references", "links"}) {
        result[name] = member(a, name);
    }
    result["quality"] = std::move(report);
    result["fix_log"] = object_member(a, "fixed_draft").value("fix_log", json::array());
    json& use = result["usage"];
    use = json::object();
    use["steps"] = std::move(usage);
    use["total"] = total.to_json();
    result["cost_usd"] = total.cost_usd;
    result["timings_ms"] = outcome.timings_ms;
    result["restored_steps"] = outcome.restored;
    json order = json::array();
    if (const auto steps = doc.find("steps"); steps != doc.end() && steps->is_array()) {
        for (const auto& step : *steps) {
            order.push_back(step.value("id", ""));
        }
    }
    result["steps"] = order;
    // Artifacts of steps defined in the workflow file.
    static const std::set<std::string> known = {
        "keyword",        "site_pages", "existing_article", "fields",  "keywords",   "gaps",
        "outline",        "draft",      "fixed_draft",      "quality", "references", "links",
        "current_article"};
    json extra = json::object();
    for (const auto& [name, value] : a.items()) {
        if (!known.count(name)) {
            extra[name] = value;
        }
    }
    if (!extra.empty()) {
        result["artifacts"] = extra;
    }
    if (a.contains("current_article") && a["current_article"].is_object()) {
        result["changes"] = refresh_changes(a["current_article"], article.value("markdown", ""),
                                            quality.value("score", 0));
    }
    return result;
}

namespace {

std::string fixed(double value, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, value);
    return buf;
}

std::string pad(std::string text, std::size_t width) {
    if (text.size() < width) {
        text.append(width - text.size(), ' ');
    }
    return text;
}

}  // namespace

std::string render_report(const json& r) {
    std::string out;
    const json& article = r.value("article", json::object());
    out += "Quality report: " + r.value("keyword", "") + "\n";
    out += std::string(16 + r.value("keyword", "").size(), '=') + "\n\n";
    out += "Title:    " + article.value("title", "") + "\n";
    out += "Score:    " + std::to_string(r.value("score", 0)) + "/100\n";
    out += "Words:    " + std::to_string(article.value("words", 0)) + "\n";
    out += "Cost:     $" + fixed(r.value("cost_usd", 0.0), 4) + "\n";
    out += "Job:      " + r.value("job_id", "") + " (" + r.value("workflow", "") + ")\n\n";
    out += "Checks\n------\n";
    for (const auto& c : r["quality"].value("checks", json::array())) {
        const std::string verdict = c.value("verdict", "");
        out += "[" + pad(verdict == "pass" ? "ok" : verdict, 4) + "] " +
               pad(c.value("title", ""), 28) + " " + std::to_string(c.value("score", 0)) + "/9  " +
               c.value("detail", "") + "\n";
        if (verdict != "pass" && !c.value("fix", "").empty()) {
            out += "       fix: " + c.value("fix", "") + "\n";
        }
    }
    if (r.contains("changes")) {
        const json& ch = r["changes"];
        out += "\nWhat changed\n------------\n";
        out += "Words: " + std::to_string(ch.value("words_before", 0)) + " -> " +
               std::to_string(ch.value("words_after", 0)) +
               "; score: " + std::to_string(ch.value("score_before", 0)) + " -> " +
               std::to_string(ch.value("score_after", 0)) + "\n";
        for (const char* kind : {"sections_kept", "sections_added", "sections_removed"}) {
            for (const auto& h : ch.value(kind, json::array())) {
                out += std::string(kind + 9) + ": " + h.get<std::string>() + "\n";
            }
        }
    }
    const json refs = r.value("references", json::object());
    if (refs.is_object() && !refs.value("sources", json::array()).empty()) {
        out += "\nReferences\n----------\n";
        for (const auto& s : refs["sources"]) {
            out += std::to_string(s.value("n", 0)) + ". " + s.value("title", "") + " <" +
                   s.value("url", "") + "> (HTTP " + std::to_string(s.value("status", 0)) + ")\n";
        }
    }
    const json links = r.value("links", json::object());
    if (links.is_object() && !links.value("links", json::array()).empty()) {
        out += "\nInternal links\n--------------\n";
        for (const auto& l : links["links"]) {
            out += "\"" + l.value("anchor", "") + "\" -> " + l.value("url", "") + "\n";
        }
    }
    out += "\nSteps\n-----\n";
    const json steps = r["usage"].value("steps", json::object());
    json order = r.value("steps", json::array());
    if (order.empty()) {
        for (const auto& [name, u] : steps.items()) {
            order.push_back(name);
        }
    }
    for (const auto& step : order) {
        const std::string name = step.get<std::string>();
        const json u = steps.value(name, json::object());
        const auto ms = r.value("timings_ms", json::object()).value(name, 0);
        out +=
            pad(name, 20) + pad(fixed(static_cast<double>(ms) / 1000.0, 1) + " s", 9) +
            pad(std::to_string(u.value("input_tokens", 0) + u.value("output_tokens", 0)) +
                    " tokens",
                15) +
            "$" + fixed(u.value("cost_usd", 0.0), 4) +
            (u.value("retries", 0) ? "  " + std::to_string(u.value("retries", 0)) + " retries"
                                   : "") +
            (u.value("cache_hits", 0) ? "  " + std::to_string(u.value("cache_hits", 0)) + " cached"
                                      : "") +
            "\n";
    }
    return out;
}

}  // namespace sota::core::pipeline
