#include <catch2/catch.hpp>

#include "core/pipeline/compose.hpp"
#include "core/pipeline/html_outline.hpp"
#include "core/pipeline/job.hpp"
#include "core/pipeline/prompts.hpp"
#include "core/pipeline/site_pages.hpp"
#include "core/pipeline/structured.hpp"

using namespace sota::core;
using namespace sota::core::pipeline;
using nlohmann::json;

namespace {

const json k_schema = json::parse(R"({
  "type": "object", "required": ["intent", "keywords"], "additionalProperties": false,
  "properties": {
    "intent": {"type": "string", "enum": ["informational", "commercial"]},
    "keywords": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 2}}
  }})");

}  // namespace

TEST_CASE("schema_problem names the path and the rule an answer breaks", "[pipeline]") {
    CHECK(schema_problem(json{{"intent", "commercial"}, {"keywords", {"ab"}}}, k_schema).empty());
    CHECK(schema_problem(json{{"keywords", {"ab"}}}, k_schema) ==
          "$: missing required field \"intent\"");
    CHECK(schema_problem(json{{"intent", "buy"}, {"keywords", {"ab"}}}, k_schema)
              .rfind("$.intent: must be one of", 0) == 0);
    CHECK(schema_problem(json{{"intent", "commercial"}, {"keywords", json::array()}}, k_schema) ==
          "$.keywords: must have at least 1 items, got 0");
    CHECK(schema_problem(json{{"intent", "commercial"}, {"keywords", {"ab", 3}}}, k_schema) ==
          "$.keywords[1]: must be string, got number");
    CHECK(schema_problem(json{{"intent", "commercial"}, {"keywords", {"ab"}}, {"x", 1}},
                         k_schema) == "$: unexpected field \"x\"");
}

TEST_CASE("extract_json finds JSON in fences and prose", "[pipeline]") {
    CHECK(extract_json(R"({"a":1})")->at("a") == 1);
    CHECK(extract_json("Here you go:\n```json\n{\"a\": 2}\n```\nThanks")->at("a") == 2);
    CHECK(extract_json("Sure! {\"a\": 3} hope it helps")->at("a") == 3);
    CHECK_FALSE(extract_json("no json here"));
}

TEST_CASE("a structured answer that breaks the schema is asked again with the problem",
          "[pipeline]") {
    std::vector<llm::Request> seen;
    std::vector<std::string> answers = {"not json", R"({"intent":"buy","keywords":["ab"]})",
                                        R"({"intent":"commercial","keywords":["ab"]})"};
    auto complete = [&](llm::Request r) -> Expected<llm::Response> {
        seen.push_back(r);
        llm::Response response;
        response.text = answers[seen.size() - 1];
        return response;
    };
    llm::Request request;
    request.messages.push_back({"user", "cluster these"});
    auto answer = complete_structured(complete, request, k_schema, 2);
    REQUIRE(answer);
    CHECK(answer->attempts == 3);
    CHECK(answer->value["intent"] == "commercial");
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].output_schema == k_schema);
    CHECK(seen[1].messages.back().content.find("was not JSON") != std::string::npos);
    CHECK(seen[2].messages.back().content.find("$.intent: must be one of") != std::string::npos);

    seen.clear();
    answers = {"x", "y"};
    auto failed = complete_structured(complete, request, k_schema, 1);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == "llm.invalid_structured");
    CHECK(seen.size() == 2);
}

TEST_CASE("prompt files carry a version that is part of the cache tag", "[pipeline]") {
    auto p =
        parse_prompt("# comment\nversion = 3\n--- system\nBe brief.\n--- user\nHi {{keyword}}\n",
                     "greet", "greet.prompt");
    REQUIRE(p);
    CHECK(p->version == 3);
    CHECK(p->system == "Be brief.");
    CHECK(p->user == "Hi {{keyword}}");
    CHECK(p->cache_tag().rfind("greet@v3:", 0) == 0);
    auto edited = parse_prompt("version = 3\n--- user\nHello {{keyword}}\n", "greet", "x");
    CHECK(edited->cache_tag() != p->cache_tag());  // an edit without a bump still counts
    CHECK_FALSE(parse_prompt("--- user\nHi\n", "x", "x.prompt"));
    CHECK(parse_prompt("version = 1\n--- notes\n", "x", "x.prompt")
              .error()
              .message.find("x.prompt:2") != std::string::npos);
    const auto library = PromptLibrary::built_in();
    for (const char* name : {"semantic_keywords", "gap_analysis", "blueprint", "write_intro",
                             "write_section", "write_faq", "auto_fix"}) {
        INFO(name);
        auto prompt = library.get(name);
        REQUIRE(prompt);
        CHECK((*prompt)->version >= 1);
        CHECK((*prompt)->max_tokens > 0);  // every built-in answer has a cap to pace by
    }
    auto capped = parse_prompt("version = 1\nmax_tokens = 1500\n--- user\nHi\n", "x", "x.prompt");
    REQUIRE(capped);
    CHECK(capped->max_tokens == 1500);
    CHECK_FALSE(p->max_tokens);
    const auto zero = parse_prompt("version = 1\nmax_tokens = 0\n--- user\nHi\n", "x", "x.prompt");
    REQUIRE_FALSE(zero);
    CHECK(zero.error().message.find("x.prompt:2: max_tokens is a whole number") !=
          std::string::npos);
}

TEST_CASE("templates fill artifacts and fields and refuse unknown names", "[pipeline]") {
    const json vars = {
        {"keyword", "espresso"}, {"outline", {{"title", "Guide"}, {"n", 3}}}, {"list", {"a", "b"}}};
    CHECK(*render_template("{{keyword}}: {{ outline.title }} ({{outline.n}})", vars) ==
          "espresso: Guide (3)");
    CHECK(*render_template("{{list}}", vars) == "- a\n- b");
    auto bad = render_template("{{missing}}", vars);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("available: keyword, list, outline") != std::string::npos);
    CHECK_FALSE(render_template("{{open", vars));
}

TEST_CASE("job specs are checked against the input rules", "[pipeline]") {
    JobSpec spec;
    spec.keyword = "ab";
    CHECK(validate_spec(spec).error().message == "keyword: must be 3-200 characters, got 2");
    spec.keyword = std::string(201, 'k');
    CHECK_FALSE(validate_spec(spec));
    spec.keyword = "caf\xC3\xA9";  // four characters, five bytes
    CHECK(validate_spec(spec));
    spec.keyword = "best\tgrinder";
    CHECK_FALSE(validate_spec(spec));
    spec.keyword = "best grinder";
    spec.mode = "refresh";
    CHECK(validate_spec(spec).error().message.find("--url, --post-id or --file") !=
          std::string::npos);
    spec.url = "ftp://example.com/x";
    CHECK(validate_spec(spec).error().message.find("not an http(s) URL") != std::string::npos);
    spec.mode = "generate";
    spec.url.clear();
    spec.site_pages.assign(501, SitePage{"https://example.com/a", "A", ""});
    CHECK(validate_spec(spec).error().message.find("at most 500") != std::string::npos);
    spec.site_pages.resize(500);
    CHECK(validate_spec(spec));
    spec.site_pages[7].url = "example.com/no-scheme";
    CHECK(validate_spec(spec).error().message.find("entry 8") != std::string::npos);
}

TEST_CASE("the model allowlist takes patterns", "[pipeline]") {
    const std::string list = "gpt-*,claude-3-5-sonnet-*,gemini-*";
    CHECK(model_allowed("gpt-4o-mini", list));
    CHECK(model_allowed("anthropic:claude-3-5-sonnet-20241022", list));
    CHECK_FALSE(model_allowed("claude-3-opus", list));
    CHECK_FALSE(model_allowed("llama3", list));
    CHECK(model_allowed("llama3", ""));
    CHECK(model_allowed("llama3", "gpt-*, llama*"));
}

TEST_CASE("new job ids sort by time", "[pipeline]") {
    const auto t = WallTime(std::chrono::milliseconds(1703169045000));
    const std::string id = new_job_id(t);
    CHECK(id.rfind("job_1703169045000_", 0) == 0);
    CHECK(id.size() == std::string("job_1703169045000_a1b2c3d").size());
}

TEST_CASE("competitor pages are read into title, outline and word count", "[pipeline]") {
    const std::string html =
        "<html><head><title>Best &amp; Cheapest Grinders</title><meta name=\"description\" "
        "content=\"Our picks\"><style>h2{}</style></head><body><nav><h2>Menu</h2>one two</nav>"
        "<h1>Grinders</h1><p>One two three four.</p><h2 class=x>Burr <em>types</em></h2>"
        "<script>var h3 = '<h3>no</h3>';</script><h3>Flat</h3><p>five six</p>"
        "<footer>seven eight nine</footer></body></html>";
    const auto page = outline_html(html);
    CHECK(page.title == "Best & Cheapest Grinders");
    CHECK(page.description == "Our picks");
    REQUIRE(page.headings.size() == 3);
    CHECK(page.headings[1].level == 2);
    CHECK(page.headings[1].text == "Burr types");
    CHECK(page.headings[2].text == "Flat");
    CHECK(page.word_count == 10);  // nav, script and footer left out
}

TEST_CASE("article HTML becomes Markdown for a refresh", "[pipeline]") {
    const std::string md = html_to_markdown(
        "<article><h2>Why burrs</h2><p>They are <strong>even</strong>. See <a "
        "href=\"https://x.example/a\">this</a>.</p><ul><li>one</li><li>two</li></ul></article>");
    CHECK(md ==
          "## Why burrs\n\nThey are **even**. See [this](https://x.example/a).\n\n- one\n- two\n");
}

TEST_CASE("site pages come from CSV, URL lists and sitemaps", "[pipeline]") {
    auto csv = parse_site_pages(
        "\xEF\xBB\xBFurl,title\n\"https://s.example/a/\",\"Grind, size\"\nhttps://s.example/"
        "single-dosing/,\n",
        "pages.csv");
    REQUIRE(csv);
    REQUIRE(csv->size() == 2);
    CHECK((*csv)[0].title == "Grind, size");
    CHECK((*csv)[1].title == "Single dosing");
    auto list = parse_site_pages("# mine\nhttps://s.example/x\n\nhttps://s.example/y\n", "l.txt");
    REQUIRE(list);
    CHECK(list->size() == 2);
    auto bad = parse_site_pages("url\nhttps://ok.example/\nnot a url\n", "p.csv");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.rfind("p.csv:3:", 0) == 0);
    const auto map = parse_sitemap(
        "<urlset><url><loc>https://s.example/a?x=1&amp;y=2</loc></url><url><loc><![CDATA["
        "https://s.example/b]]></loc></url></urlset>");
    CHECK_FALSE(map.is_index);
    CHECK(map.locations ==
          std::vector<std::string>{"https://s.example/a?x=1&y=2", "https://s.example/b"});
    CHECK(parse_sitemap("<sitemapindex><sitemap><loc>x</loc></sitemap></sitemapindex>").is_index);
}

TEST_CASE("links go at natural anchors in body text, never in headings or other links",
          "[pipeline]") {
    std::string md =
        "# Grind size\n\nA [grind size](https://a.example) link. Then the grind size chart "
        "matters.\n\n## Grind size chart\n";
    REQUIRE(insert_link(md, "grind size chart", "https://me.example/chart"));
    CHECK(md.find("the [grind size chart](https://me.example/chart) matters") != std::string::npos);
    CHECK(md.find("## Grind size chart") != std::string::npos);
    CHECK_FALSE(insert_link(md, "no such words", "https://me.example/x"));
    std::string partial = "Grinders grind.\n";
    REQUIRE(insert_link(partial, "grind", "https://x.example"));
    CHECK(partial == "Grinders [grind](https://x.example).\n");  // "Grinders" is not "grind"
}

TEST_CASE("the final article gets citations after their sentences and a reference list",
          "[pipeline]") {
    const json draft = {{"markdown", "# T\n\nBurrs matter. Heat changes taste.\n"}};
    const json refs = {{"sources",
                        {{{"n", 1},
                          {"url", "https://lab.example/heat"},
                          {"title", "Heat [study]"},
                          {"host", "lab.example"},
                          {"sentence", "Heat changes taste."}}}}};
    const json links = {{"links", {{{"url", "https://me.example/burrs"}, {"anchor", "Burrs"}}}}};
    const std::string md = compose_markdown(draft, refs, links);
    CHECK(md ==
          "# T\n\n[Burrs](https://me.example/burrs) matter. Heat changes taste. "
          "[[1]](https://lab.example/heat)\n\n## References\n\n1. [Heat  study](https://"
          "lab.example/heat) \xE2\x80\x94 lab.example\n");
    const std::string page = html_document({{"title", "T"},
                                            {"meta_description", "d <b>"},
                                            {"faq", {{{"q", "Q?"}, {"a", "</script>"}}}}},
                                           "<p>x</p>");
    CHECK(page.find("<meta name=\"description\" content=\"d &lt;b&gt;\">") != std::string::npos);
    CHECK(page.find("\"FAQPage\"") != std::string::npos);
    CHECK(page.find("</script>\"") == std::string::npos);  // cannot close the JSON-LD early
}

TEST_CASE("similarity ranks related passages above unrelated ones", "[pipeline]") {
    const auto page = content_terms("Burr grinder maintenance guide");
    CHECK(similarity(page, content_terms("Brush the burrs of your grinder every week.")) >
          similarity(page, content_terms("Milk froths best when cold.")));
    CHECK(similarity({}, page) == 0.0);
}
