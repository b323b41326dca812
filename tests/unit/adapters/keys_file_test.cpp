#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "adapters/keys_file.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;
using sota::test::TempHome;
using sota::test::write_text;

namespace {
unsigned mode_of(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777;
}
}  // namespace

TEST_CASE("keys are stored owner-only and read back", "[keys_file]") {
    TempHome home;
    const adapters::KeysFile file(home.path() / "config" / "keys.json");
    REQUIRE(file.load()->empty());
    REQUIRE(file.set("openai", "sk-test-value-1"));
    REQUIRE(file.set("serper", "serper-value"));
    CHECK(mode_of(file.path()) == 0600);
    CHECK(mode_of(file.path().parent_path()) == 0700);
    const auto keys = file.load();
    REQUIRE(keys);
    CHECK(keys->at("openai") == "sk-test-value-1");
    REQUIRE(file.remove("openai"));
    CHECK(file.load()->count("openai") == 0);
    auto missing = file.remove("openai");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == core::ErrorKind::not_found);
}

TEST_CASE("a keys file readable by others is refused with the chmod fix", "[keys_file]") {
    TempHome home;
    const auto path = home.path() / "keys.json";
    write_text(path, "{\"openai\":\"x\"}");
    ::chmod(path.c_str(), 0644);
    const adapters::KeysFile file(path);
    auto keys = file.load();
    REQUIRE_FALSE(keys);
    CHECK(keys.error().kind == core::ErrorKind::credentials);
    CHECK(keys.error().message.find("0644") != std::string::npos);
    CHECK(keys.error().message.find("chmod 600 " + path.string()) != std::string::npos);
    CHECK_FALSE(file.set("openai", "y"));
}

TEST_CASE("a corrupt keys file is refused, not overwritten", "[keys_file]") {
    TempHome home;
    const auto path = home.path() / "keys.json";
    write_text(path, "not json");
    ::chmod(path.c_str(), 0600);
    const adapters::KeysFile file(path);
    REQUIRE_FALSE(file.load());
    REQUIRE_FALSE(file.set("openai", "y"));
    CHECK(sota::test::read_text(path) == "not json");
}
