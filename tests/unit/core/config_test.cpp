#include <catch2/catch.hpp>

#include "core/config.hpp"

using namespace sota::core;

TEST_CASE("every default in the config table parses and every key handle names a row", "[config]") {
    const Config config;
    for (const auto& spec : config_schema()) {
        CHECK(config.entry(spec.name).origin.layer == Layer::defaults);
    }
    for (const auto name : {keys::log_level.name,
                            keys::log_format.name,
                            keys::color.name,
                            keys::llm_provider.name,
                            keys::llm_model.name,
                            keys::openai_base_url.name,
                            keys::anthropic_base_url.name,
                            keys::gemini_base_url.name,
                            keys::openai_compatible_base_url.name,
                            keys::serper_base_url.name,
                            keys::http_connect_timeout.name,
                            keys::http_request_timeout.name,
                            keys::http_stream_idle_timeout.name,
                            keys::http_max_response_size.name,
                            keys::serp_gl.name,
                            keys::serp_hl.name,
                            keys::serp_num.name,
                            keys::web_allow_private.name,
                            keys::web_respect_robots.name,
                            keys::web_max_redirects.name,
                            keys::web_timeout.name,
                            keys::web_max_page_size.name,
                            keys::wordpress_url.name,
                            keys::wordpress_user.name}) {
        INFO(name);
        CHECK(find_key(name) != nullptr);
    }
    // Typed reads of every type work on the defaults.
    CHECK(config.get(keys::http_connect_timeout).count() == 10'000);
    CHECK(config.get(keys::http_max_response_size) == 32LL << 20);
    CHECK_FALSE(config.get(keys::web_allow_private));
    CHECK(config.get(keys::log_level) == "info");
}

TEST_CASE("later layers override earlier ones and record where they came from", "[config]") {
    Config config;
    REQUIRE(config.set("log.level", RawValue{std::string("warn")},
                       {Layer::system_file, "/etc/sota/config.toml:2"}));
    REQUIRE(config.set("log.level", RawValue{std::string("debug")},
                       {Layer::user_file, "/home/u/c.toml:5"}));
    CHECK(config.get(keys::log_level) == "debug");
    CHECK(config.entry("log.level").origin.where == "/home/u/c.toml:5");
    CHECK(config.entry("log.level").origin.layer == Layer::user_file);

    auto unknown = config.apply_environment(
        {{"SOTA_LOG_LEVEL", "error"}, {"SOTA_HOME", "/x"}, {"SOTA_NOPE", "1"}, {"PATH", "/bin"}},
        {"SOTA_HOME"});
    REQUIRE(unknown);
    CHECK(*unknown == std::vector<std::string>{"SOTA_NOPE"});
    CHECK(config.get(keys::log_level) == "error");
    CHECK(config.entry("log.level").origin.where == "SOTA_LOG_LEVEL");
}

TEST_CASE("unknown keys and bad values are refused with the key, the origin and a fix",
          "[config]") {
    Config config;
    auto typo = config.set("log.levle", RawValue{std::string("x")}, {Layer::user_file, "c.toml:3"});
    REQUIRE_FALSE(typo);
    CHECK(typo.error().code == "config.unknown_key");
    CHECK(typo.error().message.find("c.toml:3") != std::string::npos);
    CHECK(typo.error().message.find("did you mean 'log.level'") != std::string::npos);

    auto bad_choice = config.set("log.format", RawValue{std::string("xml")},
                                 {Layer::environment, "SOTA_LOG_FORMAT"});
    REQUIRE_FALSE(bad_choice);
    CHECK(bad_choice.error().kind == ErrorKind::config);
    CHECK(bad_choice.error().message.find("SOTA_LOG_FORMAT") != std::string::npos);
    CHECK(bad_choice.error().message.find("text, json") != std::string::npos);

    auto wrong_type =
        config.set("color", RawValue{std::int64_t{3}}, {Layer::user_file, "c.toml:9"});
    REQUIRE_FALSE(wrong_type);
    CHECK(wrong_type.error().message.find("expects a choice") != std::string::npos);

    auto flag = config.set("color", RawValue{std::string("purple")}, {Layer::flags, "--color"});
    REQUIRE_FALSE(flag);
    CHECK(flag.error().kind == ErrorKind::usage);
    CHECK(config.get(keys::color) == "auto");  // nothing changed
}

TEST_CASE("ranges are enforced in the key's own units", "[config]") {
    Config config;
    auto low =
        config.set("http.connect_timeout", RawValue{std::string("10ms")}, {Layer::flags, "--set"});
    REQUIRE_FALSE(low);
    CHECK(low.error().code == "config.out_of_range");
    CHECK(low.error().message.find("at least 100ms and at most 5m") != std::string::npos);
    CHECK(config.set("serp.num", RawValue{std::string("20")}, {Layer::flags, "--set"}));
    CHECK_FALSE(config.set("serp.num", RawValue{std::string("0")}, {Layer::flags, "--set"}));
    CHECK(config.set("web.allow_private", RawValue{std::string("yes")},
                     {Layer::environment, "SOTA_WEB_ALLOW_PRIVATE"}));
    CHECK(config.get(keys::web_allow_private));
    CHECK_FALSE(
        config.set("web.allow_private", RawValue{std::string("yes")}, {Layer::user_file, "f:1"}));
}

TEST_CASE("base URLs are http or https URLs with a host", "[config]") {
    Config config;
    for (const std::string key :
         {"providers.openai.base_url", "providers.anthropic.base_url", "providers.gemini.base_url",
          "providers.openai_compatible.base_url", "providers.serper.base_url", "wordpress.url",
          "site.url"}) {
        INFO(key);
        for (const std::string bad :
             {"ftp://api.example.com/v1", "file:///etc/passwd", "FILE:///etc/passwd", "gopher://x",
              "api.example.com/v1", "https://", "http:///v1"}) {
            INFO(bad);
            auto refused = config.set(key, RawValue{bad}, {Layer::user_file, "c.toml:4"});
            REQUIRE_FALSE(refused);
            CHECK(refused.error().kind == ErrorKind::config);
            CHECK(refused.error().message.find(key) != std::string::npos);
            CHECK(refused.error().message.find("c.toml:4") != std::string::npos);
        }
        CHECK(config.set(key, RawValue{std::string("https://api.example.com/v1")},
                         {Layer::user_file, "c.toml:5"}));
        CHECK(config.set(key, RawValue{std::string("HTTP://127.0.0.1:8080")},
                         {Layer::flags, "--set"}));
    }
    // Optional URLs may be left empty; a provider's base URL may not.
    CHECK(config.set("wordpress.url", RawValue{std::string()}, {Layer::flags, "--set"}));
    CHECK_FALSE(
        config.set("providers.openai.base_url", RawValue{std::string()}, {Layer::flags, "--set"}));
}

TEST_CASE("durations and sizes parse in every documented form", "[config]") {
    CHECK(parse_duration("250ms")->count() == 250);
    CHECK(parse_duration("30s")->count() == 30'000);
    CHECK(parse_duration("1.5s")->count() == 1'500);
    CHECK(parse_duration("5m")->count() == 300'000);
    CHECK(parse_duration("1h30m")->count() == 5'400'000);
    CHECK(parse_duration("7d")->count() == 604'800'000);
    CHECK(parse_duration("45")->count() == 45'000);
    CHECK_FALSE(parse_duration("soon"));
    CHECK_FALSE(parse_duration("5 parsecs"));
    CHECK_FALSE(parse_duration("-3"));
    CHECK(*parse_size("512") == 512);
    CHECK(*parse_size("64KiB") == 65'536);
    CHECK(*parse_size("32MiB") == 33'554'432);
    CHECK(*parse_size("2MB") == 2'000'000);
    CHECK_FALSE(parse_size("lots"));
    CHECK(format_value(ValueType::duration, std::chrono::milliseconds(5'400'000)) == "1h30m");
    CHECK(format_value(ValueType::duration, std::chrono::milliseconds(250)) == "250ms");
    CHECK(format_value(ValueType::size, std::int64_t{33'554'432}) == "32MiB");
}

TEST_CASE("environment variable names follow the key names", "[config]") {
    CHECK(env_var_for_key("log.level") == "SOTA_LOG_LEVEL");
    CHECK(env_var_for_key("color") == "SOTA_COLOR");
}
