// Keys never leak: canary keys planted in every key source, providers that echo them back in
// error (and successful) answers and headers, then every byte the runs left is searched.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/daemon_client.hpp"
#include "core/base64.hpp"
#include "tests/integration/sotad_harness.hpp"
#include "tests/support/fake_http_server.hpp"

using namespace sota;
using nlohmann::json;

namespace {

/// Every planted key, by where it was planted.
struct Canaries {
    std::string flag = "sk-canary-flag-7Q2xLr9ZpB4mVn8K1wTy";           // --key openai=
    std::string file = "sk-ant-canary-file-Hs3Jd8Kf0Lg2Mh4Nj6Pk";       // keys file: anthropic
    std::string openai_env = "sk-canary-env-openai-Ab1Cd2Ef3Gh4Ij5Kl";  // OPENAI_API_KEY (loses)
    std::string anthropic_env = "sk-ant-canary-env-Zz9Yy8Xx7Ww6Vv5Uu";  // ANTHROPIC_API_KEY (loses)
    std::string gemini_env = "AIzaCanaryGemini/Env+Key_0a1b2c3d4e5f";   // GEMINI_API_KEY
    std::string compat_env = "canary-compat-env-Qw3Er4Ty5Ui6Op7As8";    // OPENAI_COMPATIBLE_API_KEY
    std::string serper_env = "canary0serper0env0f9e8d7c6b5a49382";      // SERPER_API_KEY
    std::string wordpress_env = "canA ryWP Pass w0rd EnvX 9k8j";        // WORDPRESS_APP_PASSWORD

    std::vector<std::string> all() const {
        return {flag,       file,       openai_env, anthropic_env,
                gemini_env, compat_env, serper_env, wordpress_env};
    }
};

std::string percent_encoded(const std::string& value) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += k_hex[u >> 4];
            out += k_hex[u & 15];
        }
    }
    return out;
}

std::string url_safe(std::string b64) {
    for (auto& c : b64) {
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    return b64;
}

/// What may never appear anywhere for one key: the key, its percent-encoding, the partial forms
/// the fake provider echoes, and its base64 after any prefix: for each byte alignment the
/// characters that depend on the key alone (so base64("user:" + key) is caught too), standard
/// and URL-safe.
std::vector<std::string> forbidden_forms(const std::string& key) {
    std::vector<std::string> forms = {key, percent_encoded(key),
                                      key.substr(0, 10) + "..." + key.substr(key.size() - 4),
                                      "****" + key.substr(key.size() - 4)};
    for (std::size_t align = 0; align < 3; ++align) {
        const std::string encoded = core::base64_encode(std::string(align, 'x') + key);
        const std::size_t first = (8 * align + 5) / 6;
        const std::size_t end = 8 * (align + key.size()) / 6;
        forms.push_back(encoded.substr(first, end - first));
        forms.push_back(url_safe(encoded.substr(first, end - first)));
    }
    for (const std::string prefix : {"", "user:", "admin:", "Bearer "}) {
        forms.push_back(core::base64_encode(prefix + key));
    }
    return forms;
}

/// The credential a request carried, whichever header carries it.
std::string credential_of(const test::FakeRequest& r) {
    for (const char* name : {"x-api-key", "x-goog-api-key"}) {
        if (!r.header(name).empty()) {
            return r.header(name);
        }
    }
    const std::string auth = r.header("authorization");
    if (auth.starts_with("Bearer ")) {
        return auth.substr(7);
    }
    if (auth.starts_with("Basic ")) {
        const auto decoded = core::base64_decode(auth.substr(6)).value_or("");
        return decoded.substr(decoded.find(':') + 1);
    }
    return "";
}

/// Echoes the key it was sent, as careless providers do, in every form: whole, partial,
/// base64 of "user:key", percent-encoded; in the body and in headers.
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> echo(
    const std::string& key) {
    const std::string message = "Incorrect API key provided: " + key.substr(0, 10) + "..." +
                                key.substr(key.size() - 4) + " (****" + key.substr(key.size() - 4) +
                                "); you sent " + key + " as " + core::base64_encode("user:" + key) +
                                " or " + percent_encoded(key);
    // OpenAI, Anthropic and Gemini read "error"; Serper and WordPress the top-level "message".
    const std::string body = json{
        {"error",
         {{"message", message}, {"type", "invalid_request_error"}, {"code", "invalid_api_key"}}},
        {"message", message}}.dump();
    return {body,
            {{"x-request-id", "req_" + key},
             {"www-authenticate", "Basic realm=\"" + core::base64_encode("user:" + key) + "\""},
             {"x-echo-key", key},
             {"retry-after", "0"}}};
}

/// One fake server for every provider: each LLM refuses with its own status, Serper answers
/// (with the key in its results) unless the keyword asks it to refuse, WordPress refuses.
void install_echoing_providers(test::FakeHttpServer& server) {
    auto handler = [](const test::FakeRequest& r, test::FakeConnection& c) {
        const std::string key = credential_of(r);
        auto [body, headers] = echo(key.size() >= 8 ? key : std::string("no-key-was-sent"));
        int status = 401;
        if (r.path.starts_with("/anthropic")) {
            status = 403;
        } else if (r.path.starts_with("/gemini")) {
            status = 429;
        } else if (r.path.starts_with("/compat")) {
            status = 500;
        } else if (r.path == "/search" && r.body.find("serper refuses") == std::string::npos) {
            // A successful answer that carries the key into results, checkpoints and prompts.
            const json ok = {
                {"organic",
                 json::array({{{"title", "Your key " + key},
                               {"link", "http://127.0.0.1:1/page"},
                               {"snippet", "base64 " + core::base64_encode("user:" + key)},
                               {"position", 1}}})},
                {"relatedSearches", json::array({{{"query", "key " + key}}})},
                {"peopleAlsoAsk", json::array()}};
            c.respond(200, ok.dump(), headers);
            return;
        }
        c.respond(status, body, headers);
    };
    server.route("GET", "/", handler);
    server.route("POST", "/", handler);
}

/// Every file under `dir`, read whole (the job database, its WAL, logs, results, cassettes).
std::vector<std::pair<std::string, std::string>> every_file(const std::filesystem::path& dir) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) {
            continue;  // the daemon's socket
        }
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        out.emplace_back(entry.path().string(), text.str());
    }
    return out;
}

/// Fails for every forbidden form of every canary found in `text`.
void check_clean(const Canaries& canaries, const std::string& where, const std::string& text) {
    for (const auto& key : canaries.all()) {
        for (const auto& form : forbidden_forms(key)) {
            INFO(where << " contains '" << form << "' (a form of a planted key)");
            CHECK(text.find(form) == std::string::npos);
        }
    }
}

struct Rig {
    test::TempHome home;
    test::FakeHttpServer server;
    Canaries keys;
    std::map<std::string, std::string> env = test::clean_env(home.str());
    std::vector<std::pair<std::string, std::string>> seen;  // (what, bytes) to scan

    Rig() {
        install_echoing_providers(server);
        const std::string base = server.base_url();
        env["SOTA_HOME"] = home.str();
        env["XDG_CONFIG_HOME"] = (home.path() / "xdg-config").string();
        env["XDG_DATA_HOME"] = (home.path() / "xdg-data").string();
        env["XDG_STATE_HOME"] = (home.path() / "xdg-state").string();
        env["XDG_CACHE_HOME"] = (home.path() / "xdg-cache").string();
        env["SOTA_RUN_OUT_DIR"] = (home.path() / "articles").string();
        env["SOTA_PROVIDERS_OPENAI_BASE_URL"] = base + "/openai/v1";
        env["SOTA_PROVIDERS_ANTHROPIC_BASE_URL"] = base + "/anthropic/v1";
        env["SOTA_PROVIDERS_GEMINI_BASE_URL"] = base + "/gemini/v1beta";
        env["SOTA_PROVIDERS_OPENAI_COMPATIBLE_BASE_URL"] = base + "/compat/v1";
        env["SOTA_PROVIDERS_SERPER_BASE_URL"] = base;
        env["SOTA_WORDPRESS_URL"] = base + "/wp";
        env["SOTA_WORDPRESS_USER"] = "admin";
        env["SOTA_WEB_ALLOW_PRIVATE"] = "true";
        env["SOTA_RETRY_MAX_RETRIES"] = "0";
        env["SOTA_LLM_ALLOWED_MODELS"] = "*";  // llama3 on the OpenAI-compatible server
        env["SOTA_CACHE_TTL_KEYWORDS"] = "0";
        env["SOTA_CACHE_TTL_SERP"] = "0";
        env["OPENAI_API_KEY"] = keys.openai_env;
        env["ANTHROPIC_API_KEY"] = keys.anthropic_env;
        env["GEMINI_API_KEY"] = keys.gemini_env;
        env["OPENAI_COMPATIBLE_API_KEY"] = keys.compat_env;
        env["SERPER_API_KEY"] = keys.serper_env;
        env["WORDPRESS_APP_PASSWORD"] = keys.wordpress_env;
        auto stored = sota({"keys", "set", "anthropic"}, keys.file + "\n");
        REQUIRE(stored.exit_code == 0);
    }

    test::ProcessResult sota(std::vector<std::string> args, const std::string& input = "") {
        args.insert(args.begin(), SOTA_BINARY);
        auto r = test::run_process({args, env, input, home.str(), std::chrono::seconds(60)});
        std::string what;
        for (const auto& a : args) {
            what += " " + a;
        }
        seen.emplace_back("stdout of" + what, r.out);
        seen.emplace_back("stderr of" + what, r.err);
        return r;
    }

    void check_everything() {
        for (const auto& [what, bytes] : seen) {
            check_clean(keys, what, bytes);
        }
        const auto keys_file = home.path() / "config" / "keys.json";  // where a key belongs
        for (const auto& [file, bytes] : every_file(home.path())) {
            if (file != keys_file.string()) {
                check_clean(keys, file, bytes);
            }
        }
    }
};

/// Whether the text shows an echoed error that reached sota and was masked.
bool shows_masked_echo(const std::string& text) {
    return text.find("Incorrect API key provided: [redacted") != std::string::npos ||
           text.find("Incorrect API key provided: \\u005bredacted") != std::string::npos;
}

}  // namespace

TEST_CASE("keys echoed by providers never reach the database, logs, output or the API",
          "[secrets][daemon]") {
    Rig rig;
    const std::string flag = "openai=" + rig.keys.flag;
    const std::string cassette = (rig.home.path() / "recorded.jsonl").string();

    // sota run, one provider each: the key from --key (401), the keys file (403), the
    // environment (429 and 500); Serper's key comes back inside a successful answer.
    struct Case {
        std::string provider;
        std::string model;
    };
    for (const auto& c : std::vector<Case>{{"openai", "gpt-4o-mini"},
                                           {"anthropic", "claude-sonnet-4-5"},
                                           {"gemini", "gemini-2.5-flash"},
                                           {"openai_compatible", "llama3"}}) {
        INFO(c.provider);
        auto r = rig.sota({"--key", flag, "--set", "llm.provider=" + c.provider, "--set",
                           "llm.model=" + c.model, "--set", "http.record=" + cassette, "run",
                           "--keyword", "canary grinder " + c.provider, "--json"});
        INFO(r.out << r.err);
        CHECK(r.exit_code != 0);
        CHECK((shows_masked_echo(r.out) || shows_masked_echo(r.err)));
        auto plain = rig.sota({"--key", flag, "--set", "llm.provider=" + c.provider, "--set",
                               "llm.model=" + c.model, "run", "--keyword",
                               "plain canary grinder " + c.provider});
        CHECK(plain.exit_code != 0);
        CHECK(shows_masked_echo(plain.err));
    }
    // Serper refusing, with its key in the refusal.
    auto refused = rig.sota({"--key", flag, "run", "--keyword", "serper refuses this", "--json"});
    CHECK(refused.exit_code != 0);
    CHECK((shows_masked_echo(refused.out) || shows_masked_echo(refused.err)));

    // What sota run left, read back.
    rig.sota({"list", "--json"});
    auto doctor = rig.sota({"--key", flag, "doctor", "--call", "--json"});
    CHECK(shows_masked_echo(doctor.out));

    // sotad: the keys file and the environment only.
    auto daemon = test::start_daemon(rig.home, rig.env);
    std::vector<std::string> ids;
    for (const std::string model :
         {"openai:gpt-4o-mini", "anthropic:claude-sonnet-4-5", "gemini:gemini-2.5-flash"}) {
        auto submitted =
            rig.sota({"submit", "--keyword", "daemon canary " + model, "--model", model});
        REQUIRE(submitted.exit_code == 0);
        ids.push_back(test::first_line(submitted.out));
    }
    std::vector<std::string> wait = {"wait"};
    wait.insert(wait.end(), ids.begin(), ids.end());
    wait.insert(wait.end(), {"--timeout", "60"});
    rig.sota(wait);
    adapters::DaemonClient client(test::socket_of(rig.home));
    for (const auto& id : ids) {
        auto status = rig.sota({"status", id, "--json"});
        CHECK(shows_masked_echo(status.out));
        rig.sota({"logs", id, "--json"});
        for (const std::string& path : {"/v1/jobs/" + id, "/v1/jobs/" + id + "/events"}) {
            auto answer = client.call("GET", path);
            REQUIRE(answer);
            rig.seen.emplace_back("GET " + path, answer->body);
            if (path.ends_with(id)) {
                CHECK(shows_masked_echo(answer->body));
            }
        }
    }
    rig.sota({"list", "--json"});
    CHECK(daemon->stop(SIGTERM) == 0);
    rig.seen.emplace_back("sotad's log", daemon->log());

    REQUIRE(rig.server.requests().size() > 10);
    rig.check_everything();
}
