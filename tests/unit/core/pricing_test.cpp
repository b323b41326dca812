#include <catch2/catch.hpp>

#include "core/pricing.hpp"

using namespace sota::core;

TEST_CASE("built-in prices load, patterns match, and cost counts cached input at its own rate",
          "[pricing]") {
    PriceTable table = PriceTable::built_in();
    REQUIRE(table.find("gpt-4o-mini"));
    CHECK(table.find("gpt-4o-mini")->input == Approx(0.15));
    CHECK(table.find("claude-sonnet-4-5-20250929")->output ==
          Approx(15.0));  // pattern claude-sonnet-4*
    CHECK_FALSE(table.find("unknown-model"));
    CHECK_FALSE(table.cost("unknown-model", {100, 0, 100}));

    // 1M uncached input at 0.15 + 1M output at 0.60
    CHECK(*table.cost("gpt-4o-mini", {1'000'000, 0, 1'000'000}) == Approx(0.75));
    REQUIRE(table.set("gpt-4o-mini", {0.15, 0.60, 0.075, "2026-11-01", "test"}));
    // half the input cached at half price
    CHECK(*table.cost("gpt-4o-mini", {1'000'000, 500'000, 0}) == Approx(0.1125));
}

TEST_CASE("price rows are validated", "[pricing]") {
    PriceTable table;
    CHECK_FALSE(table.set("m", {-1, 1, std::nullopt, "2026-01-01", "f:1"}));
    auto no_date = table.set("m", {1, 1, std::nullopt, "", "f:3"});
    REQUIRE_FALSE(no_date);
    CHECK(no_date.error().message.find("f:3") != std::string::npos);
    CHECK_FALSE(table.set("m", {1, 1, std::nullopt, "26-1-1", "f:1"}));
    CHECK(table.set("m", {1, 2, std::nullopt, "2026-01-01", "f:1"}));
}
