#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/integration/sota_home.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

using sota::test::ProcessResult;
using sota::test::read_text;
using sota::test::Sota;
using sota::test::TempHome;
using sota::test::write_text;

TEST_CASE("the version and help flags answer with exit 0", "[cli]") {
    const Sota sota;
    const auto version = sota.run({"--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out.rfind("sota 0.", 0) == 0);
    const auto help = sota.run({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("config") != std::string::npos);
    CHECK(help.out.find("keys") != std::string::npos);
    const auto sub = sota.run({"help", "config", "set"});
    CHECK(sub.exit_code == 0);
    CHECK(sub.out.find("KEY") != std::string::npos);
    CHECK(sub.out.find("VALUE") != std::string::npos);
}

TEST_CASE("unknown commands and flags exit 2 with a suggestion", "[cli]") {
    const Sota sota;
    const auto cmd = sota.run({"confg"});
    CHECK(cmd.exit_code == 2);
    CHECK(cmd.err.find("'confg' is not a command") != std::string::npos);
    CHECK(cmd.err.find("did you mean 'config'") != std::string::npos);

    const auto sub = sota.run({"config", "shwo"});
    CHECK(sub.exit_code == 2);
    CHECK(sub.err.find("did you mean 'show'") != std::string::npos);

    const auto flag = sota.run({"config", "show", "--jsn"});
    CHECK(flag.exit_code == 2);
    CHECK(flag.err.find("unknown flag '--jsn'") != std::string::npos);
    CHECK(flag.err.find("did you mean '--json'") != std::string::npos);

    const auto missing = sota.run({"config"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("needs a subcommand") != std::string::npos);

    const auto help = sota.run({"help", "kyes"});
    CHECK(help.exit_code == 2);
    CHECK(help.err.find("did you mean 'keys'") != std::string::npos);
}

TEST_CASE("config layers: defaults < system < user < env < flags, shown with provenance",
          "[cli][config]") {
    Sota sota;
    write_text(sota.home.path() / "etc" / "config.toml",
               "color = \"never\"\n[log]\nlevel = \"warn\"\n");
    write_text(sota.home.path() / "config" / "config.toml",
               "[log]\nlevel = \"error\"\nformat = \"text\"\n");
    auto shown = sota.run({"config", "show", "--json"});
    REQUIRE(shown.exit_code == 0);
    auto doc = nlohmann::json::parse(shown.out);
    auto find = [&](const std::string& key) {
        for (const auto& k : doc["keys"]) {
            if (k["key"] == key) {
                return k;
            }
        }
        FAIL("no key " << key);
        return nlohmann::json();
    };
    CHECK(find("color")["layer"] == "system");
    CHECK(find("log.level")["value"] == "error");
    CHECK(find("log.level")["layer"] == "user");
    CHECK(find("log.level")["origin"] ==
          (sota.home.path() / "config" / "config.toml").string() + ":2");

    sota.env["SOTA_LOG_LEVEL"] = "debug";
    doc = nlohmann::json::parse(sota.run({"config", "show", "--json"}).out);
    CHECK(find("log.level")["layer"] == "env");
    CHECK(find("log.level")["origin"] == "SOTA_LOG_LEVEL");

    doc = nlohmann::json::parse(sota.run({"--log-level", "trace", "config", "show", "--json"}).out);
    CHECK(find("log.level")["layer"] == "flag");
    CHECK(find("log.level")["value"] == "trace");

    const auto got = sota.run({"config", "get", "log.level", "--set", "log.level=info"});
    CHECK(got.exit_code == 0);
    CHECK(got.out == "info\n");

    const auto plain = sota.run({"config", "show"});
    CHECK(plain.out.find("LAYER") != std::string::npos);
    CHECK(plain.out.find("SOTA_LOG_LEVEL") != std::string::npos);
}

TEST_CASE("bad config is refused naming file, line and key, with exit code 5", "[cli][config]") {
    const Sota sota;
    const auto file = sota.home.path() / "config" / "config.toml";
    write_text(file, "[log]\nlevel = \"verbose\"\n");
    const auto r = sota.run({"config", "show"});
    CHECK(r.exit_code == 5);
    CHECK(r.err.find(file.string() + ":2") != std::string::npos);
    CHECK(r.err.find("log.level") != std::string::npos);

    Sota env_case;
    env_case.env["SOTA_COLOR"] = "sometimes";
    const auto e = env_case.run({"config", "show"});
    CHECK(e.exit_code == 5);
    CHECK(e.err.find("SOTA_COLOR") != std::string::npos);

    const Sota flag_case;
    const auto flag = flag_case.run({"--set", "log.levle=debug", "config", "show"});
    CHECK(flag.exit_code == 2);
    CHECK(flag.err.find("did you mean 'log.level'") != std::string::npos);
}

TEST_CASE("ftp:// and file:// base URLs are refused by config validation", "[cli][config]") {
    Sota sota;
    const auto file = sota.home.path() / "config" / "config.toml";
    write_text(file, "[providers.openai]\nbase_url = \"file:///etc/passwd\"\n");
    const auto r = sota.run({"config", "show"});
    CHECK(r.exit_code == 5);
    CHECK(r.err.find(file.string() + ":2") != std::string::npos);
    CHECK(r.err.find("http:// or https://") != std::string::npos);
    std::filesystem::remove(file);

    sota.env["SOTA_PROVIDERS_SERPER_BASE_URL"] = "ftp://google.serper.dev";
    const auto e = sota.run({"config", "show"});
    CHECK(e.exit_code == 5);
    CHECK(e.err.find("SOTA_PROVIDERS_SERPER_BASE_URL") != std::string::npos);
    sota.env.erase("SOTA_PROVIDERS_SERPER_BASE_URL");

    const auto set = sota.run({"config", "set", "wordpress.url", "ftp://example.com"});
    CHECK(set.exit_code != 0);
    CHECK(read_text(file).find("ftp://") == std::string::npos);
    CHECK(sota.run({"config", "set", "wordpress.url", "https://example.com"}).exit_code == 0);
}

TEST_CASE("config set edits the user file and a bad value changes nothing", "[cli][config]") {
    const Sota sota;
    const auto file = sota.home.path() / "config" / "config.toml";
    write_text(file, "# mine\n[log]\nlevel = \"info\" # note\n");
    auto set = sota.run({"config", "set", "log.level", "debug"});
    CHECK(set.exit_code == 0);
    CHECK(read_text(file) == "# mine\n[log]\nlevel = \"debug\" # note\n");
    CHECK(sota.run({"config", "get", "log.level"}).out == "debug\n");
    auto bad = sota.run({"config", "set", "log.level", "loud"});
    CHECK(bad.exit_code == 2);
    CHECK(read_text(file) == "# mine\n[log]\nlevel = \"debug\" # note\n");
    auto unknown = sota.run({"config", "set", "log.lvl", "debug"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("did you mean 'log.level'") != std::string::npos);
    CHECK(sota.run({"config", "path"}).out == file.string() + "\n");
}

TEST_CASE("keys: set from stdin, list names only, precedence, remove", "[cli][keys]") {
    Sota sota;
    const std::string canary = "canary-secret-9d8e7f6a5b";
    auto set = sota.run({"keys", "set", "openai"}, canary + "\n");
    REQUIRE(set.exit_code == 0);
    const auto file = sota.home.path() / "config" / "keys.json";
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    sota.env["OPENAI_API_KEY"] = "env-value-1234";
    sota.env["SERPER_API_KEY"] = "serper-env-5678";
    auto list = sota.run({"keys", "list", "--json"});
    REQUIRE(list.exit_code == 0);
    CHECK(list.out.find(canary) == std::string::npos);
    CHECK(list.out.find("env-value-1234") == std::string::npos);
    const auto rows = nlohmann::json::parse(list.out);
    for (const auto& row : rows) {
        if (row["name"] == "openai") {
            CHECK(row["source"] == "keys file");
            CHECK(row["present"].size() == 2);
        }
        if (row["name"] == "serper") {
            CHECK(row["source"] == "environment");
        }
    }
    auto flagged = sota.run({"--key", "openai=flag-value-0000", "keys", "list", "--json"});
    for (const auto& row : nlohmann::json::parse(flagged.out)) {
        if (row["name"] == "openai") {
            CHECK(row["source"] == "flag");
        }
    }
    CHECK(sota.run({"keys", "remove", "openai"}).exit_code == 0);
    CHECK(sota.run({"keys", "remove", "openai"}).exit_code == 1);
    CHECK(sota.run({"keys", "set", "Bad Name"}, "x\n").exit_code == 2);
    CHECK(sota.run({"keys", "set", "openai"}, "").exit_code == 2);
    CHECK(sota.run({"keys", "path"}).out == file.string() + "\n");
}

TEST_CASE("a keys file readable by others is refused with exit code 5", "[cli][keys]") {
    const Sota sota;
    const auto file = sota.home.path() / "config" / "keys.json";
    write_text(file, "{\"openai\":\"abcd-1234\"}");
    ::chmod(file.c_str(), 0640);
    const auto r = sota.run({"keys", "list"});
    CHECK(r.exit_code == 5);
    CHECK(r.err.find("chmod 600") != std::string::npos);
    CHECK(r.err.find("abcd-1234") == std::string::npos);
}

TEST_CASE("JSON log lines on stderr, data on stdout, and no secret in either", "[cli][logging]") {
    Sota sota;
    const std::string canary = "canary-env-key-31415926";
    sota.env["OPENAI_API_KEY"] = canary;
    sota.env["SOTA_BOGUS"] = canary;  // an unknown SOTA_ variable is warned about by name
    const auto r = sota.run({"--log-format", "json", "config", "get", "color"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "auto\n");
    REQUIRE_FALSE(r.err.empty());
    const auto line = nlohmann::json::parse(r.err.substr(0, r.err.find('\n')));
    CHECK(line["level"] == "warn");
    CHECK(line["message"].get<std::string>().find("SOTA_BOGUS") != std::string::npos);
    CHECK(r.err.find(canary) == std::string::npos);
    CHECK(r.out.find(canary) == std::string::npos);
}
