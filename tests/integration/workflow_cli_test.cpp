#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;

namespace {
test::ProcessResult sota_run(const test::TempHome& home, std::vector<std::string> args) {
    auto env = test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    args.insert(args.begin(), SOTA_BINARY);
    return test::run_process({args, env, "", std::nullopt, std::chrono::seconds(20)});
}
}  // namespace

TEST_CASE("sota workflow list, show and validate", "[workflow][cli]") {
    test::TempHome home;
    const auto dir = home.path() / "config" / "workflows";
    test::write_text(
        dir / "quick.toml",
        "name = \"quick\"\ndescription = \"keywords and an outline only\"\n\n"
        "[[steps]]\nuses = \"semantic_keywords\"\n\n[[steps]]\nuses = \"gap_analysis\"\n\n"
        "[[steps]]\nuses = \"blueprint\"\ntimeout = \"40s\"\n");
    auto list = sota_run(home, {"workflow", "list", "--json"});
    REQUIRE(list.exit_code == 0);
    const auto rows = nlohmann::json::parse(list.out);
    CHECK(rows.size() == 6);
    CHECK(rows.back()["name"] == "quick");

    auto show = sota_run(home, {"workflow", "show", "quick", "--json"});
    REQUIRE(show.exit_code == 0);
    const auto doc = nlohmann::json::parse(show.out);
    CHECK(doc["steps"][2]["timeout"] == "40s");
    CHECK(doc["levels"].size() == 3);

    CHECK(sota_run(home, {"workflow", "validate", (dir / "quick.toml").string()}).exit_code == 0);

    test::write_text(home.path() / "cycle.toml",
                     "name = \"loop\"\n[[steps]]\nid = \"a\"\nprompt = \"x\"\ninputs = [\"b\"]\n\n"
                     "[[steps]]\nid = \"b\"\nprompt = \"y\"\ninputs = [\"a\"]\n");
    auto cycle = sota_run(home, {"workflow", "validate", (home.path() / "cycle.toml").string()});
    CHECK(cycle.exit_code == 2);
    CHECK(cycle.err.find("cycle") != std::string::npos);

    test::write_text(home.path() / "broken.toml", "name = \"x\"\n[[steps]\n");
    auto broken = sota_run(home, {"workflow", "validate", (home.path() / "broken.toml").string()});
    CHECK(broken.exit_code == 2);
    CHECK(broken.err.find("broken.toml:2") != std::string::npos);

    auto unknown = sota_run(home, {"workflow", "show", "quik"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("did you mean 'quick'") != std::string::npos);
}
