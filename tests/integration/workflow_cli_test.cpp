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

TEST_CASE("workflow files with wrong types, bad templates or no file are usage errors (exit 2)",
          "[workflow][cli]") {
    test::TempHome home;
    const auto validate = [&](const std::string& name, const std::string& toml) {
        const auto file = home.path() / name;
        test::write_text(file, toml);
        return sota_run(home, {"workflow", "validate", file.string()});
    };
    // A prompt that is not a string names the field, not "internal error".
    for (const std::string value : {"42", "[\"a\", \"b\"]", "true", "{ text = \"x\" }"}) {
        INFO(value);
        auto r = validate("typed.toml",
                          "name = \"typed\"\n[[steps]]\nid = \"s\"\nprompt = " + value + "\n");
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("prompt is a string") != std::string::npos);
        CHECK(r.err.find("internal") == std::string::npos);
    }
    auto model =
        validate("model.toml", "name = \"m\"\n[[steps]]\nid = \"s\"\nprompt = \"x\"\nmodel = 4\n");
    CHECK(model.exit_code == 2);
    CHECK(model.err.find("model is a string") != std::string::npos);
    auto inputs = validate("inputs.toml",
                           "name = \"i\"\n[[steps]]\nid = \"s\"\nprompt = "
                           "\"x\"\ninputs = [1]\n");
    CHECK(inputs.exit_code == 2);
    CHECK(inputs.err.find("inputs holds artifact names") != std::string::npos);
    auto name = validate("name.toml", "name = 7\n[[steps]]\nuses = \"semantic_keywords\"\n");
    CHECK(name.exit_code == 2);
    CHECK(name.err.find("name is a string") != std::string::npos);

    // An unclosed {{ fails validation, naming its line, before any job runs it.
    auto unclosed = validate("unclosed.toml",
                             "name = \"u\"\n[[steps]]\nid = \"s\"\nprompt = \"\"\"\nAbout "
                             "{{keyword}}\nand {{keyword\n\"\"\"\n");
    CHECK(unclosed.exit_code == 2);
    CHECK(unclosed.err.find("never closed") != std::string::npos);
    CHECK(unclosed.err.find("line 2") != std::string::npos);
    auto empty =
        validate("empty.toml", "name = \"e\"\n[[steps]]\nid = \"s\"\nprompt = \"About {{ }}\"\n");
    CHECK(empty.exit_code == 2);
    CHECK(empty.err.find("names nothing") != std::string::npos);
    CHECK(validate("fine.toml",
                   "name = \"f\"\n[[steps]]\nid = \"s\"\nprompt = \"About {{ keyword }}\"\n")
              .exit_code == 0);

    // A missing workflow file is a usage error, like other missing inputs.
    const std::string missing = (home.path() / "nowhere.toml").string();
    auto gone = sota_run(home, {"workflow", "validate", missing});
    CHECK(gone.exit_code == 2);
    CHECK(gone.err.find("no workflow file at " + missing) != std::string::npos);
    auto run_gone = sota_run(home, {"--key", "openai=unused-key-1234", "run", "--keyword",
                                    "espresso grinder", "--workflow", missing});
    CHECK(run_gone.exit_code == 2);
    CHECK(run_gone.err.find("no workflow file at") != std::string::npos);
}

TEST_CASE("a step past its timeout names the setting that gives it more time", "[workflow][cli]") {
    test::TempHome home;
    const auto file = home.path() / "slow.toml";
    test::write_text(file,
                     "name = \"slow\"\n[[steps]]\nid = \"nap\"\nrun = [\"sleep\", \"10\"]\n"
                     "timeout = \"1s\"\n");
    auto r = sota_run(home, {"--key", "openai=unused-key-1234", "run", "--keyword",
                             "espresso grinder", "--workflow", file.string()});
    INFO(r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("took longer than its 1 s timeout") != std::string::npos);
    CHECK(r.err.find("timeout = \"DURATION\" on step 'nap'") != std::string::npos);
    CHECK(r.err.find("step..timeout") == std::string::npos);
}

TEST_CASE("sota schedule next prints run times in a zone, as text or JSON", "[schedule][cli]") {
    test::TempHome home;
    auto text = sota_run(home, {"schedule", "next", "30 2 * * *", "--tz", "America/New_York",
                                "--from", "2026-03-07 12:00", "--count", "2"});
    REQUIRE(text.exit_code == 0);
    CHECK(text.out ==
          "2026-03-08 03:00 America/New_York  (2026-03-08T07:00:00Z)\n"
          "2026-03-09 02:30 America/New_York  (2026-03-09T06:30:00Z)\n");
    auto json_out = sota_run(home, {"schedule", "next", "@monthly", "--tz", "UTC", "--from",
                                    "2026-11-24T08:00:00Z", "--count", "2", "--json"});
    REQUIRE(json_out.exit_code == 0);
    const auto doc = nlohmann::json::parse(json_out.out);
    CHECK(doc["tz"] == "UTC");
    CHECK(doc["runs"][0]["utc"] == "2026-12-01T00:00:00Z");
    CHECK(doc["runs"][1]["local"] == "2027-01-01 00:00");
    auto bad = sota_run(home, {"schedule", "next", "0 25 * * *", "--tz", "UTC"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("hour: '25' is outside 0-23") != std::string::npos);
    auto zone = sota_run(home, {"schedule", "next", "@daily", "--tz", "Nowhere/City"});
    CHECK(zone.exit_code == 2);
    auto from = sota_run(home, {"schedule", "next", "@daily", "--from", "yesterday"});
    CHECK(from.exit_code == 2);
    CHECK(from.err.find("--from takes") != std::string::npos);
}
