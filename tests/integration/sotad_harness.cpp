#include "tests/integration/sotad_harness.hpp"

#include <catch2/catch.hpp>
#include <thread>

#include "adapters/daemon_client.hpp"
#include "core/text.hpp"

namespace sota::test {

const std::map<std::string, std::string> k_no_cache = {
    {"SOTA_CACHE_TTL_KEYWORDS", "0"}, {"SOTA_CACHE_TTL_GAPS", "0"}, {"SOTA_CACHE_TTL_SERP", "0"}};

std::map<std::string, std::string> world_env(const TempHome& home, const DemoWorld& world) {
    auto env = clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    env["SOTA_RUN_OUT_DIR"] = (home.path() / "articles").string();  // not the daemon's cwd
    const auto args = world.sota_args();
    for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
        const std::string& v = args[i + 1];
        const auto eq = v.find('=');
        if (args[i] == "--set") {
            std::string key = "SOTA_" + v.substr(0, eq);
            for (auto& c : key) {
                c = c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            }
            env[key] = v.substr(eq + 1);
        } else if (args[i] == "--key") {
            const std::string name = v.substr(0, eq);
            env[name == "openai" ? "OPENAI_API_KEY" : "SERPER_API_KEY"] = v.substr(eq + 1);
        }
    }
    return env;
}

std::filesystem::path socket_of(const TempHome& home) {
    return home.path() / "run" / "sotad.sock";
}

std::unique_ptr<Background> start_daemon(const TempHome& home,
                                         std::map<std::string, std::string> env, int workers) {
    auto d =
        std::make_unique<Background>(std::vector<std::string>{SOTAD_BINARY, "--foreground",
                                                              "--workers", std::to_string(workers)},
                                     std::move(env), home.path() / "sotad.out");
    adapters::DaemonClient client(socket_of(home));
    for (int i = 0; i < 200; ++i) {
        auto health = client.call("GET", "/v1/health");
        if (health && health->status == 200) {
            return d;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("sotad did not answer within 10 s; its log:\n" << d->log());
    return d;
}

ProcessResult run_sota(const TempHome& home, std::map<std::string, std::string> env,
                       std::vector<std::string> args) {
    ProcessSpec spec;
    spec.argv = {SOTA_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = std::move(env);
    spec.timeout = std::chrono::seconds(60);
    spec.cwd = home.str();
    return run_process(spec);
}

std::string first_line(const std::string& text) {
    return core::trim(text.substr(0, text.find('\n')));
}

}  // namespace sota::test
