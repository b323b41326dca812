#include <catch2/catch.hpp>

#include "adapters/curl_http_client.hpp"
#include "core/web_fetcher.hpp"
#include "tests/support/fake_site.hpp"

using namespace sota;

namespace {
core::WebFetchOptions loopback_allowed() {
    core::WebFetchOptions o;
    o.allow_private = true;  // the fake site lives on 127.0.0.1
    o.timeout = std::chrono::seconds(5);
    return o;
}
}  // namespace

TEST_CASE("pages are fetched, redirected by hand and decoded to UTF-8", "[web]") {
    test::FakeHttpServer site;
    test::install_site(site);
    adapters::CurlHttpClient http;
    core::WebFetcher fetcher(http, loopback_allowed());

    auto page = fetcher.fetch(site.base_url() + "/article/3");
    REQUIRE(page);
    CHECK(page->content_type == "text/html");
    CHECK(page->text.find("<h1>Best espresso grinder 3</h1>") != std::string::npos);

    auto moved = fetcher.fetch(site.base_url() + "/redirect");
    REQUIRE(moved);
    CHECK(moved->redirects == 1);
    CHECK(moved->url == site.base_url() + "/article/1");

    auto latin = fetcher.fetch(site.base_url() + "/latin1");
    REQUIRE(latin);
    CHECK(latin->charset == "iso-8859-1");
    CHECK(latin->text.find("Café crème à la façon") != std::string::npos);

    auto meta = fetcher.fetch(site.base_url() + "/meta-charset");
    REQUIRE(meta);
    CHECK(meta->charset == "windows-1252");
    CHECK(meta->text.find("\u201cquoted\u201d") != std::string::npos);

    CHECK(site.count("/robots.txt") == 1);  // fetched once per origin
}

TEST_CASE("robots.txt, content types, statuses and redirect loops are refused clearly", "[web]") {
    test::FakeHttpServer site;
    test::install_site(site);
    adapters::CurlHttpClient http;
    core::WebFetcher fetcher(http, loopback_allowed());

    auto private_page = fetcher.fetch(site.base_url() + "/private/page");
    REQUIRE_FALSE(private_page);
    CHECK(private_page.error().code == "web.robots");
    CHECK(site.count("/private/page") == 0);
    CHECK(fetcher.fetch(site.base_url() + "/blocked-for-sota").error().code == "web.robots");

    auto pdf = fetcher.fetch(site.base_url() + "/doc.pdf");
    REQUIRE_FALSE(pdf);
    CHECK(pdf.error().code == "web.unsupported_type");

    auto gone = fetcher.fetch(site.base_url() + "/gone");
    REQUIRE_FALSE(gone);
    CHECK(gone.error().code == "web.status");
    CHECK_FALSE(gone.error().retryable);
    auto error = fetcher.fetch(site.base_url() + "/error");
    REQUIRE_FALSE(error);
    CHECK(error.error().retryable);

    auto loop = fetcher.fetch(site.base_url() + "/loop");
    REQUIRE_FALSE(loop);
    CHECK(loop.error().code == "web.redirects");
    CHECK(site.count("/loop") == 6);  // the first request and 5 redirects

    core::WebFetchOptions ignore = loopback_allowed();
    ignore.respect_robots = false;
    core::WebFetcher rude(http, ignore);
    CHECK(rude.fetch(site.base_url() + "/private/page"));
}

TEST_CASE("the private-address guard refuses loopback unless allowed", "[web]") {
    test::FakeHttpServer site;
    test::install_site(site);
    adapters::CurlHttpClient http;
    core::WebFetchOptions guarded;
    guarded.timeout = std::chrono::seconds(5);
    core::WebFetcher fetcher(http, guarded);
    auto r = fetcher.fetch(site.base_url() + "/article/1");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "http.blocked_address");
    CHECK(r.error().message.find("127.0.0.1") != std::string::npos);
    CHECK(site.requests().empty());  // not even robots.txt reached the server
}

TEST_CASE("reference checks use HEAD and fall back to GET", "[web]") {
    test::FakeHttpServer site;
    test::install_site(site);
    adapters::CurlHttpClient http;
    core::WebFetcher fetcher(http, loopback_allowed());
    CHECK(*fetcher.check(site.base_url() + "/article/2") == 200);
    CHECK(*fetcher.check(site.base_url() + "/head-refused") == 200);
    CHECK(*fetcher.check(site.base_url() + "/gone") == 410);
}
