#include <catch2/catch.hpp>

#include "core/quality/article.hpp"
#include "core/quality/text_stats.hpp"
#include "core/quality/validator.hpp"

using namespace sota::core::quality;

namespace {

const CheckResult& check(const QualityReport& r, const std::string& id) {
    for (const auto& c : r.checks) {
        if (c.id == id) {
            return c;
        }
    }
    FAIL("no check " << id);
    return r.checks.front();
}

std::string good_article() {
    std::string md =
        "# The best espresso grinder for home baristas\n\n"
        "Choosing the best espresso grinder matters more than choosing the machine. A good grinder "
        "makes even shots.\n\n"
        "## Burr types\n\n"
        "Flat burrs give a clear taste. Conical burrs are quiet and forgiving. Both can pull a "
        "fine shot.\n\n"
        "## Grind size and retention\n\n"
        "Small steps let you dial in. Low retention keeps each dose fresh. See the "
        "[roasting guide](https://coffee-science.org/grind) for more.\n\n"
        "### Single dosing\n\n"
        "Weigh each dose. Grind it all. Clean the chute now and then. Read our "
        "[cleaning tips](/guides/cleaning) too.\n\n"
        "## FAQ\n\n"
        "### How much should the best espresso grinder cost?\n\n"
        "Most good ones cost between two and six hundred dollars. You pay for burrs and steps.\n\n";
    for (int i = 0; i < 12; ++i) {
        md += "## Tip " + std::to_string(i) +
              "\n\nKeep the beans fresh. Store them dry and dark. Buy small bags often. "
              "Taste each shot and adjust one thing at a time.";
        md += i % 4 == 0 ? " Even the best espresso grinder needs fresh beans.\n\n" : "\n\n";
    }
    return md;
}

QualityInput good_input() {
    QualityInput in;
    in.keyword = "best espresso grinder";
    in.markdown = good_article();
    in.meta_title = "Best espresso grinder: a buyer's guide for 2026";
    in.meta_description =
        "How to pick the best espresso grinder for home: burr types, grind size, retention and "
        "price, explained "
        "simply with honest tips.";
    in.slug = "best-espresso-grinder";
    in.site_host = "example.com";
    in.target_words = 300;
    in.schema_type = "Article";
    return in;
}

}  // namespace

TEST_CASE("syllables, words, sentences and Flesch match the fixtures", "[quality]") {
    CHECK(count_syllables("the") == 1);
    CHECK(count_syllables("grinder") == 2);
    CHECK(count_syllables("espresso") == 3);
    CHECK(count_syllables("coffee") == 2);
    CHECK(count_syllables("beautiful") == 3);
    CHECK(count_syllables("wanted") == 2);
    CHECK(count_syllables("jumped") == 1);
    CHECK(count_syllables("table") == 2);
    CHECK(count_syllables("radio") == 3);
    CHECK(count_syllables("nation") == 2);
    CHECK(split_words("Don't stop-start, 3.5 times!").size() == 4);
    CHECK(split_sentences("It costs 3.5 dollars, e.g. cheap. Buy it! Now?").size() == 3);
    const auto s = text_stats("The cat sat on the mat.");
    CHECK(s.words == 6);
    CHECK(s.sentences == 1);
    CHECK(s.flesch_reading_ease ==
          Approx(116.145));  // textstat's reference value after its syllable fix: 116.5
    CHECK(std::string(flesch_band(65)) == "standard");
}

TEST_CASE("Markdown is read into headings, paragraphs, links and images", "[quality]") {
    const auto v = parse_markdown(
        "# Title\n\nA *first* paragraph with a [link](https://a.example/x \"t\").\n\n```\ncode # "
        "not a heading\n```\n\n"
        "- item one\n- item ![alt text](/img.png) two\n\n## Sub\n\nLast.\n");
    REQUIRE(v.headings.size() == 2);
    CHECK(v.headings[1].level == 2);
    REQUIRE(v.paragraphs.size() == 4);
    CHECK(v.paragraphs[0] == "A first paragraph with a link.");
    REQUIRE(v.links.size() == 1);
    CHECK(v.links[0].url == "https://a.example/x");
    REQUIRE(v.images.size() == 1);
    CHECK(v.images[0].text == "alt text");
    CHECK(url_host("https://www.Example.com:8080/a") == "example.com");
}

TEST_CASE("a well-made article passes every check", "[quality]") {
    const auto r = validate(good_input());
    for (const auto& c : r.checks) {
        INFO(c.id << ": " << c.detail);
        CHECK(c.verdict == Verdict::pass);
    }
    CHECK(r.score >= 95);
    CHECK(r.failed() == 0);
}

TEST_CASE("each weakness fails its own check, with a fix for the auto-fix step", "[quality]") {
    auto in = good_input();
    in.meta_title = "A guide";
    in.meta_description = "";
    in.slug = "guide";
    in.broken_urls = {"https://coffee-science.org/grind"};
    in.markdown = "# Grinders\n\n# Another title\n\n#### Deep\n\nShort text without the phrase.\n";
    in.schema_type = "";
    const auto r = validate(in);
    for (const char* id :
         {"word_count", "keyword_in_title", "keyword_in_h1", "keyword_in_intro", "keyword_in_meta",
          "keyword_in_slug", "keyword_density", "single_h1", "heading_hierarchy", "internal_links",
          "outbound_links", "meta_description_length", "faq"}) {
        INFO(id);
        CHECK(check(r, id).verdict == Verdict::fail);
        CHECK_FALSE(check(r, id).fix.empty());
    }
    CHECK(check(r, "schema").verdict == Verdict::warn);
    CHECK(r.score < 60);
    CHECK(r.failed() >= 13);

    auto broken = good_input();
    broken.broken_urls = {"https://coffee-science.org/grind"};
    CHECK(check(validate(broken), "broken_links").detail.find("coffee-science.org") !=
          std::string::npos);

    auto stuffed = good_input();
    for (int i = 0; i < 20; ++i) {
        stuffed.markdown += "Best espresso grinder. ";
    }
    CHECK(check(validate(stuffed), "keyword_density").verdict == Verdict::fail);
}

TEST_CASE("long paragraphs, sections and sentences are caught", "[quality]") {
    auto in = good_input();
    std::string wall;
    for (int i = 0; i < 40; ++i) {
        wall +=
            "This sentence about the best espresso grinder goes on and on with many extra words in "
            "it to be really long. ";
    }
    in.markdown += "## Wall\n\n" + wall + "\n";
    const auto r = validate(in);
    CHECK(check(r, "paragraph_length").verdict == Verdict::fail);
    CHECK(check(r, "section_length").verdict == Verdict::fail);
    CHECK(check(r, "sentence_length").verdict == Verdict::fail);
}
