#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "adapters/curl_http_client.hpp"
#include "core/serp.hpp"
#include "tests/support/fake_providers.hpp"

using namespace sota;
using test::FakeMode;

TEST_CASE("Serper search returns organic results, questions, related searches and credits",
          "[serp]") {
    test::FakeHttpServer server;
    auto fake = std::make_shared<test::FakeSerp>();
    fake->site = "http://127.0.0.1:9";
    test::install_serper(server, fake);
    adapters::CurlHttpClient http;
    core::SerpClient client(http, {server.base_url(), fake->api_key});

    auto r = client.search_sync({"espresso grinder", "de", "de", 10, 1});
    REQUIRE(r);
    CHECK(r->query == "espresso grinder");
    CHECK(r->organic.size() == 5);
    CHECK(r->organic[0].position == 1);
    CHECK(r->organic[0].link == "http://127.0.0.1:9/article/1");
    CHECK(r->people_also_ask.size() == 2);
    CHECK(r->related_searches.size() == 3);
    REQUIRE(r->answer_box);
    CHECK(r->credits == 1);
    const auto sent = nlohmann::json::parse(server.requests().back().body);
    CHECK(sent["gl"] == "de");
    CHECK(server.requests().back().header("x-api-key") == fake->api_key);

    auto page2 = client.search_sync({"espresso grinder", "us", "en", 10, 2});
    REQUIRE(page2);
    CHECK(page2->organic[0].position == 6);
    CHECK_FALSE(page2->answer_box);
}

TEST_CASE("Serper errors: bad key, credits exhausted, rate limit", "[serp]") {
    test::FakeHttpServer server;
    auto fake = std::make_shared<test::FakeSerp>();
    test::install_serper(server, fake);
    adapters::CurlHttpClient http;

    core::SerpClient wrong_key(http, {server.base_url(), "nope-nope"});
    auto auth = wrong_key.search_sync({"q"});
    REQUIRE_FALSE(auth);
    CHECK(auth.error().kind == core::ErrorKind::credentials);
    CHECK(auth.error().message.find("Unauthorized.") != std::string::npos);

    core::SerpClient client(http, {server.base_url(), fake->api_key});
    fake->script = {FakeMode::quota, FakeMode::rate_limited, FakeMode::malformed_json};
    auto credits = client.search_sync({"q"});
    REQUIRE_FALSE(credits);
    CHECK(credits.error().kind == core::ErrorKind::billing);
    CHECK_FALSE(credits.error().retryable);
    auto limited = client.search_sync({"q"});
    REQUIRE_FALSE(limited);
    CHECK(limited.error().retryable);
    CHECK(limited.error().retry_after->count() == 2000);
    auto garbage = client.search_sync({"q"});
    REQUIRE_FALSE(garbage);
    CHECK(garbage.error().code == "provider.malformed");
}
