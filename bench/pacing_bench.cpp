// Measures how fully sotad uses an organisation's rate limits: N jobs (one prompt step each, a
// prompt of about 150 tokens and max_tokens 350) sent as one batch against the realistic fake
// provider, which enforces requests and tokens per minute the way OpenAI does (or Anthropic,
// with --wire anthropic), answers after time to first token plus output at its generation speed,
// and refuses with 429 what does not fit. Nothing about the limits is configured: sota learns
// them from the answers' headers. Prints the achieved requests and tokens per minute against the
// limits, the 429s, failed jobs, and the wall time against the limit-bound ideal.
//
//     build/bench/sota_pacing_bench [--jobs 2000] [--rpm 500] [--tpm 200000] [--max-tokens 350]
//                                   [--workers 200] [--wire openai|anthropic]
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "adapters/daemon_client.hpp"
#include "bench/daemon_ready.hpp"
#include "tests/support/background.hpp"
#include "tests/support/process.hpp"
#include "tests/support/realistic_llm.hpp"
#include "tests/support/temp_home.hpp"

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (argv[i] == name) {
            return argv[i + 1];
        }
    }
    return fallback;
}

// About 600 characters of instructions around the keyword: some 150 prompt tokens.
std::string prompt_text() {
    return "You write product copy for a coffee equipment shop. Write a short buying note for "
           "{{keyword}}: who it suits, the one feature that matters most, what to check before "
           "buying, and a plain closing sentence. Keep sentences under twenty words, use the "
           "active voice, avoid superlatives and claims you cannot support, do not invent prices "
           "or model numbers, and do not use headings or lists. Mention the keyword once, early, "
           "in its exact form. The reader is a home barista who already owns a machine and wants "
           "a practical answer rather than a sales pitch; assume they read on a phone.";
}

}  // namespace

int main(int argc, char** argv) {
    const int jobs = std::stoi(arg(argc, argv, "--jobs", "2000"));
    const double rpm = std::stod(arg(argc, argv, "--rpm", "500"));
    const double tpm = std::stod(arg(argc, argv, "--tpm", "200000"));
    const int max_tokens = std::stoi(arg(argc, argv, "--max-tokens", "350"));
    const int workers = std::stoi(arg(argc, argv, "--workers", "200"));
    const std::string wire = arg(argc, argv, "--wire", "openai");

    sota::test::FakeHttpServer server;
    sota::test::RealisticLlmOptions options;
    options.wire = wire == "anthropic" ? sota::test::RealisticLlmOptions::Wire::anthropic
                                       : sota::test::RealisticLlmOptions::Wire::openai;
    options.requests_per_minute = rpm;
    options.tokens_per_minute = tpm;
    sota::test::RealisticLlm llm(server, options);

    sota::test::TempHome home;
    const auto workflow_file = home.path() / "note.toml";
    sota::test::write_text(workflow_file,
                           "name = \"note\"\n[[steps]]\nid = \"note\"\n"
                           "inputs = [\"keyword\"]\nmax_tokens = " +
                               std::to_string(max_tokens) + "\nprompt = \"\"\"" + prompt_text() +
                               "\"\"\"\n");
    auto env = sota::test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    if (options.wire == sota::test::RealisticLlmOptions::Wire::openai) {
        env["SOTA_PROVIDERS_OPENAI_BASE_URL"] = llm.base_url();
        env["OPENAI_API_KEY"] = options.api_key;
    } else {
        env["SOTA_LLM_PROVIDER"] = "anthropic";
        env["SOTA_LLM_MODEL"] = "claude-haiku-4-5";
        env["SOTA_PROVIDERS_ANTHROPIC_BASE_URL"] = llm.base_url();
        env["ANTHROPIC_API_KEY"] = options.api_key;
    }
    env["SOTA_RUN_OUT_DIR"] = (home.path() / "out").string();
    env["SOTA_LOG_LEVEL"] = "warn";
    env["SOTA_DAEMON_PRIORITY_SHARE"] = "0";
    sota::test::Background daemon(
        {SOTAD_BINARY, "--foreground", "--workers", std::to_string(workers)}, env,
        home.path() / "sotad.log");
    sota::adapters::DaemonClient client(home.path() / "run" / "sotad.sock");
    if (!sota::bench::wait_until_ready(client)) {
        std::fprintf(stderr, "sotad did not answer within 10 s\n");
        return 1;
    }

    json rows = json::array();
    for (int i = 0; i < jobs; ++i) {
        rows.push_back({{"keyword", "espresso grinder model " + std::to_string(i)},
                        {"workflow", workflow_file.string()}});
    }
    const auto start = Clock::now();
    auto accepted = client.call("POST", "/v1/batches", json{{"jobs", rows}}.dump(), {},
                                std::chrono::seconds(120));
    if (!accepted || accepted->status != 202) {
        std::fprintf(stderr, "the batch was refused: %s\n",
                     accepted ? accepted->body.c_str() : accepted.error().message.c_str());
        return 1;
    }
    std::int64_t completed = 0, failed = 0;
    const auto give_up = std::chrono::minutes(60);
    while (completed + failed < jobs) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        auto stats = client.call("GET", "/v1/stats");
        if (!stats) {
            std::fprintf(stderr, "stats failed: %s\n", stats.error().message.c_str());
            return 1;
        }
        const json s = json::parse(stats->body)["jobs"];
        completed = s.value("completed", std::int64_t{0});
        failed = s.value("failed", std::int64_t{0});
        if (Clock::now() - start > give_up) {
            std::fprintf(stderr, "gave up after 60 minutes: %lld completed\n",
                         static_cast<long long>(completed));
            return 1;
        }
    }
    const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
    daemon.stop(SIGTERM);

    const auto st = llm.stats();
    const double admitted = static_cast<double>(st.admitted);
    // The provider starts with a minute's allowance; after that, the limit's rate. The ideal run
    // spends the allowance at once, then admits at the binding limit's rate, and ends one
    // answer's time after its last admission.
    const double minutes_by_requests = std::max(0.0, (admitted - rpm) / rpm);
    const double minutes_by_tokens = std::max(0.0, (st.tokens_charged - tpm) / tpm);
    const bool tokens_bind = minutes_by_tokens >= minutes_by_requests;
    const double answer_s = options.time_to_first_token_s +
                            max_tokens * (options.output_fill_min + options.output_fill_max) / 2 /
                                options.tokens_per_second;
    const double ideal_s = std::max(minutes_by_requests, minutes_by_tokens) * 60 + answer_s;
    // Sustained use: what was admitted beyond the minute's allowance the provider starts with,
    // over the time from the first admission to the last.
    const double first = st.admissions.empty() ? 0 : st.admissions.front().first;
    const double last = st.admissions.empty() ? 0 : st.admissions.back().first;
    const double span_minutes = std::max(1e-9, (last - first) / 60);
    const double steady_rpm = std::max(0.0, admitted - rpm) / span_minutes;
    const double steady_tpm = std::max(0.0, st.tokens_charged - tpm) / span_minutes;
    const double use = tokens_bind ? steady_tpm / tpm : steady_rpm / rpm;
    const double refused_share =
        st.requests == 0 ? 0
                         : static_cast<double>(st.refused_429) / static_cast<double>(st.requests);

    std::printf("pacing benchmark: %d jobs, one prompt step each (max_tokens %d), %s wire\n", jobs,
                max_tokens, wire.c_str());
    std::printf(
        "  organisation limits      %.0f requests/min, %.0f tokens/min (learned from the "
        "headers; nothing configured)\n",
        rpm, tpm);
    std::printf("  fake latency             %.1f s to first token + %.0f tokens/s, sigma %.2f\n",
                options.time_to_first_token_s, options.tokens_per_second, options.latency_sigma);
    std::printf("  jobs completed           %lld (failed %lld)\n",
                static_cast<long long>(completed), static_cast<long long>(failed));
    std::printf("  requests                 %zu admitted, %zu answered 429 (%.2f %% of %zu)\n",
                st.admitted, st.refused_429, refused_share * 100, st.requests);
    std::printf("  tokens charged           %.0f (%.0f per request; %lld written)\n",
                st.tokens_charged, st.admitted ? st.tokens_charged / admitted : 0.0,
                static_cast<long long>(st.output_tokens));
    std::printf("  binding limit            %s\n",
                tokens_bind ? "tokens per minute" : "requests per minute");
    std::printf("  beyond the first minute's allowance, from first to last admission:\n");
    std::printf("    %.0f requests/min (%.1f %%), %.0f tokens/min (%.1f %%)\n", steady_rpm,
                steady_rpm / rpm * 100, steady_tpm, steady_tpm / tpm * 100);
    std::printf("  use of the binding limit %.1f %% (sustained)\n", use * 100);
    auto at = [&](double q) {
        if (st.admissions.empty()) {
            return 0.0;
        }
        const auto i =
            std::min(st.admissions.size() - 1,
                     static_cast<std::size_t>(q * static_cast<double>(st.admissions.size())));
        return st.admissions[i].first - first;
    };
    std::printf("  admitted by              %.1f s (half), %.1f s (90 %%), %.1f s (last)\n",
                at(0.5), at(0.9), last - first);
    std::printf("  wall time                %.1f s (limit-bound ideal %.1f s, %.3fx)\n", wall_s,
                ideal_s, wall_s / ideal_s);
    return failed == 0 ? 0 : 1;
}
