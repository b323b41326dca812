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

TEST_CASE("batch CSV: LF, short rows, blank lines, ragged and empty files", "[batch]") {
    auto rows = read("keyword,model\nfirst\nsecond,gpt-4o\n\n");
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].fields.at("model").empty());
    CHECK((*rows)[1].fields.at("model") == "gpt-4o");
    auto ragged = read("keyword\na,b\n");
    REQUIRE_FALSE(ragged);
    CHECK(ragged.error().message.rfind("k.csv:2: 2 fields but the header has 1", 0) == 0);
    auto empty = read("");
    REQUIRE_FALSE(empty);
    CHECK(empty.error().code == "batch.empty");
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
    CHECK(bad.error().message.rfind("k.csv:2:", 0) == 0);
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
}
