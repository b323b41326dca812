#include <catch2/catch.hpp>

#include "core/charset.hpp"
#include "core/robots.hpp"
#include "core/web_fetcher.hpp"

using namespace sota::core;

TEST_CASE("robots.txt: our group wins over *, longest rule wins, Allow on ties", "[robots]") {
    const std::string text =
        "User-agent: *\nDisallow: /\n\n"
        "User-agent: Googlebot\nUser-agent: SOTA\nDisallow: /private/\nAllow: /private/open$\n"
        "Disallow: /*.pdf$\nAllow: /tie\nDisallow: /tie\n";
    const auto rules = RobotsRules::parse(text, "sota");
    CHECK(rules.allowed("/article/1"));
    CHECK_FALSE(rules.allowed("/private/x"));
    CHECK(rules.allowed("/private/open"));
    CHECK_FALSE(rules.allowed("/private/open/more"));
    CHECK_FALSE(rules.allowed("/docs/a.pdf"));
    CHECK(rules.allowed("/docs/a.pdf?x=1"));
    CHECK(rules.allowed("/tie"));
    CHECK(rules.allowed("/robots.txt"));

    const auto other = RobotsRules::parse(text, "otherbot");
    CHECK_FALSE(other.allowed("/article/1"));
    CHECK(RobotsRules::parse("", "sota").allowed("/anything"));
    CHECK(RobotsRules::parse("User-agent: *\nDisallow:\n", "sota").allowed("/anything"));
    CHECK_FALSE(RobotsRules::disallow_all().allowed("/x"));
}

TEST_CASE("charsets are read from headers and meta tags and converted", "[charset]") {
    CHECK(charset_from_content_type("text/html; charset=ISO-8859-1") == "iso-8859-1");
    CHECK(charset_from_content_type("text/html") == "");
    CHECK(charset_from_html("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
                            "charset=Shift_JIS\">") == "shift_jis");
    CHECK(is_valid_utf8("caf\xc3\xa9"));
    CHECK_FALSE(is_valid_utf8("caf\xe9"));
    CHECK_FALSE(is_valid_utf8("\xc3"));
    CHECK(*to_utf8("caf\xe9", "iso-8859-1") == "café");
    CHECK(*to_utf8("caf\xe9", "") == "café");  // invalid UTF-8 without a charset: windows-1252
    CHECK_FALSE(to_utf8("x", "no-such-charset"));
}

TEST_CASE("URLs resolve against a base", "[web]") {
    CHECK(url_origin("https://a.example:8443/x/y?z") == "https://a.example:8443");
    CHECK(resolve_url("https://a.example/x/y", "/z") == "https://a.example/z");
    CHECK(resolve_url("https://a.example/x/y", "z") == "https://a.example/x/z");
    CHECK(resolve_url("https://a.example", "z") == "https://a.example/z");
    CHECK(resolve_url("https://a.example/x", "//b.example/q") == "https://b.example/q");
    CHECK(resolve_url("https://a.example/x", "http://c.example/") == "http://c.example/");
}
