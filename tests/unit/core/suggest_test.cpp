#include <catch2/catch.hpp>

#include "core/suggest.hpp"

using namespace sota::core;

TEST_CASE("edit distance", "[suggest]") {
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("config", "confg") == 1);
    CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("close typos get a suggestion, distant words do not", "[suggest]") {
    const std::vector<std::string> commands = {"config", "keys", "help", "run"};
    CHECK(closest_match("confg", commands) == "config");
    CHECK(closest_match("kyes", commands) == "keys");
    CHECK(closest_match("conf", commands) == "config");
    CHECK_FALSE(closest_match("deploy", commands));
    CHECK_FALSE(closest_match("", commands));
}
