// How articles are read: Markdown and HTML blocks, links, front matter, keyphrase matching.

#include <catch2/catch.hpp>
#include <cmath>

#include "core/quality/article.hpp"
#include "core/quality/keyphrase.hpp"
#include "core/quality/text_stats.hpp"

using namespace sota::core::quality;

namespace {

std::vector<std::string> texts(const ArticleView& v, BlockKind kind) {
    std::vector<std::string> out;
    for (const auto& b : v.blocks) {
        if (b.kind == kind) {
            out.push_back(b.text);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("code spans and code blocks are not prose", "[quality][markdown]") {
    const auto v = parse_markdown(
        "Run `espresso grinder --fast` to start.\n\n"
        "```\nespresso grinder espresso grinder\n```\n\n"
        "    indented espresso grinder code\n\n"
        "Done with ``a `nested` span`` here.\n");
    REQUIRE(v.paragraphs.size() == 2);
    CHECK(v.paragraphs[0] == "Run   to start.");
    CHECK(v.paragraphs[1] == "Done with   here.");
    CHECK(v.plain_text.find("espresso") == std::string::npos);
}

TEST_CASE("blockquotes, list items and table cells are their own paragraphs",
          "[quality][markdown]") {
    const auto v = parse_markdown(
        "Intro line one\ncontinues here.\n> A quoted line\n> goes on.\n\nAfter the quote.\n\n"
        "- first item\n  wraps on\n- second item\n\n"
        "| Name | Burr |\n|------|------|\n| Niche | conical |\n\n"
        "Setext title\n============\n");
    CHECK(texts(v, BlockKind::paragraph) ==
          std::vector<std::string>{"Intro line one continues here.", "After the quote."});
    CHECK(texts(v, BlockKind::quote) == std::vector<std::string>{"A quoted line goes on."});
    CHECK(texts(v, BlockKind::list_item) ==
          std::vector<std::string>{"first item wraps on", "second item"});
    CHECK(texts(v, BlockKind::table_cell) ==
          std::vector<std::string>{"Name", "Burr", "Niche", "conical"});
    REQUIRE(v.headings.size() == 1);
    CHECK(v.headings[0].level == 1);
    CHECK(v.headings[0].text == "Setext title");
}

TEST_CASE("inline, reference, autolink and HTML links are all read", "[quality][markdown]") {
    const auto v = parse_markdown(
        "See [the guide](https://a.example/g \"t\"), [docs][d], [Site] and <https://b.example/x>.\n"
        "Also <a href=\"https://c.example/\" rel=\"sponsored nofollow\">a sponsor</a> and "
        "![alt text](/img.png).\n\n[d]: https://d.example/docs\n[site]: /about\n");
    REQUIRE(v.links.size() == 5);
    CHECK(v.links[0].url == "https://a.example/g");
    CHECK(v.links[0].text == "the guide");
    CHECK(v.links[1].url == "https://d.example/docs");
    CHECK(v.links[2].url == "/about");
    CHECK(v.links[3].url == "https://b.example/x");
    CHECK(v.links[4].url == "https://c.example/");
    CHECK(v.links[4].nofollow);
    CHECK_FALSE(v.links[0].nofollow);
    REQUIRE(v.images.size() == 1);
    CHECK(v.images[0].text == "alt text");
    REQUIRE(v.paragraphs.size() == 1);  // link definitions are not prose
}

TEST_CASE("mailto, tel and fragment links are neither internal nor outbound", "[quality]") {
    CHECK(link_kind("mailto:a@b.example", "example.com") == LinkKind::other);
    CHECK(link_kind("tel:+123", "example.com") == LinkKind::other);
    CHECK(link_kind("#section", "example.com") == LinkKind::other);
    CHECK(link_kind("/guides/x", "example.com") == LinkKind::internal);
    CHECK(link_kind("https://www.example.com/x", "example.com") == LinkKind::internal);
    CHECK(link_kind("https://blog.example.com/x", "example.com") == LinkKind::internal);
    CHECK(link_kind("https://other.example/x", "example.com") == LinkKind::outbound);
    CHECK(link_kind("//cdn.example/x", "example.com") == LinkKind::outbound);
    CHECK(url_host("https://www.Example.com:8080/a") == "example.com");
}

TEST_CASE("HTML is read into the same blocks, skipping code, script and style", "[quality][html]") {
    const auto v = parse_html(
        "<html><head><title>Grinder &amp; Co</title>"
        "<meta name=\"description\" content=\"All about grinders.\">"
        "<style>p{color:red}</style></head><body>"
        "<h1>Espresso <em>grinders</em></h1><p>First para with <code>code here</code> and "
        "<a href=\"/x\">a link</a>.</p><blockquote><p>Quoted.</p></blockquote>"
        "<ul><li>One</li><li>Two <img src=\"a.png\" alt=\"burr set\"></li></ul>"
        "<pre>int main() {}</pre><table><tr><td>Cell A</td><td>Cell B</td></tr></table>"
        "<script>var espresso = 1;</script></body></html>");
    CHECK(v.html_title == "Grinder & Co");
    CHECK(v.html_description == "All about grinders.");
    REQUIRE(v.headings.size() == 1);
    CHECK(v.headings[0].text == "Espresso grinders");
    CHECK(texts(v, BlockKind::paragraph) ==
          std::vector<std::string>{"First para with and a link."});
    CHECK(texts(v, BlockKind::quote) == std::vector<std::string>{"Quoted."});
    CHECK(texts(v, BlockKind::list_item) == std::vector<std::string>{"One", "Two"});
    CHECK(texts(v, BlockKind::table_cell) == std::vector<std::string>{"Cell A", "Cell B"});
    REQUIRE(v.links.size() == 1);
    CHECK(v.links[0].text == "a link");
    REQUIRE(v.images.size() == 1);
    CHECK(v.images[0].text == "burr set");
    CHECK(v.plain_text.find("main") == std::string::npos);
    CHECK(v.plain_text.find("var") == std::string::npos);
    CHECK(looks_like_html("<!DOCTYPE html><html>"));
    CHECK_FALSE(looks_like_html("# Title\n\nText <b>bold</b>."));
}

TEST_CASE("front matter gives title, description, slug and keyphrase", "[quality][markdown]") {
    const auto fm = split_front_matter(
        "---\ntitle: \"Best Grinders\"\ndescription: A guide.\npermalink: /guides/best-grinders/\n"
        "keyphrase: espresso grinder\nsynonyms: [coffee mill, burr grinder]\n---\n# Body\n");
    CHECK(fm.present);
    CHECK(fm.title == "Best Grinders");
    CHECK(fm.description == "A guide.");
    CHECK(fm.slug == "best-grinders");
    CHECK(fm.keyword == "espresso grinder");
    CHECK(fm.synonyms == "coffee mill, burr grinder");
    CHECK(fm.body == "# Body\n");
    CHECK_FALSE(split_front_matter("# No front matter\n").present);
    // The parser never reads front matter as prose.
    CHECK(parse_markdown("---\ntitle: X\n---\nBody text.\n").paragraphs ==
          std::vector<std::string>{"Body text."});
}

TEST_CASE("keyphrases match by content words and their forms", "[quality][keyphrase]") {
    CHECK(is_function_word("the"));
    CHECK(is_function_word("how"));
    CHECK_FALSE(is_function_word("grinder"));
    CHECK(word_form("Grinders") == "grinder");
    CHECK(word_form("grinder's") == "grinder");
    CHECK(word_form("grinder\xE2\x80\x99s") == "grinder");
    CHECK(word_form("e-mail") == "email");
    CHECK(word_form("stories") == "story");
    CHECK(word_form("boxes") == "box");
    CHECK(word_form("glass") == "glass");

    const auto k = make_keyphrase("how to choose the best espresso grinder");
    CHECK(k.forms == std::vector<std::string>{"choose", "best", "espresso", "grinder"});
    CHECK(contains_all(k, match_text("Grinders for espresso: choose the best.")));
    CHECK_FALSE(contains_all(k, match_text("Choose the best espresso.")));
    CHECK(occurrences_in_sentence(make_keyphrase("grinder"),
                                  match_text("A grinder, another grinder's burr, two grinders.")) ==
          3);
    // Several occurrences of every content word count as several matches.
    CHECK(occurrences_in_sentence(make_keyphrase("espresso grinder"),
                                  match_text("espresso grinder and espresso grinders")) == 2);

    const auto exact = make_keyphrase("\"espresso grinder\"");
    CHECK(exact.exact);
    CHECK(occurrences_in_sentence(exact, match_text("grinder for espresso")) == 0);
    CHECK(occurrences_in_sentence(exact, match_text("an espresso grinder")) == 1);

    const auto only = make_keyphrase("how to");
    CHECK(only.only_function_words);
    CHECK(make_synonyms("coffee mill, burr grinder,").size() == 2);
    CHECK(is_whole_keyphrase(make_keyphrase("espresso grinder"),
                             match_text("the espresso grinders")));
    CHECK_FALSE(is_whole_keyphrase(make_keyphrase("espresso grinder"),
                                   match_text("espresso grinder reviews")));
}

TEST_CASE("the readability formulas share one syllable counter", "[quality][formulas]") {
    // 2 sentences, 11 words; syllables by count_syllables.
    const auto s = text_stats(
        "The cat sat on the mat. Understanding readability formulas helps "
        "everybody.");
    CHECK(s.words == 11);
    CHECK(s.sentences == 2);
    int syllables = 0;
    for (const auto& w : split_words("The cat sat on the mat. Understanding readability formulas "
                                     "helps everybody.")) {
        syllables += count_syllables(w);
    }
    CHECK(s.syllables == syllables);
    const double asl = 5.5, asw = static_cast<double>(syllables) / 11;
    CHECK(s.flesch_reading_ease == Approx(206.835 - 1.015 * asl - 84.6 * asw));
    CHECK(s.flesch_kincaid_grade == Approx(0.39 * asl + 11.8 * asw - 15.59));
    CHECK(s.polysyllables == 4);  // understanding, readability, formulas, everybody
    CHECK(s.smog == Approx(1.043 * std::sqrt(30.0 * 4 / 2) + 3.1291));
    CHECK(s.gunning_fog == Approx(0.4 * (asl + 100.0 * s.complex_words / 11)));
    CHECK(s.letters == 63);
    CHECK(s.coleman_liau == Approx(0.0588 * (100.0 * 63 / 11) - 0.296 * (100.0 * 2 / 11) - 15.8));
    CHECK(s.automated_readability == Approx(4.71 * 63.0 / 11 + 0.5 * asl - 21.43));
}
