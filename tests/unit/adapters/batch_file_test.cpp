#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>

#include "adapters/batch_file.hpp"
#include "core/api/batch_rows.hpp"

using namespace sota;
using adapters::BatchRow;

namespace {

core::Expected<std::vector<BatchRow>> read(const std::string& text) {
    std::istringstream in(text);
    std::vector<BatchRow> rows;
    auto ok = adapters::read_batch(in, "k.csv", [&](BatchRow row) {
        rows.push_back(std::move(row));
        return true;
    });
    if (!ok) {
        return core::fail(ok.error());
    }
    return rows;
}

}  // namespace

TEST_CASE("batch CSV: quotes, commas, quotes and newlines in fields, CRLF and a BOM", "[batch]") {
    auto rows = read(
        "\xEF\xBB\xBFKeyword,Audience,Note\r\n"
        "\"grinder, burr\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n"
        "plain,x,y\r\n");
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].fields.at("keyword") == "grinder, burr");
    CHECK((*rows)[0].fields.at("audience") == "say \"hi\"");
    CHECK((*rows)[0].fields.at("note") == "two\r\nlines");
    CHECK((*rows)[0].line == 2);
    CHECK((*rows)[1].line == 4);  // the quoted newline made row 1 two lines long
    CHECK((*rows)[1].fields.at("keyword") == "plain");
}

TEST_CASE("batch CSV: LF, blank lines, empty fields, ragged and empty files", "[batch]") {
    auto rows = read("keyword,model\nfirst,\n\nsecond,gpt-4o\n\n");
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].fields.at("model").empty());
    CHECK((*rows)[1].fields.at("model") == "gpt-4o");
    CHECK((*rows)[1].line == 4);
    auto ragged = read("keyword\na,b\n");
    REQUIRE_FALSE(ragged);
    CHECK(ragged.error().message.rfind("k.csv:2:3: 2 fields but the header has 1", 0) == 0);
    auto empty = read("");
    REQUIRE_FALSE(empty);
    CHECK(empty.error().code == "batch.empty");
}

namespace {

/// The message of the first problem reading `text` (or "" when it reads).
std::string problem(const std::string& text) {
    auto rows = read(text);
    return rows ? std::string() : rows.error().message;
}

}  // namespace

TEST_CASE("strict CSV: every malformed file is refused with FILE:LINE:COLUMN and the fix",
          "[batch]") {
    // A quote never closed used to swallow every following row into one field.
    CHECK(problem("keyword,audience\n\"best grinder,x\nsecond,y\nthird,z\n") ==
          "k.csv:2:1: the quoted field that starts here is never closed (it runs to the end of "
          "the file, taking every row after it); add the closing quote, and double each quote "
          "inside the field (\"\")");
    CHECK(
        problem("keyword,audience\n\"best\" grinder,x\n")
            .rfind(
                "k.csv:2:7: text after the closing quote of a field; put the whole field in quotes "
                "and double each quote inside it",
                0) == 0);
    CHECK(problem("keyword,audience\n12\" grinder,x\n")
              .rfind("k.csv:2:3: a quote inside a field that does not start with one", 0) == 0);
    // Fewer fields than the header used to be padded silently.
    CHECK(problem("keyword,audience,tone\nbest grinder,baristas\n") ==
          "k.csv:2:22: 2 fields but the header has 3; add the missing field (tone), an empty one "
          "as nothing between two commas");
    // Invalid UTF-8 used to end in "internal error ... This is a bug".
    CHECK(problem("keyword,audience\ncaf\xE9 grinder,x\n") ==
          "k.csv:2:4: this is not UTF-8 (byte 0xE9); save the file as UTF-8 (in a spreadsheet: "
          "CSV UTF-8)");
    CHECK(problem("keyword\ncaf\xC3").rfind("k.csv:2:4: the file ends inside a UTF-8", 0) == 0);
    CHECK(problem("keyword,Audience,audience\nx,y,z\n") ==
          "k.csv:1: the header names column 'audience' twice (columns 2 and 3); rename or remove "
          "one");
    CHECK(problem("key\"word\nx\n").find("(in the header row)") != std::string::npos);
    // What is fine stays fine: UTF-8, doubled quotes, CRLF, a quoted empty field.
    auto fine = read("keyword,note\r\ncaf\xC3\xA9 cr\xE2\x82\xAC me,\"\"\"ok\"\"\"\r\n\"\",x\r\n");
    REQUIRE(fine);
    REQUIRE(fine->size() == 2);
    CHECK((*fine)[0].fields.at("note") == "\"ok\"");
    CHECK((*fine)[1].fields.at("keyword").empty());
}

TEST_CASE("strict CSV: bad rows can be listed and skipped while the rest is read", "[batch]") {
    std::istringstream in(
        "keyword,audience\n"
        "first,a\n"
        "\"second\"x,b\n"
        "third\n"
        "caf\xE9,c\n"
        "fourth,\"multi\nline\"\n"
        "fifth,e,extra\n"
        "sixth,f\n");
    std::vector<BatchRow> rows;
    std::vector<adapters::BadRow> bad;
    auto ok = adapters::read_batch(
        in, "k.csv",
        [&](BatchRow row) {
            rows.push_back(std::move(row));
            return true;
        },
        [&](adapters::BadRow row) { bad.push_back(std::move(row)); });
    REQUIRE(ok);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].fields.at("keyword") == "first");
    CHECK(rows[1].fields.at("audience") == "multi\nline");
    CHECK(rows[2].line == 9);
    REQUIRE(bad.size() == 4);
    CHECK(bad[0].line == 3);
    CHECK(bad[0].message.rfind("k.csv:3:9: text after the closing quote", 0) == 0);
    CHECK(bad[1].message.rfind("k.csv:4:6: 1 fields but the header has 2", 0) == 0);
    CHECK(bad[2].message.rfind("k.csv:5:4: this is not UTF-8", 0) == 0);
    CHECK(bad[3].message.rfind("k.csv:8:9: 3 fields but the header has 2", 0) == 0);
}

TEST_CASE("batch files may be JSON lines", "[batch]") {
    auto rows = read("{\"keyword\": \"espresso\", \"priority\": 5}\n\n{\"Keyword\": \"burr\"}\n");
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].fields.at("priority") == "5");
    CHECK((*rows)[1].line == 3);
    CHECK((*rows)[1].fields.at("keyword") == "burr");
    auto bad = read("{\"keyword\": \"a\"}\nnot json\n");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.rfind("k.csv:2:1: not a JSON object", 0) == 0);
    auto latin1 = read("{\"keyword\": \"caf\xE9\"}\n");
    REQUIRE_FALSE(latin1);
    CHECK(latin1.error().message.rfind("k.csv:1:17: this is not UTF-8 (byte 0xE9)", 0) == 0);
    auto empty = read("{\"keyword\": \"a\", \"tone\": null}\n");
    REQUIRE(empty);
    CHECK((*empty)[0].fields.at("tone").empty());
}

TEST_CASE("a 100,000-row batch file streams row by row", "[batch]") {
    std::string text = "keyword,audience\n";
    for (int i = 0; i < 100'000; ++i) {
        text +=
            "\"keyword number " + std::to_string(i) + "\",\"readers, " + std::to_string(i) + "\"\n";
    }
    std::istringstream in(text);
    std::size_t count = 0;
    std::size_t last_line = 0;
    auto ok = adapters::read_batch(in, "big.csv", [&](BatchRow row) {
        ++count;
        last_line = row.line;
        return true;
    });
    REQUIRE(ok);
    CHECK(count == 100'000);
    CHECK(last_line == 100'001);
}

TEST_CASE("batch rows become jobs with content-derived idempotency keys", "[batch]") {
    core::api::RowDefaults defaults{"seo_focused", "", "standard"};
    std::string column;
    auto job = core::api::row_to_job(
        {{"keyword", " best grinder "}, {"priority", "5"}, {"audience", "baristas"}}, defaults,
        &column);
    REQUIRE(job);
    CHECK((*job)["keyword"] == "best grinder");
    CHECK((*job)["workflow"] == "seo_focused");
    CHECK((*job)["priority"] == 5);
    CHECK((*job)["fields"]["audience"] == "baristas");
    auto same = core::api::row_to_job(
        {{"keyword", "best grinder"}, {"priority", "5"}, {"audience", "baristas"}}, defaults,
        nullptr);
    CHECK((*same)["idempotency_key"] == (*job)["idempotency_key"]);
    auto bad = core::api::row_to_job({{"keyword", "best grinder"}, {"priority", "high"}}, defaults,
                                     &column);
    REQUIRE_FALSE(bad);
    CHECK(column == "priority");
    CHECK(bad.error().message == "priority: must be a whole number, got 'high'");
    CHECK_FALSE(
        core::api::row_to_job({{"mode", "refresh"}, {"keyword", "grinders"}}, defaults, &column));
    // An empty template field is "", not absent; an empty job column takes the default.
    auto blank = core::api::row_to_job(
        {{"keyword", "best grinder"}, {"tone", ""}, {"workflow", ""}}, defaults, &column);
    REQUIRE(blank);
    CHECK((*blank)["fields"]["tone"] == "");
    CHECK((*blank)["workflow"] == "seo_focused");
}
