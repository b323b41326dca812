#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "adapters/config_file.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;
using sota::test::read_text;
using sota::test::TempHome;
using sota::test::write_text;

TEST_CASE("a TOML file sets keys with FILE:LINE provenance", "[config_file]") {
    TempHome home;
    const auto file = home.path() / "config.toml";
    write_text(file, "# my settings\ncolor = \"never\"\n\n[log]\nlevel = \"debug\"\n");
    core::Config config;
    REQUIRE(adapters::load_config_file(file, core::Layer::user_file, config));
    CHECK(config.get(core::keys::color) == "never");
    CHECK(config.get(core::keys::log_level) == "debug");
    CHECK(config.entry("log.level").origin.where == file.string() + ":5");
}

TEST_CASE("a missing file is no error, and syntax errors and unknown keys name file and line",
          "[config_file]") {
    TempHome home;
    core::Config config;
    CHECK(adapters::load_config_file(home.path() / "absent.toml", core::Layer::user_file, config));

    const auto broken = home.path() / "broken.toml";
    write_text(broken, "[log]\nlevel = \"debug\n");
    auto syntax = adapters::load_config_file(broken, core::Layer::user_file, config);
    REQUIRE_FALSE(syntax);
    CHECK(syntax.error().code == "config.syntax");
    CHECK(syntax.error().message.find(broken.string() + ":2") != std::string::npos);

    const auto unknown = home.path() / "unknown.toml";
    write_text(unknown, "[log]\n\nlevl = \"debug\"\n");
    auto bad = adapters::load_config_file(unknown, core::Layer::user_file, config);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find(unknown.string() + ":3") != std::string::npos);
    CHECK(bad.error().message.find("log.levl") != std::string::npos);
    CHECK(bad.error().message.find("did you mean 'log.level'") != std::string::npos);

    const auto typed = home.path() / "typed.toml";
    write_text(typed, "[log]\nformat = 7\n");
    auto type_error = adapters::load_config_file(typed, core::Layer::user_file, config);
    REQUIRE_FALSE(type_error);
    CHECK(type_error.error().message.find(typed.string() + ":2") != std::string::npos);
}

TEST_CASE("config set rewrites one line and keeps every comment", "[config_file]") {
    TempHome home;
    const auto file = home.path() / "cfg" / "config.toml";
    const std::string original =
        "# top comment\n"
        "color = \"never\"  # keep me\n"
        "\n"
        "[log]\n"
        "# how loud\n"
        "level = \"info\" # trailing\n";
    write_text(file, original);
    REQUIRE(adapters::set_config_file_key(file, "log.level", "debug"));
    CHECK(read_text(file) ==
          "# top comment\n"
          "color = \"never\"  # keep me\n"
          "\n"
          "[log]\n"
          "# how loud\n"
          "level = \"debug\" # trailing\n");

    REQUIRE(adapters::set_config_file_key(file, "log.format", "json"));
    CHECK(read_text(file).find("level = \"debug\" # trailing\nformat = \"json\"\n") !=
          std::string::npos);

    REQUIRE(adapters::set_config_file_key(file, "color", "always"));
    CHECK(read_text(file).find("color = \"always\"  # keep me\n") != std::string::npos);

    REQUIRE(adapters::unset_config_file_key(file, "log.format"));
    CHECK(read_text(file).find("format") == std::string::npos);
    CHECK(read_text(file).find("# how loud") != std::string::npos);
}

TEST_CASE("config set creates the file and tables it needs", "[config_file]") {
    TempHome home;
    const auto file = home.path() / "new" / "config.toml";
    REQUIRE(adapters::set_config_file_key(file, "log.level", "warn"));
    REQUIRE(adapters::set_config_file_key(file, "color", "never"));
    CHECK(read_text(file) == "color = \"never\"\n\n[log]\nlevel = \"warn\"\n");
    core::Config config;
    REQUIRE(adapters::load_config_file(file, core::Layer::user_file, config));
    CHECK(config.get(core::keys::log_level) == "warn");
}

TEST_CASE("config set writes any text as a TOML string that reads back the same", "[config_file]") {
    TempHome home;
    const auto file = home.path() / "config.toml";
    // Quotes, backslashes, tabs, and control characters TOML refuses raw, DEL among them.
    const std::string value = "a\"b\\c\td\x01e\x7f f";
    REQUIRE(adapters::set_config_file_key(file, "http.record", value));
    core::Config config;
    REQUIRE(adapters::load_config_file(file, core::Layer::user_file, config));
    CHECK(config.get(core::Key<std::string>{"http.record"}) == value);
}

TEST_CASE("config set refuses a bad value and leaves the file untouched", "[config_file]") {
    TempHome home;
    const auto file = home.path() / "config.toml";
    write_text(file, "[log]\nlevel = \"info\"\n");
    auto status = adapters::set_config_file_key(file, "log.level", "shouting");
    REQUIRE_FALSE(status);
    CHECK(status.error().kind == core::ErrorKind::usage);
    CHECK(status.error().message.find("trace, debug, info") != std::string::npos);
    CHECK(read_text(file) == "[log]\nlevel = \"info\"\n");

    write_text(file, "[log\nbroken");
    auto broken = adapters::set_config_file_key(file, "log.level", "debug");
    REQUIRE_FALSE(broken);
    CHECK(read_text(file) == "[log\nbroken");
}

TEST_CASE("[prices.MODEL] rows override built-in prices with file:line provenance",
          "[config_file]") {
    TempHome home;
    const auto file = home.path() / "config.toml";
    write_text(file,
               "[prices.\"gpt-4o-mini\"]\ninput = 0.2\noutput = 0.8\ndate = \"2026-11-20\"\n");
    core::Config config;
    REQUIRE(adapters::load_config_file(file, core::Layer::user_file, config));
    const auto price = config.prices().find("gpt-4o-mini");
    REQUIRE(price);
    CHECK(price->input == Approx(0.2));
    CHECK(price->origin == file.string() + ":1");
    CHECK(config.prices().find("gpt-4o")->origin == "built-in");

    write_text(file, "[prices.\"x\"]\ninput = 1\noutput = 2\nspeed = 3\ndate = \"2026-01-01\"\n");
    core::Config bad;
    auto status = adapters::load_config_file(file, core::Layer::user_file, bad);
    REQUIRE_FALSE(status);
    CHECK(status.error().message.find(file.string() + ":4") != std::string::npos);
}
