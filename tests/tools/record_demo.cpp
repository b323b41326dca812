// Records the demo cassette the README's main command replays: runs `sota run` for the demo
// keyword against the demo world (a plausible fake model, Serper and competitor sites on
// 127.0.0.1) with http.record set. Run it after changing a prompt or a step's requests:
//
//     build/tests/sota_record_demo build/cli/sota data/demo/espresso.cassette.jsonl
#include <cstdio>
#include <filesystem>

#include "tests/support/demo_world.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s SOTA_BINARY OUT.cassette.jsonl\n", argv[0]);
        return 2;
    }
    const std::filesystem::path cassette = std::filesystem::absolute(argv[2]);
    const std::filesystem::path source = std::filesystem::path(SOTA_SOURCE_DIR);
    std::filesystem::remove(cassette);
    sota::test::DemoWorld world;
    sota::test::TempHome home;
    sota::test::ProcessSpec spec;
    spec.argv = {std::filesystem::absolute(argv[1]).string()};
    for (const auto& a : world.sota_args()) {
        spec.argv.push_back(a);
    }
    for (const std::string& a :
         std::vector<std::string>{"--set", "http.record=" + cassette.string(), "run", "--keyword",
                                  "best espresso grinder", "--site-pages",
                                  (source / "data/demo/site_pages.csv").string(), "--out",
                                  (home.path() / "out").string()}) {
        spec.argv.push_back(a);
    }
    spec.env = sota::test::clean_env(home.str());
    spec.env["SOTA_HOME"] = home.str();
    spec.timeout = std::chrono::seconds(120);
    const auto result = sota::test::run_process(spec);
    std::fputs(result.err.c_str(), stderr);
    std::fputs(result.out.c_str(), stdout);
    if (result.exit_code != 0) {
        std::fprintf(stderr, "sota run failed with exit code %d\n", result.exit_code);
        return 1;
    }
    std::fprintf(stderr, "recorded %s\n", cassette.c_str());
    return 0;
}
