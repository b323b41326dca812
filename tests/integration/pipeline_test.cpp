// `sota run` as a user runs it, against the demo world's fake model, Serper and sites.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/demo_world.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string k_keyword = "best espresso grinder";

std::string source_path(const std::string& relative) {
    return (fs::path(SOTA_SOURCE_DIR) / relative).string();
}

test::ProcessResult run_sota(const test::TempHome& home, std::vector<std::string> args,
                             const test::DemoWorld* world = nullptr,
                             std::function<void(int)> during = {}, bool pty = false) {
    test::ProcessSpec spec;
    spec.argv = {SOTA_BINARY};
    if (world) {
        for (const auto& a : world->sota_args()) {
            spec.argv.push_back(a);
        }
    }
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = test::clean_env(home.str());
    spec.env["SOTA_HOME"] = home.str();
    spec.timeout = std::chrono::seconds(60);
    spec.during = std::move(during);
    spec.pty = pty;
    spec.cwd = home.str();
    return test::run_process(spec);
}

json read_json(const fs::path& file) {
    std::ifstream in(file);
    return json::parse(in, nullptr, false);
}

std::string job_id_from(const std::string& err) {
    const auto at = err.find("job job_");
    REQUIRE(at != std::string::npos);
    return err.substr(at + 4, err.find(':', at) - at - 4);
}

/// Waits (at most 20 s) until the model has been asked to write a section.
void wait_for_generation(const test::DemoWorld& world) {
    for (int i = 0; i < 400 && test::prompts_seen(world.llm_server)["write_section"] == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

/// No recorded or stored file under `dir` holds the secret.
void check_no_secret(const fs::path& dir, const std::string& secret) {
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) {
            INFO(entry.path());
            CHECK(test::read_text(entry.path()).find(secret) == std::string::npos);
        }
    }
}

const std::vector<std::string> k_no_cache = {
    "--set", "cache.ttl.keywords=0", "--set", "cache.ttl.gaps=0", "--set", "cache.ttl.serp=0"};

}  // namespace

TEST_CASE("sota run writes a scored article through the eight steps", "[pipeline][run]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto out = home.path() / "out";
    auto r = run_sota(home,
                      {"run", "--keyword", k_keyword, "--site-pages",
                       source_path("data/demo/site_pages.csv"), "--out", out.string()},
                      &world);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    for (const char* f : {"article.html", "article.md", "result.json", "report.txt"}) {
        CHECK(r.out.find((out / f).string()) != std::string::npos);
        CHECK(fs::exists(out / f));
    }
    CHECK(r.err.find("step 8/8 validate started") != std::string::npos);

    const json result = read_json(out / "result.json");
    CHECK(result["score"].get<int>() >= 90);
    CHECK(result["keywords"]["clusters"].size() >= 2);
    CHECK(result["keywords"]["questions"].size() == 2);
    REQUIRE(result["gaps"]["competitors"].size() == 5);
    for (const auto& c : result["gaps"]["competitors"]) {
        CHECK(c["fetched"] == true);
        CHECK(c["headings"].size() >= 4);
    }
    CHECK(result["gaps"]["missing"].size() >= 1);
    CHECK(result["outline"]["sections"].size() == 5);
    CHECK(result["outline"]["target_words"] == 800);
    REQUIRE(result["references"]["sources"].size() == 5);
    for (const auto& s : result["references"]["sources"]) {
        CHECK(s["status"] == 200);
    }
    CHECK(result["links"]["links"].size() >= 3);
    CHECK(result["quality"]["checks"].size() == 39);
    // Pass 1 repairs the editor checks' defects (template openings with a doubled word, FAQ
    // questions sharing one answer); pass 2 is not better and is not kept.
    REQUIRE(result["fix_log"].size() == 2);
    CHECK(result["fix_log"][0]["kept"] == true);
    for (const char* id : {"duplicate_faq_answers", "template_filler", "doubled_words"}) {
        INFO(id);
        CHECK(std::find(result["fix_log"][0]["checks"].begin(),
                        result["fix_log"][0]["checks"].end(),
                        id) != result["fix_log"][0]["checks"].end());
    }
    for (const auto& c : result["quality"]["checks"]) {
        if (c["category"] == "editor") {
            INFO(c["id"]);
            CHECK(c["verdict"] == "pass");
        }
    }
    CHECK(result["usage"]["total"]["llm_calls"] == 12);
    CHECK(result["usage"]["total"]["serp_calls"] == 2);
    CHECK(result["cost_usd"].get<double>() > 0);
    CHECK(result["timings_ms"].size() == 8);

    const std::string md = test::read_text(out / "article.md");
    CHECK(md.rfind("# Best Espresso Grinder", 0) == 0);
    CHECK(md.find("## References") != std::string::npos);
    CHECK(md.find("](https://www.bean-and-burr.example/") != std::string::npos);
    const std::string html = test::read_text(out / "article.html");
    CHECK(html.find("<h1>Best Espresso Grinder") != std::string::npos);
    CHECK(html.find("application/ld+json") != std::string::npos);
    CHECK(html.find("<meta name=\"description\"") != std::string::npos);
    CHECK(test::read_text(out / "report.txt").find("Score:    ") != std::string::npos);

    const auto seen = test::prompts_seen(world.llm_server);
    CHECK(seen.at("semantic_keywords") == 1);
    CHECK(seen.at("gap_analysis") == 1);
    CHECK(seen.at("blueprint") == 1);
    CHECK(seen.at("write_intro") == 1);
    CHECK(seen.at("write_section") == 5);
    CHECK(seen.at("write_faq") == 1);
    CHECK(seen.at("auto_fix") == 2);
    CHECK(world.serp_server.count("/search") == 2);
    check_no_secret(home.path(), world.llm->api_key);
    check_no_secret(home.path(), world.serp->api_key);

    // The same keyword again: keywords and gaps come from the cache, not the model.
    auto again = run_sota(
        home, {"run", "--keyword", k_keyword, "--out", (home.path() / "again").string()}, &world);
    REQUIRE(again.exit_code == 0);
    const auto seen_again = test::prompts_seen(world.llm_server);
    CHECK(seen_again.at("semantic_keywords") == 1);
    CHECK(seen_again.at("gap_analysis") == 1);
    CHECK(seen_again.at("blueprint") == 2);
    CHECK(world.serp_server.count("/search") == 2);  // both searches cached
}

TEST_CASE("a run killed mid-step resumes without repeating a finished step's calls",
          "[pipeline][run][resume]") {
    test::DemoWorld world;
    test::TempHome home;
    world.section_delay_ms->store(5000);
    std::vector<std::string> args = k_no_cache;
    for (const std::string& a : {std::string("run"), std::string("--keyword"), k_keyword,
                                 std::string("--out"), (home.path() / "out").string()}) {
        args.push_back(a);
    }
    auto killed = run_sota(home, args, &world, [&](int pid) {
        wait_for_generation(world);
        ::kill(pid, SIGKILL);
    });
    REQUIRE(killed.exit_code == 128 + SIGKILL);
    const std::string id = job_id_from(killed.err);
    const auto before = test::prompts_seen(world.llm_server);
    CHECK(before.at("blueprint") == 1);
    CHECK(world.serp_server.count("/search") == 1);
    CHECK_FALSE(fs::exists(home.path() / "out" / "article.md"));

    world.section_delay_ms->store(0);
    std::vector<std::string> resume = k_no_cache;
    resume.insert(resume.end(), {"run", "--resume", id});
    auto resumed = run_sota(home, resume, &world);
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(resumed.err.find("Resuming job " + id) != std::string::npos);
    CHECK(resumed.err.find("semantic_keywords restored from its checkpoint") != std::string::npos);
    const auto after = test::prompts_seen(world.llm_server);
    // Finished before the kill: never asked again.
    CHECK(after.at("semantic_keywords") == 1);
    CHECK(after.at("gap_analysis") == 1);
    CHECK(after.at("blueprint") == 1);
    // The interrupted step ran again from its start; the rest ran once.
    CHECK(after.at("write_intro") >= 1);
    CHECK(after.at("write_faq") >= 1);
    CHECK(after.at("auto_fix") == 2);
    CHECK(world.serp_server.count("/search") == 2);  // keywords before the kill, references after
    const json result = read_json(home.path() / "out" / "result.json");
    CHECK(result["restored_steps"] ==
          json::array({"semantic_keywords", "gap_analysis", "blueprint"}));
    CHECK(result["score"].get<int>() >= 85);

    auto done = run_sota(home, {"run", "--resume", id}, &world);
    CHECK(done.exit_code == 0);
    CHECK(done.err.find("already completed") != std::string::npos);
}

TEST_CASE("Ctrl-C stops a run at once and says how to resume it", "[pipeline][run][resume]") {
    test::DemoWorld world;
    test::TempHome home;
    world.section_delay_ms->store(8000);
    std::chrono::steady_clock::time_point signalled;
    auto r =
        run_sota(home, {"run", "--keyword", k_keyword, "--out", (home.path() / "out").string()},
                 &world, [&](int pid) {
                     wait_for_generation(world);
                     signalled = std::chrono::steady_clock::now();
                     ::kill(pid, SIGINT);
                 });
    const auto stopped_after = std::chrono::steady_clock::now() - signalled;
    INFO(r.err);
    CHECK(r.exit_code == 130);
    CHECK(stopped_after < std::chrono::seconds(3));  // not after the 8 s model call
    CHECK(r.err.find("Interrupted") != std::string::npos);
    const std::string id = job_id_from(r.err);
    CHECK(r.err.find("sota run --resume " + id) != std::string::npos);
    world.section_delay_ms->store(0);
    auto resumed = run_sota(home, {"run", "--resume", id}, &world);
    CHECK(resumed.exit_code == 0);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") == 1);
}

TEST_CASE("sota run --json prints each event as one JSON line", "[pipeline][run]") {
    test::DemoWorld world;
    test::TempHome home;
    auto r = run_sota(
        home, {"run", "--json", "--keyword", k_keyword, "--out", (home.path() / "o").string()},
        &world);
    REQUIRE(r.exit_code == 0);
    std::map<std::string, int> types;
    std::vector<std::string> states;
    std::size_t pos = 0;
    while (pos < r.out.size()) {
        const auto end = r.out.find('\n', pos);
        const json event = json::parse(r.out.substr(pos, end - pos), nullptr, false);
        REQUIRE_FALSE(event.is_discarded());
        CHECK(event["job_id"].get<std::string>().rfind("job_", 0) == 0);
        ++types[event["type"].get<std::string>()];
        if (event["type"] == "status_change") {
            states.push_back(event["data"]["state"].get<std::string>());
        }
        pos = end + 1;
    }
    CHECK(types["step_started"] == 8);
    CHECK(types["step_completed"] == 8);
    CHECK(types["result_ready"] == 1);
    // Completed only once the result is written; validating in between.
    CHECK(states == std::vector<std::string>{"running", "validating", "completed"});
    CHECK(types["progress_update"] > 8);
}

TEST_CASE("the README's main command replays the shipped recording with no network",
          "[pipeline][run][demo]") {
    test::TempHome home;  // no keys, no providers: only the recording
    auto r = run_sota(
        home, {"--set", "http.replay=" + source_path("data/demo/espresso.cassette.jsonl"), "run",
               "--keyword", k_keyword, "--site-pages", source_path("data/demo/site_pages.csv")});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("Replaying") != std::string::npos);
    CHECK(r.err.find("no provider was called") != std::string::npos);
    const auto dir = home.path() / "articles" / "best-espresso-grinder";
    const json result = read_json(dir / "result.json");
    CHECK(result["timings_ms"].size() == 8);
    CHECK(result["score"].get<int>() >= 90);
    CHECK(result["references"]["sources"].size() == 5);
    CHECK(test::read_text(dir / "article.md").find("## Frequently asked questions") !=
          std::string::npos);
}

TEST_CASE("bad input is refused with the field and the limit, and nothing runs",
          "[pipeline][run][validation]") {
    test::DemoWorld world;
    test::TempHome home;
    auto short_kw = run_sota(home, {"run", "--keyword", "ab"}, &world);
    CHECK(short_kw.exit_code == 2);
    CHECK(short_kw.err.find("keyword: must be 3-200 characters, got 2") != std::string::npos);

    auto model = run_sota(home, {"run", "--keyword", k_keyword, "--model", "llama3"}, &world);
    CHECK(model.exit_code == 2);
    CHECK(model.err.find("'llama3' is not on the allowlist") != std::string::npos);
    CHECK(model.err.find("llm.allowed_models") != std::string::npos);

    std::string many = "url\n";
    for (int i = 0; i < 501; ++i) {
        many += "https://s.example/p" + std::to_string(i) + "\n";
    }
    test::write_text(home.path() / "pages.csv", many);
    auto pages = run_sota(
        home, {"run", "--keyword", k_keyword, "--site-pages", (home.path() / "pages.csv").string()},
        &world);
    CHECK(pages.exit_code == 2);
    CHECK(pages.err.find("at most 500 existing pages, got 501") != std::string::npos);

    auto refresh = run_sota(home, {"run", "--keyword", k_keyword, "--mode", "refresh"}, &world);
    CHECK(refresh.exit_code == 2);
    CHECK(refresh.err.find("--url, --post-id or --file") != std::string::npos);

    auto workflow = run_sota(home, {"run", "--keyword", k_keyword, "--workflow", "nope"}, &world);
    CHECK(workflow.exit_code == 2);
    CHECK(world.llm_server.requests().empty());
    CHECK(world.serp_server.requests().empty());

    auto no_key = run_sota(home, {"run", "--keyword", k_keyword});
    CHECK(no_key.exit_code == 5);
    CHECK(no_key.err.find("sota keys set openai") != std::string::npos);
    CHECK(no_key.err.find("http.replay=") != std::string::npos);
}

TEST_CASE("refresh mode updates an existing article and reports what changed",
          "[pipeline][run][refresh]") {
    test::DemoWorld world;
    test::TempHome home;
    test::write_text(home.path() / "old.md",
                     "# Espresso grinders\n\nAn old article about the best espresso grinder.\n\n"
                     "## Burr Types Compared\n\nFlat and conical burrs differ.\n\n"
                     "## Our 2019 Picks\n\nThese models are gone now.\n");
    const auto out = home.path() / "out";
    auto r = run_sota(home,
                      {"run", "--mode", "refresh", "--file", (home.path() / "old.md").string(),
                       "--keyword", k_keyword, "--out", out.string()},
                      &world);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json result = read_json(out / "result.json");
    CHECK(result["workflow"] == "refresh");
    const json changes = result["changes"];
    CHECK(changes["sections_kept"] == json::array({"Burr Types Compared"}));
    CHECK(changes["sections_removed"] == json::array({"Our 2019 Picks"}));
    CHECK(changes["sections_added"].size() == 5);  // four new sections and the FAQ
    CHECK(changes["words_before"].get<int>() < changes["words_after"].get<int>());
    CHECK(changes["score_before"].get<int>() < changes["score_after"].get<int>());
    CHECK(test::read_text(out / "report.txt").find("What changed") != std::string::npos);
    // The blueprint saw the current article's sections.
    bool saw_current = false;
    for (const auto& req : world.llm_server.requests()) {
        saw_current = saw_current || req.body.find("Our 2019 Picks") != std::string::npos;
    }
    CHECK(saw_current);
}

TEST_CASE("workflow files add prompt steps and external-program steps", "[pipeline][run]") {
    test::DemoWorld world;
    test::TempHome home;
    test::write_text(home.path() / "stats.py",
                     "import json, sys\n"
                     "job = json.load(sys.stdin)\n"
                     "print('counting words', file=sys.stderr)\n"
                     "words = len(job['inputs']['summary'].split())\n"
                     "print(json.dumps({'stats': {'words': words, 'keyword': job['job']['keyword'],"
                     " 'audience': job['inputs']['fields']['audience']}}))\n");
    test::write_text(home.path() / "mine.toml",
                     "name = \"mine\"\n"
                     "[[steps]]\nuses = \"semantic_keywords\"\n"
                     "[[steps]]\nid = \"summary\"\ninputs = [\"keywords\"]\n"
                     "outputs = [\"summary\"]\n"
                     "prompt = \"Summarise {{keywords.primary}} for {{audience}}\"\n"
                     "[[steps]]\nid = \"stats\"\ninputs = [\"summary\"]\noutputs = [\"stats\"]\n"
                     "run = [\"python3\", \"" +
                         (home.path() / "stats.py").string() + "\"]\ntimeout = \"20s\"\n");
    const auto out = home.path() / "out";
    auto r = run_sota(home,
                      {"run", "--json", "--keyword", k_keyword, "--workflow",
                       (home.path() / "mine.toml").string(), "--field", "audience=baristas",
                       "--out", out.string()},
                      &world);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json result = read_json(out / "result.json");
    CHECK(result["artifacts"]["summary"] == "A plain answer.");
    CHECK(result["artifacts"]["stats"]["words"] == 3);
    CHECK(result["artifacts"]["stats"]["audience"] == "baristas");
    CHECK(r.out.find("stats: counting words") != std::string::npos);  // stderr kept in the log
    bool asked = false;
    for (const auto& req : world.llm_server.requests()) {
        if (req.body.find("Summarise best espresso grinder for baristas") != std::string::npos) {
            asked = true;
            // The step set no max_tokens: pipeline.max_tokens caps it (and is what a
            // tokens-per-minute limit is charged for the answer).
            CHECK(json::parse(req.body).value("max_completion_tokens", 0) == 4096);
        } else {
            // Every built-in prompt has its own cap.
            CHECK(json::parse(req.body).value("max_completion_tokens", 0) > 0);
        }
    }
    CHECK(asked);

    test::write_text(home.path() / "stats.py",
                     "import sys\nprint('bad input', file=sys.stderr)\n"
                     "sys.exit(3)\n");
    auto failed = run_sota(home,
                           {"run", "--keyword", k_keyword, "--workflow",
                            (home.path() / "mine.toml").string(), "--field", "audience=x"},
                           &world);
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("exited with status 3 (stderr: bad input)") != std::string::npos);
}

TEST_CASE("on a terminal, progress is a live block of step lines and an overall bar",
          "[pipeline][run][tty]") {
    test::DemoWorld world;
    test::TempHome home;
    world.section_delay_ms->store(700);  // long enough for several redraws
    auto r = run_sota(home,
                      {"--color", "always", "run", "--keyword", k_keyword, "--out",
                       (home.path() / "out").string()},
                      &world, {}, true);
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("\x1b[2K") != std::string::npos);   // lines cleared and redrawn
    CHECK(r.out.find("F\x1b[2K") != std::string::npos);  // cursor moved back up the block
    CHECK(r.out.find("ETA") != std::string::npos);
    CHECK(r.out.find("elapsed") != std::string::npos);
    CHECK(r.out.find("\xE2\x9C\x93 semantic_keywords") != std::string::npos);
    CHECK(r.out.find("generate           running") != std::string::npos);
    CHECK(r.out.find("[##############################] 100%") != std::string::npos);
    CHECK(r.out.find("\x1b[32m") != std::string::npos);  // colour with --color always
}

#include "tests/support/fake_wordpress.hpp"

TEST_CASE("articles publish to WordPress, whose posts are also the internal-link candidates",
          "[pipeline][run][wordpress]") {
    test::DemoWorld world;
    test::TempHome home;
    test::FakeHttpServer wp_server;
    auto wp = std::make_shared<test::FakeWordPress>();
    test::install_wordpress(wp_server, wp);
    const auto old_id = wp->add_post("Burr Grinder Maintenance", "burr-grinder-maintenance", 30);
    const std::vector<std::string> site = {"--set", "wordpress.url=" + wp_server.base_url(),
                                           "--set", "wordpress.user=" + wp->user,
                                           "--key", "wordpress=" + wp->app_password};
    auto args = site;
    args.insert(args.end(), {"run", "--keyword", k_keyword, "--publish", "draft", "--out",
                             (home.path() / "new").string()});
    auto r = run_sota(home, args, &world);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("Saved as draft (post ") != std::string::npos);
    // Said once, at the end, not also as the job log's line when it happened.
    CHECK(r.err.find("Saved as draft (post ") == r.err.rfind("Saved as draft (post "));
    CHECK(r.err.find(wp_server.base_url()) != std::string::npos);
    CHECK(r.err.find("Published") == std::string::npos);
    json created;
    {
        std::lock_guard lock(wp->mutex);
        for (const auto& [id, post] : wp->posts) {
            if (post["slug"] == "best-espresso-grinder") {
                created = post;
            }
        }
    }
    REQUIRE(created.is_object());
    CHECK(created["status"] == "draft");
    CHECK(created["content"]["raw"].get<std::string>().find("<h2>") != std::string::npos);
    const json result = read_json(home.path() / "new" / "result.json");
    CHECK(result["links"]["links"][0]["url"] ==
          wp_server.base_url() + "/burr-grinder-maintenance/");
    check_no_secret(home.path(), wp->app_password);

    // Refreshing a live post reads it from WordPress; a draft over it is refused.
    args = site;
    args.insert(args.end(), {"run", "--mode", "refresh", "--post-id", std::to_string(old_id),
                             "--keyword", k_keyword, "--publish", "draft"});
    auto refused = run_sota(home, args, &world);
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("back into a draft") != std::string::npos);
    args = site;
    args.insert(args.end(), {"run", "--mode", "refresh", "--post-id", std::to_string(old_id),
                             "--keyword", k_keyword, "--out", (home.path() / "re").string()});
    auto refreshed = run_sota(home, args, &world);
    INFO(refreshed.err);
    REQUIRE(refreshed.exit_code == 0);
    const json changes = read_json(home.path() / "re" / "result.json")["changes"];
    CHECK(changes["words_before"] == 6);  // "Old text about Burr Grinder Maintenance."
    CHECK(changes["words_after"].get<int>() > 500);
}

TEST_CASE("refresh reads a live page's main content from its URL", "[pipeline][run][refresh]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto out = home.path() / "out";
    auto r = run_sota(home,
                      {"run", "--mode", "refresh", "--url", "http://home-barista.example/article/2",
                       "--keyword", k_keyword, "--out", out.string()},
                      &world);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json changes = read_json(out / "result.json")["changes"];
    CHECK(changes["words_before"].get<int>() >= 200);  // the fake page's 4 sections of filler
    // The page's sections were Burr types, Grind size, Retention and Price.
    CHECK(changes["sections_kept"] == json::array({"Burr Types Compared"}));
    CHECK(changes["sections_removed"] == json::array({"Grind size", "Retention", "Price"}));
}

TEST_CASE("the offline demo publishes to a live site listed in http.replay_passthrough",
          "[pipeline][run][demo][passthrough][wordpress]") {
    test::TempHome home;  // no providers: the recording answers them; WordPress is live
    test::FakeHttpServer wp_server;
    auto wp = std::make_shared<test::FakeWordPress>();
    test::install_wordpress(wp_server, wp);
    const std::vector<std::string> args = {
        "--set",
        "http.replay=" + source_path("data/demo/espresso.cassette.jsonl"),
        "--set",
        "wordpress.url=" + wp_server.base_url(),
        "--set",
        "wordpress.user=" + wp->user,
        "--key",
        "wordpress=" + wp->app_password,
        "run",
        "--keyword",
        k_keyword,
        "--site-pages",
        source_path("data/demo/site_pages.csv"),
        "--publish",
        "draft"};
    // Without passthrough the site is not in the recording: nothing is published.
    auto offline = run_sota(home, args);
    CHECK(offline.exit_code != 0);
    CHECK(offline.err.find("has no answer") != std::string::npos);
    CHECK(wp->posts.empty());

    auto with_site = args;
    with_site.insert(with_site.begin(),
                     {"--set", "http.replay_passthrough=" + wp_server.base_url().substr(7)});
    auto r = run_sota(home, with_site);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("Saved as draft (post ") != std::string::npos);
    CHECK(r.err.find("only " + wp_server.base_url().substr(7) + " reached live") !=
          std::string::npos);
    std::lock_guard lock(wp->mutex);
    REQUIRE(wp->posts.size() == 1);
    CHECK(wp->posts.begin()->second["slug"] == "best-espresso-grinder");
    CHECK(wp->posts.begin()->second["status"] == "draft");
}

#include "adapters/sqlite_store.hpp"

TEST_CASE("a post deferred while WordPress is down is listed and flushed by sota publish-queue",
          "[pipeline][run][wordpress][publish]") {
    test::DemoWorld world;
    test::TempHome home;
    test::FakeHttpServer wp_server;
    auto wp = std::make_shared<test::FakeWordPress>();
    test::install_wordpress(wp_server, wp);
    const std::vector<std::string> site = {"--set", "wordpress.url=" + wp_server.base_url(),
                                           "--set", "wordpress.user=" + wp->user,
                                           "--key", "wordpress=" + wp->app_password};
    auto with_site = [&](std::vector<std::string> args) {
        args.insert(args.begin(), site.begin(), site.end());
        return args;
    };
    wp->writes_down = true;
    auto r = run_sota(home,
                      with_site({"run", "--keyword", k_keyword, "--publish", "publish", "--out",
                                 (home.path() / "a").string()}),
                      &world);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("Publishing deferred (queued)") != std::string::npos);
    CHECK(read_json(home.path() / "a" / "result.json")["published"]["deferred"] == true);
    std::string job_id;
    {
        auto store = adapters::SqliteStore::open(home.path() / "state" / "sota.db");
        REQUIRE(store);
        job_id = (*store)->recent_jobs(1).at(0).id;
    }

    auto list = run_sota(home, with_site({"publish-queue", "list"}));
    INFO(list.err);
    CHECK(list.exit_code == 0);
    CHECK(list.out.find("best-espresso-grinder") != std::string::npos);
    CHECK(list.out.find(job_id) != std::string::npos);
    CHECK(list.out.find("503") != std::string::npos);
    auto still_down = run_sota(home, with_site({"publish-queue", "flush"}));
    CHECK(still_down.exit_code == 1);
    CHECK(still_down.err.find("0 published, 1 still waiting") != std::string::npos);

    wp->writes_down = false;
    auto flushed = run_sota(home, with_site({"publish-queue", "flush"}));
    INFO(flushed.err);
    CHECK(flushed.exit_code == 0);
    CHECK(flushed.err.find("1 published") != std::string::npos);
    CHECK(run_sota(home, with_site({"publish-queue", "list", "--json"})).out == "[]\n");
    {
        std::lock_guard lock(wp->mutex);
        REQUIRE(wp->posts.size() == 1);
        CHECK(wp->posts.begin()->second["status"] == "publish");
    }
    // The job's log has the deferral and the later publish; its result the post.
    auto store = adapters::SqliteStore::open(home.path() / "state" / "sota.db");
    REQUIRE(store);
    std::string log;
    for (const auto& e : (*store)->events(job_id, 0, 1000)) {
        if (e.type == core::pipeline::EventType::log) {
            log += e.data.value("text", "") + "\n";
        }
    }
    INFO(log);
    CHECK(log.find("Publishing deferred (queued)") != std::string::npos);
    CHECK(log.find("deferred publish #1 done: Published (post ") != std::string::npos);
    const auto job = (*store)->get_job(job_id);
    REQUIRE(job);
    CHECK(job->result["published"]["status"] == "publish");
    CHECK(job->result["published"].contains("post_id"));
}
