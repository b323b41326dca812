#include <catch2/catch.hpp>

#include "cli/app.hpp"
#include "cli/commands/complete.hpp"

using namespace sota::cli;

namespace {
std::vector<std::string> complete(CliApp& app, std::vector<std::string> words) {
    return complete_words(app.root(), app.table(), words);
}
bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

TEST_CASE("completion offers commands, subcommands, flags, flag values and keys", "[complete]") {
    CliApp app;
    const auto top = complete(app, {""});
    CHECK(has(top, "config"));
    CHECK(has(top, "keys"));
    CHECK(has(top, "help"));
    CHECK_FALSE(has(top, "__complete"));
    CHECK(complete(app, {"co"}) == std::vector<std::string>{"config"});
    CHECK(complete(app, {"config", "s"}) == std::vector<std::string>{"show", "set"});
    CHECK(has(complete(app, {"config", "show", "--"}), "--json"));
    CHECK(has(complete(app, {"config", "show", "--"}), "--log-format"));
    CHECK(complete(app, {"--log-format", ""}) == std::vector<std::string>{"text", "json"});
    CHECK(has(complete(app, {"config", "set", "log."}), "log.level"));
    CHECK(complete(app, {"config", "set", "log.level", ""}).empty());
    CHECK(has(complete(app, {"keys", "set", ""}), "openai"));
    CHECK(complete(app, {"help", "config", "un"}) == std::vector<std::string>{"unset"});
}
