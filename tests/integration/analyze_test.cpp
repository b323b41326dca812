// `sota analyze` as a user runs it: the real binary, files, stdin and a local web page.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/integration/sota_home.hpp"
#include "tests/support/fake_http_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

using nlohmann::json;
using sota::test::ProcessResult;
using sota::test::Sota;
using sota::test::TempHome;
using sota::test::write_text;

namespace {

const json* check(const json& report, const std::string& id) {
    for (const auto& c : report["checks"]) {
        if (c["id"] == id) {
            return &c;
        }
    }
    return nullptr;
}

std::string article() {
    std::string md =
        "---\n"
        "title: \"Espresso grinder basics: burrs, grind size and retention\"\n"
        "description: \"What makes a good espresso grinder: burr types, grind size, retention "
        "and noise, explained for home baristas who want better shots.\"\n"
        "slug: espresso-grinder-basics\n"
        "keyphrase: espresso grinder\n"
        "---\n"
        "# Espresso grinder basics\n\n"
        "A good espresso grinder matters more than the machine. It sets how evenly the coffee "
        "extracts.\n\n"
        "![An espresso grinder on a counter](/img/grinder.jpg)\n\n"
        "## Burr types\n\n"
        "Flat burrs give a clear taste. However, conical burrs are quiet and forgiving. "
        "See the [burr study](https://lab.example/burrs) and our "
        "[cleaning guide](/guides/cleaning).\n\n"
        "Write to [us](mailto:team@example.com) or jump to [the top](#top).\n\n"
        "```\nespresso grinder espresso grinder espresso grinder\n```\n";
    for (int i = 0; i < 8; ++i) {
        md += "## Tip " + std::to_string(i + 1) +
              "\n\nKeep the beans fresh and store them dry. For example, buy small bags often. "
              "Taste each shot and then adjust one thing at a time.\n\n";
    }
    return md;
}

}  // namespace

TEST_CASE("sota analyze scores a Markdown file offline, reading its front matter",
          "[analyze][cli]") {
    const Sota sota;
    const auto file = sota.home.path() / "grinder.md";
    write_text(file, article());
    const auto r = sota.run({"analyze", file.string(), "--json", "--site", "https://example.com"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json report = json::parse(r.out);
    CHECK(report["input"]["keyword"] == "espresso grinder");
    CHECK(report["input"]["title"] == "Espresso grinder basics: burrs, grind size and retention");
    CHECK(report["input"]["slug"] == "espresso-grinder-basics");
    CHECK(report["input"]["format"] == "markdown");
    for (const char* id : {"keyword_in_intro",
                           "keyphrase_length",
                           "keyword_density",
                           "keyword_in_meta",
                           "keyword_in_subheadings",
                           "competing_links",
                           "image_keyphrase",
                           "keyword_in_title",
                           "keyword_in_slug",
                           "keyphrase_distribution",
                           "text_length",
                           "outbound_links",
                           "internal_links",
                           "title_width",
                           "meta_description_length",
                           "single_h1",
                           "images",
                           "title_present",
                           "section_length",
                           "paragraph_length",
                           "sentence_length",
                           "sentence_beginnings",
                           "passive_voice",
                           "transition_words",
                           "word_complexity",
                           "duplicate_text",
                           "template_filler",
                           "doubled_words",
                           "uncited_numbers"}) {
        INFO(id);
        CHECK(check(report, id) != nullptr);
    }
    // mailto: and #top are neither kind of link; the code block is not prose.
    CHECK((*check(report, "outbound_links"))["detail"] == "1 outbound links (0 nofollow)");
    CHECK((*check(report, "internal_links"))["detail"] == "1 internal links (0 nofollow)");
    CHECK((*check(report, "keyword_in_slug"))["rating"] == "good");
    CHECK((*check(report, "keyword_in_title"))["rating"] == "good");
    CHECK(report["seo_score"].get<int>() >= 0);
    CHECK(report["readability_score"].get<int>() >= 30);
    CHECK(report["readability"]["gunning_fog"].is_number());
    CHECK(report["words"].get<int>() > 200);
}

TEST_CASE("sota analyze flags win over front matter, and text output shows lights and fixes",
          "[analyze][cli]") {
    const Sota sota;
    const auto file = sota.home.path() / "grinder.md";
    write_text(file, article());
    const auto r = sota.run({"analyze", file.string(), "--keyword", "burr noise levels", "--title",
                             "A short title", "--color", "never"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("keyphrase: burr noise levels") != std::string::npos);
    CHECK(r.out.find("SEO score:") != std::string::npos);
    CHECK(r.out.find("Readability score:") != std::string::npos);
    CHECK(r.out.find("red     Keyphrase in SEO title") != std::string::npos);
    CHECK(r.out.find("fix: start the SEO title with 'burr noise levels'") != std::string::npos);
    CHECK(r.out.find("green ") != std::string::npos);
    CHECK(r.out.find("\x1b[") == std::string::npos);
}

TEST_CASE("sota analyze --min-score exits 4 below the score, 0 at or above it", "[analyze][cli]") {
    const Sota sota;
    const auto file = sota.home.path() / "thin.md";
    write_text(file, "# Thin\n\nToo short to rank.\n");
    const auto low = sota.run({"analyze", file.string(), "--keyword", "thin", "--min-score", "90"});
    CHECK(low.exit_code == 4);
    CHECK(low.err.find("is below --min-score 90") != std::string::npos);
    CHECK(low.out.find("SEO score:") != std::string::npos);  // the report still prints
    const auto ok = sota.run({"analyze", file.string(), "--keyword", "thin", "--min-score", "0"});
    CHECK(ok.exit_code == 0);
    const auto bad = sota.run({"analyze", file.string(), "--min-score", "101"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("--min-score must be between 0 and 100") != std::string::npos);
}

TEST_CASE("sota analyze reads HTML from stdin and writes an HTML report page", "[analyze][cli]") {
    const Sota sota;
    const std::string html =
        "<!DOCTYPE html><html><head><title>Burr grinders explained</title>"
        "<meta name=\"description\" content=\"Burr grinders explained.\"></head><body>"
        "<h1>Burr grinders</h1><p>Burr grinders crush beans evenly.</p>"
        "<p><a href=\"https://lab.example/\" rel=\"nofollow\">a study</a></p></body></html>";
    const auto r = sota.run({"analyze", "-", "--keyword", "burr grinders", "--json"}, html);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json report = json::parse(r.out);
    CHECK(report["input"]["format"] == "html");
    CHECK(report["input"]["title"] == "Burr grinders explained");
    CHECK(report["input"]["meta_description"] == "Burr grinders explained.");
    CHECK((*check(report, "outbound_links"))["score"] == 7);  // all nofollow

    const auto page =
        sota.run({"analyze", "-", "--keyword", "burr grinders", "--format", "html"}, html);
    REQUIRE(page.exit_code == 0);
    CHECK(page.out.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(page.out.find("Content analysis: stdin") != std::string::npos);
    CHECK(page.out.find("class=\"dot ") != std::string::npos);
    CHECK(page.out.find("Gunning fog") != std::string::npos);
}

TEST_CASE("sota analyze refuses what it cannot read, naming the fix", "[analyze][cli]") {
    const Sota sota;
    const auto missing = sota.run({"analyze", (sota.home.path() / "nope.md").string()});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("cannot read") != std::string::npos);
    CHECK(missing.err.find("or - to read standard input") != std::string::npos);
    const auto format = sota.run({"analyze", "-", "--format", "pdf"}, "text");
    CHECK(format.exit_code == 2);
    CHECK(format.err.find("unknown --format 'pdf'") != std::string::npos);
}

TEST_CASE("sota analyze fetches a page by URL", "[analyze][cli][web]") {
    sota::test::FakeHttpServer site;
    site.route("GET", "/guides/burr-grinders", [](const auto&, auto& c) {
        c.respond(200,
                  "<html><head><title>Burr grinders guide</title></head><body><h1>Burr "
                  "grinders</h1><p>Burr grinders crush coffee beans evenly for espresso.</p>"
                  "</body></html>",
                  {}, "text/html; charset=utf-8");
    });
    site.route("GET", "/robots.txt",
               [](const auto&, auto& c) { c.respond(404, "", {}, "text/plain"); });
    const Sota sota;
    const auto r = sota.run({"--set", "web.allow_private=true", "analyze",
                             site.base_url() + "/guides/burr-grinders", "--keyword",
                             "burr grinders", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json report = json::parse(r.out);
    CHECK(report["input"]["slug"] == "burr-grinders");
    CHECK(report["input"]["title"] == "Burr grinders guide");
    CHECK((*check(report, "keyword_in_slug"))["rating"] == "good");
}
