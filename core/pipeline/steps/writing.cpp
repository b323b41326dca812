// Steps 3-5: blueprint, generation and auto-fix; and reading an existing article (refresh).
#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/pipeline/compose.hpp"
#include "core/pipeline/steps/steps.hpp"
#include "core/quality/article.hpp"
#include "core/quality/report_json.hpp"
#include "core/quality/text_stats.hpp"
#include "core/text.hpp"

namespace sota::core::pipeline::steps {

using nlohmann::json;

namespace {

const json& blueprint_schema() {
    static const json schema = json::parse(R"({
      "type": "object",
      "required": ["title", "meta_title", "meta_description", "slug", "sections", "faq",
                   "schema_type"],
      "additionalProperties": false,
      "properties": {
        "title": {"type": "string", "minLength": 5, "maxLength": 120},
        "meta_title": {"type": "string", "minLength": 10, "maxLength": 70},
        "meta_description": {"type": "string", "minLength": 50, "maxLength": 170},
        "slug": {"type": "string", "minLength": 3, "maxLength": 80},
        "sections": {"type": "array", "minItems": 3, "maxItems": 12, "items": {
          "type": "object", "required": ["heading", "subheadings", "points"],
          "additionalProperties": false,
          "properties": {
            "heading": {"type": "string", "minLength": 3},
            "subheadings": {"type": "array", "items": {"type": "string"}},
            "points": {"type": "array", "items": {"type": "string"}}
          }}},
        "faq": {"type": "array", "maxItems": 8, "items": {"type": "string"}},
        "schema_type": {"type": "string",
          "enum": ["Article", "HowTo", "Review", "Product", "FAQPage", "BlogPosting"]}
      }})");
    return schema;
}

const json& faq_schema() {
    static const json schema = json::parse(R"({
      "type": "object", "required": ["faq"], "additionalProperties": false,
      "properties": {"faq": {"type": "array", "items": {
        "type": "object", "required": ["q", "a"], "additionalProperties": false,
        "properties": {"q": {"type": "string", "minLength": 3},
                       "a": {"type": "string", "minLength": 3}}}}}})");
    return schema;
}

const json& fix_schema() {
    static const json schema = json::parse(R"({
      "type": "object", "required": ["markdown", "meta_title", "meta_description"],
      "additionalProperties": false,
      "properties": {"markdown": {"type": "string", "minLength": 100},
                     "meta_title": {"type": "string", "minLength": 10},
                     "meta_description": {"type": "string", "minLength": 50}}})");
    return schema;
}

/// Target length from the competitors: 10 % over their median, rounded to 50, 800-3000;
/// 1500 when none could be read.
int target_words(int median) {
    if (median <= 0) {
        return 1500;
    }
    const int target = static_cast<int>(std::lround(median * 1.1 / 50.0)) * 50;
    return std::clamp(target, 800, 3000);
}

/// Drops a heading the model repeated at the top of a section, and trims.
std::string clean_section(const std::string& text, const std::string& heading) {
    std::string body = trim(text);
    if (body.rfind("```", 0) == 0) {  // a whole answer in a fence
        const auto nl = body.find('\n');
        const auto close = body.rfind("```");
        if (nl != std::string::npos && close > nl) {
            body = trim(body.substr(nl + 1, close - nl - 1));
        }
    }
    if (body.rfind("#", 0) == 0) {
        const auto nl = body.find('\n');
        const std::string first = trim(body.substr(0, nl));
        const std::string stripped = trim(first.substr(first.find_first_not_of('#')));
        if (to_lower(stripped) == to_lower(heading) || first.rfind("# ", 0) == 0 ||
            first.rfind("## ", 0) == 0) {
            body = nl == std::string::npos ? "" : trim(body.substr(nl + 1));
        }
    }
    return body;
}

/// The sections of a Markdown article: each H2 and the text under it.
json sections_of(const std::string& markdown) {
    json sections = json::array();
    std::string heading;
    std::string text;
    std::size_t pos = 0;
    auto close = [&] {
        if (!heading.empty()) {
            sections.push_back({{"heading", heading}, {"text", trim(text)}});
        }
    };
    while (pos < markdown.size()) {
        auto end = markdown.find('\n', pos);
        if (end == std::string::npos) {
            end = markdown.size();
        }
        const std::string line = markdown.substr(pos, end - pos);
        pos = end + 1;
        if (line.rfind("## ", 0) == 0) {
            close();
            heading = trim(line.substr(3));
            text.clear();
        } else if (!heading.empty()) {
            text += line + "\n";
        }
    }
    close();
    return sections;
}

std::string outline_text(const json& sections) {
    std::string out;
    for (const auto& s : sections) {
        out += "- " + s.value("heading", "") + "\n";
    }
    return out;
}

bool addressed_later(const std::string& id) {
    // Links, references and citations are added by the steps after auto-fix.
    return id == "internal_links" || id == "outbound_links" || id == "broken_links" ||
           id == "competing_links" || id == "citation_support" || id == "citation_order" ||
           id == "uncited_numbers";
}

}  // namespace

std::string slugify(const std::string& text) {
    std::string slug;
    bool dash = false;
    for (unsigned char c : to_lower(text)) {
        if (std::isalnum(c)) {
            if (dash && !slug.empty()) {
                slug.push_back('-');
            }
            slug.push_back(static_cast<char>(c));
            dash = false;
        } else {
            dash = true;
        }
    }
    return slug.substr(0, 80);
}

quality::QualityInput quality_input(const json& draft, const std::string& keyword,
                                    const std::string& site_url) {
    quality::QualityInput in;
    in.keyword = keyword;
    in.markdown = draft.value("markdown", "");
    in.meta_title = draft.value("meta_title", "");
    in.meta_description = draft.value("meta_description", "");
    in.slug = draft.value("slug", "");
    in.site_host = quality::url_host(site_url);
    in.target_words = draft.value("target_words", 0);
    in.expect_faq = true;
    in.expect_schema = true;
    in.schema_type = draft.value("schema_type", "");
    return in;
}

json report_to_json(const quality::QualityReport& report) {
    return quality::report_to_json(report);
}

Expected<json> load_existing(StepContext& ctx) {
    const json& existing = ctx.input("existing_article");
    if (!existing.is_object() || existing.value("markdown", "").empty()) {
        return fail(ErrorKind::usage, "refresh.no_article",
                    "refresh needs the existing article's text; pass --url, --post-id or --file");
    }
    const std::string markdown = existing.value("markdown", "");
    const auto view = quality::parse_markdown(markdown);
    json headings = json::array();
    std::string title = existing.value("title", "");
    for (const auto& h : view.headings) {
        headings.push_back({{"level", h.level}, {"text", h.text}});
        if (title.empty() && h.level == 1) {
            title = h.text;
        }
    }
    json draft = {{"markdown", markdown},
                  {"meta_title", existing.value("meta_title", title)},
                  {"meta_description", existing.value("meta_description", "")},
                  {"slug", existing.value("slug", "")}};
    const auto report =
        quality::validate(quality_input(draft, ctx.job_spec().keyword, ctx.services().site_url));
    json current = existing;
    current["title"] = title;
    current["headings"] = headings;
    current["sections"] = sections_of(markdown);
    current["word_count"] = report.stats.words;
    current["score"] = report.score;
    ctx.progress("existing article: " + std::to_string(report.stats.words) + " words, score " +
                 std::to_string(report.score));
    return json{{"current_article", current}};
}

Expected<json> blueprint(StepContext& ctx) {
    const std::string keyword = ctx.input("keyword").get<std::string>();
    const json& keywords = ctx.input("keywords");
    const json& gaps = ctx.input("gaps");
    const json& current = ctx.input("current_article");
    const int target = target_words(gaps.value("median_words", 0));
    std::string current_text = "none";
    if (current.is_object()) {
        current_text = "Title: " + current.value("title", "") + "\n" +
                       std::to_string(current.value("word_count", 0)) + " words\nSections:\n" +
                       outline_text(current.value("sections", json::array()));
    }
    const json vars = {{"keyword", keyword},
                       {"target_words", target},
                       {"clusters", cluster_summary(keywords)},
                       {"covered", gaps.value("covered", json::array())},
                       {"missing", gaps.value("missing", json::array())},
                       {"angle", gaps.value("angle", "")},
                       {"questions", keywords.value("questions", json::array())},
                       {"current", current_text}};
    auto plan = ctx.ask_json("blueprint", vars, blueprint_schema());
    if (!plan) {
        return fail(plan.error());
    }
    json outline = *plan;
    // The slug must be a slug whatever the model wrote.
    outline["slug"] = slugify(outline.value("slug", keyword));
    if (outline["slug"].get<std::string>().empty()) {
        outline["slug"] = slugify(keyword);
    }
    outline["target_words"] = target;
    outline["keyword"] = keyword;
    ctx.progress(std::to_string(outline["sections"].size()) + " sections, " +
                 std::to_string(target) + " words planned");
    return json{{"outline", outline}};
}

Expected<json> generate(StepContext& ctx) {
    const std::string keyword = ctx.input("keyword").get<std::string>();
    const json& outline = ctx.input("outline");
    const json sections = outline.value("sections", json::array());
    const std::string title = outline.value("title", keyword);
    const int target = outline.value("target_words", 1500);
    const int section_words =
        std::max(150, (target - 120 - 300) / std::max<int>(1, static_cast<int>(sections.size())));
    // Refresh: the current text of sections that keep their heading.
    json current_sections = json::array();
    if (const json& fields = ctx.input("current_article"); fields.is_object()) {
        current_sections = fields.value("sections", json::array());
    }
    auto existing_text = [&](const std::string& heading) {
        const auto terms = content_terms(heading);
        double best = 0.6;
        std::string text;
        for (const auto& s : current_sections) {
            const double score = similarity(terms, content_terms(s.value("heading", "")));
            if (score >= best) {
                best = score;
                text = s.value("text", "");
            }
        }
        return text;
    };

    const std::size_t parts = sections.size() + 2;  // intro, sections, FAQ
    std::vector<std::optional<Expected<std::string>>> texts(parts);
    std::optional<Expected<json>> faq;
    std::atomic<int> done{0};
    parallel_for(parts, ctx.services().parallel_calls, [&](std::size_t i) {
        if (ctx.cancel().cancelled()) {
            texts[i] = fail(ErrorKind::cancelled, "step.cancelled", "generation was stopped");
            return;
        }
        if (i == 0) {
            texts[i] = ctx.ask_text(
                "write_intro",
                {{"keyword", keyword}, {"title", title}, {"outline", outline_text(sections)}});
        } else if (i == parts - 1) {
            json questions = outline.value("faq", json::array());
            if (questions.empty()) {
                faq = json{{"faq", json::array()}};
            } else {
                faq = ctx.ask_json("write_faq", {{"keyword", keyword}, {"questions", questions}},
                                   faq_schema());
            }
            texts[i] = std::string();
        } else {
            const json& s = sections[i - 1];
            const std::string heading = s.value("heading", "");
            texts[i] = ctx.ask_text(
                "write_section",
                {{"keyword", keyword},
                 {"title", title},
                 {"heading", heading},
                 {"section_words", section_words},
                 {"subheadings",
                  s.value("subheadings", json::array()).empty() ? json("none") : s["subheadings"]},
                 {"points", s.value("points", json::array()).empty() ? json("none") : s["points"]},
                 {"existing", existing_text(heading)}});
        }
        ctx.progress("wrote " + std::to_string(++done) + " of " + std::to_string(parts) + " parts");
    });
    for (const auto& t : texts) {
        if (t && !*t) {
            return fail(t->error());
        }
    }
    if (faq && !*faq) {
        return fail(faq->error());
    }
    std::string markdown = "# " + title + "\n\n" + clean_section(**texts[0], title) + "\n\n";
    for (std::size_t i = 0; i < sections.size(); ++i) {
        const std::string heading = sections[i].value("heading", "");
        markdown += "## " + heading + "\n\n" + clean_section(**texts[i + 1], heading) + "\n\n";
    }
    json faq_items = faq ? (**faq)["faq"] : json::array();
    if (!faq_items.empty()) {
        markdown += "## Frequently asked questions\n\n";
        for (const auto& item : faq_items) {
            markdown += "### " + item.value("q", "") + "\n\n" + trim(item.value("a", "")) + "\n\n";
        }
    }
    json draft = {{"title", title},
                  {"meta_title", outline.value("meta_title", title)},
                  {"meta_description", outline.value("meta_description", "")},
                  {"slug", outline.value("slug", slugify(keyword))},
                  {"schema_type", outline.value("schema_type", "Article")},
                  {"target_words", target},
                  {"faq", faq_items},
                  {"markdown", trim(markdown) + "\n"}};
    draft["word_count"] =
        static_cast<int>(quality::split_words(quality::parse_markdown(markdown).plain_text).size());
    return json{{"draft", draft}};
}

Expected<json> auto_fix(StepContext& ctx) {
    const std::string keyword = ctx.input("keyword").get<std::string>();
    json draft = ctx.input("draft");
    const std::string site = ctx.services().site_url;
    auto score_of = [&](const json& d) {
        return quality::validate(quality_input(d, keyword, site));
    };
    auto report = score_of(draft);
    json log = json::array();
    const int passes = std::max(0, ctx.spec().passes);
    for (int pass = 1; pass <= passes; ++pass) {
        json problems = json::array();
        json ids = json::array();
        for (const auto& c : report.checks) {
            if (c.verdict != quality::Verdict::pass && !c.fix.empty() && !addressed_later(c.id)) {
                problems.push_back(c.title + ": " + c.detail + ". " + c.fix);
                ids.push_back(c.id);
            }
        }
        if (problems.empty()) {
            break;
        }
        ctx.progress("pass " + std::to_string(pass) + ": fixing " +
                     std::to_string(problems.size()) + " checks (score " +
                     std::to_string(report.score) + ")");
        auto revised = ctx.ask_json("auto_fix",
                                    {{"keyword", keyword},
                                     {"target_words", draft.value("target_words", 1500)},
                                     {"problems", problems},
                                     {"meta_title", draft.value("meta_title", "")},
                                     {"meta_description", draft.value("meta_description", "")},
                                     {"markdown", draft.value("markdown", "")}},
                                    fix_schema());
        if (!revised) {
            return fail(revised.error());
        }
        json candidate = draft;
        candidate["markdown"] = trim((*revised)["markdown"].get<std::string>()) + "\n";
        candidate["meta_title"] = (*revised)["meta_title"];
        candidate["meta_description"] = (*revised)["meta_description"];
        const auto after = score_of(candidate);
        const bool better = after.score > report.score ||
                            (after.score == report.score && after.failed() < report.failed());
        log.push_back({{"pass", pass},
                       {"score_before", report.score},
                       {"score_after", after.score},
                       {"checks", ids},
                       {"kept", better}});
        if (!better) {
            ctx.log("info", "auto-fix pass " + std::to_string(pass) + " scored " +
                                std::to_string(after.score) + ", not better than " +
                                std::to_string(report.score) + "; keeping the previous text");
            break;
        }
        draft = std::move(candidate);
        report = after;
    }
    draft["fix_log"] = log;
    draft["score"] = report.score;
    draft["word_count"] = report.stats.words;
    return json{{"fixed_draft", draft}};
}

}  // namespace sota::core::pipeline::steps
