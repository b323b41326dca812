#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/fake_providers.hpp"
#include "tests/support/fake_wordpress.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;

namespace {

struct DoctorRig {
    test::TempHome home;
    test::FakeHttpServer server;
    std::shared_ptr<test::FakeLlm> llm = std::make_shared<test::FakeLlm>();
    std::shared_ptr<test::FakeSerp> serp = std::make_shared<test::FakeSerp>();
    std::shared_ptr<test::FakeWordPress> wp = std::make_shared<test::FakeWordPress>();
    std::map<std::string, std::string> env = test::clean_env(home.str());

    DoctorRig() {
        test::install_openai(server, llm);
        test::install_serper(server, serp);
        env["SOTA_HOME"] = home.str();
        env["SOTA_PROVIDERS_OPENAI_BASE_URL"] = server.base_url() + "/v1";
        env["SOTA_PROVIDERS_SERPER_BASE_URL"] = server.base_url();
        env["OPENAI_API_KEY"] = llm->api_key;
        env["SERPER_API_KEY"] = serp->api_key;
    }
    test::ProcessResult run(std::vector<std::string> args) const {
        args.insert(args.begin(), SOTA_BINARY);
        return test::run_process({args, env, "", std::nullopt, std::chrono::seconds(30)});
    }
};

nlohmann::json provider(const nlohmann::json& doc, const std::string& name) {
    for (const auto& p : doc["providers"]) {
        if (p["name"] == name) {
            return p;
        }
    }
    return {};
}

}  // namespace

TEST_CASE("doctor checks key, endpoint, model and a real call for each provider", "[doctor]") {
    DoctorRig rig;
    auto r = rig.run({"doctor", "--json", "--call"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["healthy"] == true);
    const auto openai = provider(doc, "openai");
    CHECK(openai["key"]["state"] == "ok");
    CHECK(openai["endpoint"]["state"] == "ok");
    CHECK(openai["model"]["state"] == "ok");
    CHECK(openai["call"]["state"] == "ok");
    CHECK(provider(doc, "serper")["call"]["state"] == "ok");
    CHECK(r.out.find(rig.llm->api_key) == std::string::npos);
    CHECK(r.err.find(rig.llm->api_key) == std::string::npos);

    // Without --call nothing is spent.
    const auto before = rig.server.count("/v1/chat/completions");
    auto free = rig.run({"doctor"});
    CHECK(free.exit_code == 0);
    CHECK(rig.server.count("/v1/chat/completions") == before);
    CHECK(free.out.find("PROVIDER") != std::string::npos);
}

TEST_CASE("doctor fails on an unlisted model (exit 1) and a missing required key (exit 5)",
          "[doctor]") {
    DoctorRig rig;
    auto wrong_model = rig.run({"--set", "llm.model=gpt-9-imaginary", "doctor"});
    CHECK(wrong_model.exit_code == 1);
    CHECK(wrong_model.out.find("gpt-9-imaginary is not among") != std::string::npos);

    rig.env.erase("SERPER_API_KEY");
    auto no_key = rig.run({"doctor", "--json"});
    CHECK(no_key.exit_code == 5);
    CHECK(provider(nlohmann::json::parse(no_key.out), "serper")["key"]["state"] == "failed");

    rig.env["SERPER_API_KEY"] = rig.serp->api_key;
    rig.env["OPENAI_API_KEY"] = "wrong-key-1234";
    auto bad_key = rig.run({"doctor", "--json"});
    CHECK(bad_key.exit_code == 1);
    const auto openai = provider(nlohmann::json::parse(bad_key.out), "openai");
    CHECK(openai["endpoint"]["state"] == "failed");
    CHECK(openai["endpoint"]["detail"].get<std::string>().find("401") != std::string::npos);
}

TEST_CASE("doctor checks WordPress when a site is configured", "[doctor]") {
    DoctorRig rig;
    test::install_wordpress(rig.server, rig.wp);
    rig.env["SOTA_WORDPRESS_URL"] = rig.server.base_url();
    rig.env["SOTA_WORDPRESS_USER"] = rig.wp->user;
    rig.env["WORDPRESS_APP_PASSWORD"] = rig.wp->app_password;
    auto r = rig.run({"doctor", "--json"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    const auto wp = provider(nlohmann::json::parse(r.out), "wordpress");
    CHECK(wp["call"]["state"] == "ok");
    CHECK(r.out.find(rig.wp->app_password) == std::string::npos);
}

TEST_CASE("a doctor run recorded once replays with no network", "[doctor][cassette]") {
    DoctorRig rig;
    const std::string cassette = (rig.home.path() / "doctor.jsonl").string();
    auto recorded = rig.run({"--set", "http.record=" + cassette, "doctor", "--json", "--call"});
    REQUIRE(recorded.exit_code == 0);
    CHECK(test::read_text(cassette).find(rig.llm->api_key) == std::string::npos);

    // Point every endpoint at a dead port: only the cassette can answer.
    rig.env["SOTA_PROVIDERS_OPENAI_BASE_URL"] = "http://127.0.0.1:1/v1";
    rig.env["SOTA_PROVIDERS_SERPER_BASE_URL"] = "http://127.0.0.1:1";
    auto replayed = rig.run({"--set", "http.replay=" + cassette, "doctor", "--json", "--call"});
    INFO(replayed.out << replayed.err);
    CHECK(replayed.exit_code == 0);
    const auto doc = nlohmann::json::parse(replayed.out);
    CHECK(doc["transport"] == "replay");
    CHECK(provider(doc, "openai")["call"]["state"] == "ok");
}
