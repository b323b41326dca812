#include "cli/commands/analyze.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>

#include "adapters/private_files.hpp"
#include "adapters/services.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/config.hpp"
#include "core/exit_codes.hpp"
#include "core/pipeline/compose.hpp"
#include "core/quality/article.hpp"
#include "core/quality/report_json.hpp"
#include "core/quality/validator.hpp"
#include "core/text.hpp"
#include "core/web_fetcher.hpp"

namespace sota::cli {

using nlohmann::json;
namespace quality = core::quality;

namespace {

/// The article as read, before flags are applied.
struct Document {
    std::string name;  ///< the file, the URL or "stdin"
    std::string text;
    bool html = false;
    std::string slug_hint;  ///< the URL's last path part or the file's stem
};

core::Error usage(std::string code, std::string message) {
    return core::Error{core::ErrorKind::usage, std::move(code), std::move(message)};
}

bool is_url(const std::string& s) {
    return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

std::string last_path_part(std::string path) {
    if (const auto q = path.find_first_of("?#"); q != std::string::npos) {
        path.erase(q);
    }
    while (!path.empty() && path.back() == '/') {
        path.pop_back();
    }
    const auto slash = path.rfind('/');
    std::string part = slash == std::string::npos ? path : path.substr(slash + 1);
    if (const auto dot = part.rfind('.'); dot != std::string::npos && dot > 0) {
        part.erase(dot);
    }
    return part;
}

core::Expected<Document> read_document(const AnalyzeOptions& o, Context& ctx) {
    Document doc;
    if (o.input == "-") {
        doc.name = "stdin";
        doc.text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else if (is_url(o.input)) {
        doc.name = o.input;
        auto services = ctx.services(false);
        if (!services) {
            return core::fail(services.error());
        }
        core::WebFetcher web((*services)->http(), (*services)->web_options());
        auto page = web.fetch(o.input);
        if (!page) {
            return core::fail(page.error());
        }
        doc.text = std::move(page->text);
        doc.html = page->content_type != "text/plain" && page->content_type != "text/markdown";
        const auto scheme_end = o.input.find("://") + 3;
        const auto path_start = o.input.find('/', scheme_end);
        doc.slug_hint =
            path_start == std::string::npos ? "" : last_path_part(o.input.substr(path_start));
        return doc;
    } else {
        auto text = adapters::read_file(o.input);
        if (!text) {
            return core::fail(usage("analyze.read", "cannot read " + o.input + ": " +
                                                        text.error().message +
                                                        " (give a Markdown or HTML file, a URL, "
                                                        "or - to read standard input)"));
        }
        doc.name = o.input;
        doc.text = std::move(*text);
        doc.slug_hint = last_path_part(std::filesystem::path(o.input).filename().string());
        const std::string ext = std::filesystem::path(o.input).extension().string();
        if (ext == ".html" || ext == ".htm" || ext == ".xhtml") {
            doc.html = true;
            return doc;
        }
        if (ext == ".md" || ext == ".markdown" || ext == ".txt") {
            return doc;
        }
    }
    doc.html = quality::looks_like_html(doc.text);
    return doc;
}

struct Colors {
    bool on = false;
    std::string paint(const std::string& rating, const std::string& text) const {
        if (!on) {
            return text;
        }
        const char* code = rating == "good"  ? "32"
                           : rating == "ok"  ? "33"
                           : rating == "bad" ? "31"
                                             : "90";
        return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
    }
};

const char* light(const std::string& rating) {
    return rating == "good"  ? "green"
           : rating == "ok"  ? "orange"
           : rating == "bad" ? "red"
                             : "grey";
}

std::string overall_rating(int score) {
    return score > 70 ? "good" : score > 40 ? "ok" : "bad";
}

void print_text(const Document& doc, const quality::QualityInput& in,
                const quality::QualityReport& report, const Colors& colors) {
    const auto& s = report.stats;
    std::cout << doc.name << ": " << s.words << " words, " << s.sentences << " sentences\n";
    if (in.keyword.empty()) {
        std::cout << "no keyphrase given: the keyphrase checks were left out (--keyword)\n";
    } else {
        std::cout << "keyphrase: " << in.keyword << "\n";
    }
    std::cout << "SEO score:         "
              << colors.paint(overall_rating(report.seo_score),
                              std::to_string(report.seo_score) + "/100")
              << "\nReadability score: "
              << colors.paint(overall_rating(report.readability_score),
                              std::to_string(report.readability_score) + "/100")
              << "\nOverall score:     "
              << colors.paint(overall_rating(report.score), std::to_string(report.score) + "/100")
              << "\n";
    std::size_t width = 0;
    for (const auto& c : report.checks) {
        width = std::max(width, c.title.size());
    }
    for (const auto category :
         {quality::Category::seo, quality::Category::readability, quality::Category::editor}) {
        std::cout << "\n"
                  << (category == quality::Category::seo           ? "SEO"
                      : category == quality::Category::readability ? "Readability"
                                                                   : "Editor")
                  << "\n";
        for (const auto& c : report.checks) {
            if (c.category != category) {
                continue;
            }
            const std::string r = quality::rating(c);
            std::string label = light(r);
            label.resize(6, ' ');
            std::string title = c.title;
            title.resize(width, ' ');
            std::cout << "  " << colors.paint(r, label) << "  " << title << "  " << c.detail
                      << (c.yoast ? "" : " [sota]") << "\n";
            if (!c.fix.empty()) {
                std::cout << "          " << std::string(width, ' ') << "  fix: " << c.fix << "\n";
            }
        }
    }
    std::cout << "\nReadability formulas: Flesch reading ease "
              << quality::flesch_band(s.flesch_reading_ease) << " ("
              << core::dump_json(std::round(s.flesch_reading_ease * 10) / 10)
              << "), Flesch-Kincaid grade "
              << core::dump_json(std::round(s.flesch_kincaid_grade * 10) / 10) << ", Gunning fog "
              << core::dump_json(std::round(s.gunning_fog * 10) / 10) << ", SMOG "
              << core::dump_json(std::round(s.smog * 10) / 10) << ", Coleman-Liau "
              << core::dump_json(std::round(s.coleman_liau * 10) / 10) << ", ARI "
              << core::dump_json(std::round(s.automated_readability * 10) / 10) << "\n";
}

void print_html(const Document& doc, const quality::QualityInput& in,
                const quality::QualityReport& report) {
    using core::pipeline::html_escape;
    std::string page =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>Content analysis: " +
        html_escape(doc.name) +
        "</title>\n<style>\nbody{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem "
        "auto;padding:0 1rem;color:#222}\ntable{border-collapse:collapse;width:100%}\n"
        "td,th{padding:.4rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:"
        "top}\n.dot{display:inline-block;width:.8rem;height:.8rem;border-radius:50%}\n"
        ".good{background:#7ad03a}.ok{background:#ee7c1b}.bad{background:#dc3232}"
        ".feedback{background:#888}\n.fix{color:#555;font-size:.9em}\n"
        ".scores span{margin-right:2rem;font-size:1.2em}\n</style>\n</head>\n<body>\n";
    page += "<h1>Content analysis: " + html_escape(doc.name) + "</h1>\n";
    page += "<p>" + std::to_string(report.stats.words) + " words, " +
            std::to_string(report.stats.sentences) +
            " sentences; keyphrase: " + (in.keyword.empty() ? "none" : html_escape(in.keyword)) +
            "</p>\n";
    page += "<p class=\"scores\">";
    for (const auto& [label, score] :
         {std::pair{"SEO", report.seo_score}, std::pair{"Readability", report.readability_score},
          std::pair{"Overall", report.score}}) {
        page += "<span><span class=\"dot " + overall_rating(score) + "\"></span> " + label +
                ": <strong>" + std::to_string(score) + "/100</strong></span>";
    }
    page += "</p>\n";
    for (const auto category :
         {quality::Category::seo, quality::Category::readability, quality::Category::editor}) {
        page += std::string("<h2>") +
                (category == quality::Category::seo           ? "SEO"
                 : category == quality::Category::readability ? "Readability"
                                                              : "Editor") +
                "</h2>\n<table>\n<tr><th></th><th>Check</th><th>Score</th><th>Found</th></tr>\n";
        for (const auto& c : report.checks) {
            if (c.category != category) {
                continue;
            }
            const std::string r = quality::rating(c);
            page += "<tr><td><span class=\"dot " + r + "\" title=\"" + light(r) +
                    "\"></span></td><td>" + html_escape(c.title) + (c.yoast ? "" : " (sota)") +
                    "</td><td>" + std::to_string(c.score) + "</td><td>" + html_escape(c.detail);
            if (!c.fix.empty()) {
                page += "<div class=\"fix\">Fix: " + html_escape(c.fix) + "</div>";
            }
            page += "</td></tr>\n";
        }
        page += "</table>\n";
    }
    const auto& s = report.stats;
    page += "<h2>Readability formulas</h2>\n<table>\n";
    for (const auto& [label, value] :
         {std::pair{"Flesch reading ease", s.flesch_reading_ease},
          std::pair{"Flesch-Kincaid grade", s.flesch_kincaid_grade},
          std::pair{"Gunning fog", s.gunning_fog}, std::pair{"SMOG", s.smog},
          std::pair{"Coleman-Liau", s.coleman_liau},
          std::pair{"Automated readability index", s.automated_readability}}) {
        page += std::string("<tr><td>") + label + "</td><td>" +
                core::dump_json(std::round(value * 10) / 10) + "</td></tr>\n";
    }
    page += "</table>\n</body>\n</html>\n";
    std::cout << page;
}

}  // namespace

void setup_analyze(CLI::App& parent, CommandTable& table) {
    auto options = std::make_shared<AnalyzeOptions>();
    auto* cmd = parent.add_subcommand(
        "analyze", "Score an article's SEO and readability offline (Markdown or HTML)");
    cmd->add_option("input", options->input,
                    "A Markdown or HTML file, an http(s) URL, or - for stdin")
        ->required();
    cmd->add_option("--keyword", options->keyword, "The focus keyphrase (\"quoted\" = exact)");
    cmd->add_option("--title", options->title,
                    "The SEO title (default: front matter, <title>, H1)");
    cmd->add_option("--meta", options->meta, "The meta description (default: front matter)");
    cmd->add_option("--slug", options->slug, "The slug (default: front matter, file or URL name)");
    cmd->add_option("--site", options->site,
                    "Your site's URL: links to it count as internal (default: wordpress.url)");
    cmd->add_option("--synonyms", options->synonyms, "Keyphrase synonyms, comma-separated");
    cmd->add_flag("--cornerstone", options->cornerstone,
                  "Use the stricter thresholds for cornerstone content");
    cmd->add_flag("--json", options->json, "Print one JSON document (same as --format json)");
    cmd->add_option("--format", options->format, "Output: text, json or html (a report page)");
    cmd->add_option("--min-score", options->min_score,
                    "Exit 4 when the overall score is below N (0-100)");
    table.add(cmd, [options](Context* ctx) { return run_analyze(*options, *ctx); });
}

int run_analyze(const AnalyzeOptions& o, Context& ctx) {
    const std::string format = o.json ? "json" : o.format;
    if (format != "text" && format != "json" && format != "html") {
        return report_error(
            usage("analyze.format", "unknown --format '" + o.format + "': use text, json or html"));
    }
    if (o.min_score && (*o.min_score < 0 || *o.min_score > 100)) {
        return report_error(
            usage("analyze.min_score",
                  "--min-score must be between 0 and 100, not " + std::to_string(*o.min_score)));
    }
    auto doc = read_document(o, ctx);
    if (!doc) {
        return report_error(doc.error());
    }
    quality::QualityInput in;
    quality::FrontMatter front;
    if (doc->html) {
        in.markdown = doc->text;
        in.html = true;
    } else {
        front = quality::split_front_matter(doc->text);
        in.markdown = front.body;
    }
    const auto pick = [](const std::string& flag, const std::string& fallback) {
        return flag.empty() ? fallback : flag;
    };
    in.keyword = pick(o.keyword, front.keyword);
    in.synonyms = pick(o.synonyms, front.synonyms);
    in.meta_title = pick(o.title, front.title);
    in.meta_description = pick(o.meta, front.description);
    in.slug = pick(o.slug, pick(front.slug, doc->slug_hint));
    in.cornerstone = o.cornerstone;
    in.site_host = quality::url_host(pick(o.site, ctx.config().get(core::keys::wordpress_url)));
    if (in.meta_title.empty() || in.meta_description.empty()) {
        const auto view =
            doc->html ? quality::parse_html(in.markdown) : quality::parse_markdown(in.markdown);
        if (in.meta_title.empty()) {
            in.meta_title = view.html_title;
            for (const auto& h : view.headings) {
                if (in.meta_title.empty() && h.level == 1) {
                    in.meta_title = h.text;
                }
            }
        }
        in.meta_description = pick(in.meta_description, view.html_description);
    }
    const auto report = quality::validate(in);
    if (format == "json") {
        json out = quality::report_to_json(report);
        out["input"] = {{"source", doc->name},
                        {"format", doc->html ? "html" : "markdown"},
                        {"keyword", in.keyword},
                        {"synonyms", in.synonyms},
                        {"title", in.meta_title},
                        {"meta_description", in.meta_description},
                        {"slug", in.slug},
                        {"site", in.site_host},
                        {"cornerstone", in.cornerstone}};
        std::cout << out.dump(2) << "\n";
    } else if (format == "html") {
        print_html(*doc, in, report);
    } else {
        print_text(*doc, in, report, Colors{use_color(ctx, 1)});
    }
    if (o.min_score && report.score < *o.min_score) {
        std::cerr << "sota: score " << report.score << " is below --min-score " << *o.min_score
                  << "\n";
        return core::to_int(core::ExitCode::below_min_score);
    }
    return 0;
}

}  // namespace sota::cli
