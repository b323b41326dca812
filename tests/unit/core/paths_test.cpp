#include <catch2/catch.hpp>

#include "core/paths.hpp"

using namespace sota::core;

TEST_CASE("XDG variables place config, state, cache and runtime", "[paths]") {
    const auto p = resolve_paths({{"HOME", "/home/u"},
                                  {"XDG_CONFIG_HOME", "/cfg"},
                                  {"XDG_STATE_HOME", "/st"},
                                  {"XDG_CACHE_HOME", "/ca"},
                                  {"XDG_RUNTIME_DIR", "/run/user/1000"}},
                                 1000);
    REQUIRE(p);
    CHECK(p->user_config_file() == "/cfg/sota/config.toml");
    CHECK(p->keys_file() == "/cfg/sota/keys.json");
    CHECK(p->database_file() == "/st/sota/sota.db");
    CHECK(p->cache_dir == "/ca/sota");
    CHECK(p->socket_file() == "/run/user/1000/sota/sotad.sock");
    CHECK_FALSE(p->runtime_is_fallback);
    CHECK(p->system_config_file == "/etc/sota/config.toml");
}

TEST_CASE("HOME defaults apply and relative XDG values are ignored, per the spec", "[paths]") {
    const auto p = resolve_paths({{"HOME", "/home/u"}, {"XDG_CONFIG_HOME", "relative/dir"}}, 42);
    REQUIRE(p);
    CHECK(p->config_dir == "/home/u/.config/sota");
    CHECK(p->state_dir == "/home/u/.local/state/sota");
    CHECK(p->cache_dir == "/home/u/.cache/sota");
    CHECK(p->runtime_dir == "/tmp/sota-42");
    CHECK(p->runtime_is_fallback);
}

TEST_CASE("SOTA_HOME moves every path, including the system file", "[paths]") {
    const auto p = resolve_paths(
        {{"HOME", "/home/u"}, {"SOTA_HOME", "/tmp/h"}, {"XDG_CONFIG_HOME", "/cfg"}}, 1);
    REQUIRE(p);
    CHECK(p->config_dir == "/tmp/h/config");
    CHECK(p->state_dir == "/tmp/h/state");
    CHECK(p->cache_dir == "/tmp/h/cache");
    CHECK(p->runtime_dir == "/tmp/h/run");
    CHECK(p->system_config_file == "/tmp/h/etc/config.toml");
}

TEST_CASE("no usable HOME is a config error that names the fix", "[paths]") {
    const auto p = resolve_paths({}, 1);
    REQUIRE_FALSE(p);
    CHECK(p.error().kind == ErrorKind::config);
    CHECK(p.error().message.find("SOTA_HOME") != std::string::npos);
    const auto rel = resolve_paths({{"SOTA_HOME", "rel"}}, 1);
    REQUIRE_FALSE(rel);
    CHECK(rel.error().code == "paths.relative_home");
}
