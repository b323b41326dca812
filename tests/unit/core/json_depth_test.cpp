#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "core/json_limits.hpp"
#include "core/provider_error.hpp"
#include "core/text.hpp"

using namespace sota::core;

namespace {

std::string nested(std::size_t depth, const std::string& inside = "1") {
    std::string text;
    for (std::size_t i = 0; i < depth; ++i) {
        text += i % 2 ? "{\"k\":" : "[";
    }
    text += inside;
    for (std::size_t i = depth; i-- > 0;) {
        text += i % 2 ? "}" : "]";
    }
    return text;
}

}  // namespace

TEST_CASE("parse_json reads up to k_max_json_depth levels and refuses deeper, in both parsers",
          "[text][json]") {
    // simdjson reads these; a 70-digit integer it does not take goes to nlohmann's parser.
    for (const std::string& inside : {std::string("1"), std::string(70, '9')}) {
        INFO(inside.size() << "-character number inside");
        const auto fits = read_json(nested(k_max_json_depth, inside));
        REQUIRE(fits);
        CHECK_FALSE(parse_json(nested(k_max_json_depth, inside)).is_discarded());

        const auto deeper = read_json(nested(k_max_json_depth + 1, inside));
        REQUIRE_FALSE(deeper);
        CHECK(deeper.error().code == "json.too_deep");
        CHECK(parse_json(nested(k_max_json_depth + 1, inside)).is_discarded());
    }
    // Far deeper: refused quickly, without recursion (100,000 levels overflowed the stack).
    for (const std::string& inside : {std::string("1"), std::string(70, '9')}) {
        const auto deep = read_json(nested(100'000, inside));
        REQUIRE_FALSE(deep);
        CHECK(deep.error().code == "json.too_deep");
    }
    const auto bad = read_json("{\"a\": [1, 2");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == "json.invalid");
}

TEST_CASE("json_depth counts brackets outside strings only", "[text][json]") {
    CHECK(json_depth("1", 10) == 0);
    CHECK(json_depth("[[{}]]", 10) == 3);
    CHECK(json_depth(R"({"a": "[[[[[[", "b": "\"{{{{"})", 10) == 1);
    CHECK(json_depth(std::string(50, '['), 10) == 11);  // stops once past the limit
}

TEST_CASE("a provider's error answer nested 100,000 deep is classified, not followed down",
          "[text][json]") {
    HttpResponse response;
    response.status = 500;
    response.body = nested(100'000);
    const Error error =
        classify_http_error(ProviderKind::openai, response, std::chrono::system_clock::now());
    CHECK(error.http_status == 500);
    CHECK(error.retryable);
}
