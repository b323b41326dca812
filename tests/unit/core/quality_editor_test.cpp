// The editor checks: repeated text, template filler, doubled words, citations.

#include <catch2/catch.hpp>

#include "core/quality/validator.hpp"

using namespace sota::core::quality;

namespace {

const CheckResult* find(const QualityReport& r, const std::string& id) {
    for (const auto& c : r.checks) {
        if (c.id == id) {
            return &c;
        }
    }
    return nullptr;
}

QualityReport analyze(const std::string& markdown, std::vector<SourceInfo> sources = {}) {
    QualityInput in;
    in.keyword = "espresso grinder";
    in.markdown = markdown;
    in.sources = std::move(sources);
    return validate(in);
}

// The defects a validator once let through: three FAQ questions sharing one answer, every H2
// opening with one template sentence with a doubled word, a citation on a sentence its source
// does not support.
const char* k_defective =
    "# Espresso grinder guide\n\n"
    "An espresso grinder decides how your shots taste.\n\n"
    "## What to Look For\n\n"
    "Here is what What to Look For means for your espresso grinder. Burr size matters.\n\n"
    "## Burr Types Compared\n\n"
    "Here is what Burr Types Compared means for your espresso grinder. Flat burrs are even.\n\n"
    "## How Much to Spend\n\n"
    "Here is what How Much to Spend means for your espresso grinder. Most spend 40% of the "
    "budget on it.\n\n"
    "Milk frothing needs a steam wand with enough pressure. [1]\n\n"
    "## FAQ\n\n"
    "### Which grinder should a beginner buy?\n\n"
    "Choose a burr grinder with stepless adjustment and low retention. It gives you even "
    "grounds.\n\n"
    "### How much should I spend?\n\n"
    "Choose a burr grinder with stepless adjustment and low retention. It gives you even "
    "grounds.\n\n"
    "### Do I need a burr grinder?\n\n"
    "Choose a burr grinder with stepless adjustment and low retention. It gives you even "
    "grounds.\n\n"
    "## References\n\n"
    "1. [Particle size distribution in espresso grinding](https://lab.example/psd)\n";

}  // namespace

TEST_CASE("the editor checks catch the defects a plugin misses, each with a fix",
          "[quality][editor]") {
    const auto r = analyze(k_defective);
    for (const char* id : {"duplicate_faq_answers", "template_filler", "doubled_words",
                           "citation_support", "uncited_numbers"}) {
        INFO(id);
        const auto* c = find(r, id);
        REQUIRE(c != nullptr);
        CHECK(c->category == Category::editor);
        CHECK_FALSE(c->yoast);
        CHECK(c->verdict != Verdict::pass);
        CHECK_FALSE(c->fix.empty());
    }
    CHECK(find(r, "duplicate_faq_answers")->detail.find("share an answer") != std::string::npos);
    CHECK(find(r, "template_filler")->detail.find("3 sections open with the same words") !=
          std::string::npos);
    CHECK(find(r, "doubled_words")->fix.find("\"what what\"") != std::string::npos);
    CHECK(find(r, "citation_support")->fix.find("Milk frothing") != std::string::npos);
    CHECK(find(r, "uncited_numbers")->detail.find("40%") != std::string::npos);
    // The FAQ duplicates are reported as FAQ answers, not as repeated paragraphs only.
    CHECK(find(r, "duplicate_text")->verdict == Verdict::fail);
}

TEST_CASE("clean text passes the editor checks", "[quality][editor]") {
    const auto r = analyze(
        "# Espresso grinder guide\n\n"
        "An espresso grinder decides how your shots taste.\n\n"
        "## Burrs\n\n"
        "Flat burrs give even particles, a lab found. [1]\n\n"
        "## Budget\n\n"
        "Spend on the grinder before the machine.\n\n"
        "## FAQ\n\n### Is a hand grinder enough?\n\nYes, for one or two cups a day a good hand "
        "grinder does the job.\n\n### Do burrs wear out?\n\nSteel burrs last for years of home "
        "use before they need replacing.\n\n"
        "## References\n\n1. [Flat burrs and particle evenness](https://lab.example/flat)\n");
    for (const char* id :
         {"duplicate_text", "duplicate_faq_answers", "template_filler", "doubled_words",
          "citation_support", "citation_order", "uncited_numbers"}) {
        INFO(id);
        REQUIRE(find(r, id) != nullptr);
        CHECK(find(r, id)->verdict == Verdict::pass);
    }
}

TEST_CASE("near-duplicate paragraphs and repeated sentences are found", "[quality][editor]") {
    const std::string para =
        "Grind size changes extraction more than any other variable you control at home, "
        "so adjust it first and change one thing at a time.";
    auto r = analyze(
        "# T\n\n" + para + "\n\n## B\n\n" + para +
        " Really.\n\n## C\n\nThe dose matters too and should be weighed.\n\n"
        "## D\n\nAnother part covers storage, bags, valves and the freezer in some detail. The "
        "dose matters too and should be weighed.\n");
    const auto* dup = find(r, "duplicate_text");
    REQUIRE(dup != nullptr);
    CHECK(dup->verdict == Verdict::fail);
    CHECK(dup->fix.find("repeats an earlier one") != std::string::npos);
    CHECK(dup->fix.find("appears more than once") != std::string::npos);
}

TEST_CASE("references must be numbered in the order they are first cited", "[quality][editor]") {
    const std::vector<SourceInfo> sources = {
        {1, "https://a.example", "Burr temperature and extraction", ""},
        {2, "https://b.example", "Grinder retention measured", ""}};
    const auto r = analyze(
        "Grinder retention was measured across models. [2] Burr temperature changes extraction. "
        "[1]\n",
        sources);
    const auto* order = find(r, "citation_order");
    REQUIRE(order != nullptr);
    CHECK(order->verdict == Verdict::warn);
    CHECK(order->detail == "first cited in the order 2, 1");
    CHECK(find(r, "citation_support")->verdict == Verdict::pass);

    // A citation of a number the references do not list is unsupported.
    const auto missing = analyze("Burr temperature changes extraction. [3]\n", sources);
    CHECK(find(missing, "citation_support")->fix.find("[3] is not in the references") !=
          std::string::npos);
}
