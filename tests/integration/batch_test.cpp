// sota batch and sota refresh, inline and through the real sotad.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/sotad_harness.hpp"
#include "tests/support/fake_wordpress.hpp"

using namespace sota;
using nlohmann::json;
using test::first_line;
using test::k_keyword;
using test::k_no_cache;
namespace fs = std::filesystem;

TEST_CASE("sota batch checks every row, runs them inline or through sotad, never twice",
          "[batch][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    test::write_text(home.path() / "bad.csv",
                     "keyword,priority\nbest espresso grinder,1\nab,2\nburr grinder,high\n");
    auto refused = run_sota(home, env, {"batch", "bad.csv"});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("bad.csv:3: keyword: must be 3-200 characters") != std::string::npos);
    CHECK(refused.err.find("bad.csv:4: priority: must be a whole number") != std::string::npos);
    CHECK(refused.err.find("nothing was submitted") != std::string::npos);
    CHECK(world.llm_server.requests().empty());

    auto dry = run_sota(home, env, {"batch", "bad.csv", "--dry-run", "--json", "--skip-invalid"});
    CHECK(dry.exit_code == 0);
    CHECK(json::parse(first_line(dry.out))["job"]["keyword"] == "best espresso grinder");

    // Inline, a bounded pool; a row that fails makes the exit code 4.
    test::write_text(home.path() / "k.csv",
                     "keyword,mode,url\n"
                     "best espresso grinder,,\n"
                     "best burr grinder,,\n"
                     "espresso grinder refresh,refresh,http://home-barista.example/gone\n");
    auto inline_run = run_sota(home, env, {"batch", "k.csv", "--results", "r.csv"});
    INFO(inline_run.err);
    CHECK(inline_run.exit_code == 4);
    CHECK(inline_run.err.find("2 completed, 1 failed, 0 skipped") != std::string::npos);
    const std::string results = test::read_text(home.path() / "r.csv");
    CHECK(results.rfind("line,keyword,job_id,status,score,cost_usd,tokens,directory,error", 0) ==
          0);
    CHECK(results.find("\r\n4,espresso grinder refresh,,failed,") != std::string::npos);
    const auto blueprints = test::prompts_seen(world.llm_server).at("blueprint");
    CHECK(blueprints == 2);

    // The same file again, inline or through the daemon: finished rows are not run again.
    auto again = run_sota(home, env, {"batch", "k.csv"});
    CHECK(again.exit_code == 4);
    auto daemon = start_daemon(home, env);
    // sotad checks each row's inputs too: the page to refresh is gone, so nothing is queued.
    auto gone = run_sota(home, env, {"batch", "k.csv", "--daemon"});
    CHECK(gone.exit_code == 2);
    CHECK(gone.err.find("home-barista.example/gone") != std::string::npos);
    test::write_text(home.path() / "good.csv",
                     "keyword\nbest espresso grinder\nbest burr grinder\nquiet grinder\n");
    auto submitted =
        run_sota(home, env, {"batch", "good.csv", "--daemon", "--wait", "--results", "r.json"});
    INFO(submitted.err);
    CHECK(submitted.exit_code == 0);
    CHECK(first_line(submitted.out).rfind("batch_", 0) == 0);
    CHECK(submitted.err.find("3 completed, 0 failed") != std::string::npos);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") ==
          blueprints + 1);  // only the new row
    CHECK(json::parse(test::read_text(home.path() / "r.json")).size() == 3);
}

namespace {

/// Runs `sota batch FILE --parallel 2` and kills it (SIGKILL) once both jobs are writing
/// sections; returns the batch id it printed.
std::string killed_batch(const test::TempHome& home, const std::map<std::string, std::string>& env,
                         test::DemoWorld& world, const std::string& file) {
    const auto sections = test::prompts_seen(world.llm_server)["write_section"];
    test::ProcessSpec spec;
    spec.argv = {SOTA_BINARY, "batch", file, "--parallel", "2"};
    spec.env = env;
    spec.cwd = home.str();
    spec.during = [&](int pid) {
        // One job sends at most 4 sections at once: 5 means both are past their blueprints.
        for (int i = 0;
             i < 400 && test::prompts_seen(world.llm_server)["write_section"] < sections + 5; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::kill(pid, SIGKILL);
    };
    const auto r = test::run_process(spec);
    CHECK(r.exit_code == 128 + SIGKILL);
    const auto at = r.err.find("batch batch_");
    REQUIRE(at != std::string::npos);
    return r.err.substr(at + 6, r.err.find(':', at) - at - 6);
}

}  // namespace

TEST_CASE("sota batch --resume continues a killed batch from its checkpoints, here or in sotad",
          "[batch][integration][resume]") {
    test::DemoWorld world;
    test::TempHome home;
    auto env = world_env(home, world);
    env.insert(k_no_cache.begin(), k_no_cache.end());
    test::write_text(home.path() / "a.csv", "keyword\nbest espresso grinder\nbest burr grinder\n");
    test::write_text(home.path() / "b.csv", "keyword\nquiet coffee grinder\nhand grinder\n");
    CHECK(run_sota(home, env, {"batch", "--resume", "batch_1_0000000"}).exit_code == 1);
    CHECK(run_sota(home, env, {"batch", "a.csv", "--resume", "x"}).exit_code == 2);

    world.section_delay_ms->store(4000);
    const std::string first = killed_batch(home, env, world, "a.csv");
    world.section_delay_ms->store(0);
    auto resumed = run_sota(home, env, {"batch", "--resume", first, "--results", "r.csv"});
    INFO(resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(resumed.err.find("2 completed, 0 failed") != std::string::npos);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") == 2);  // restored, not asked again
    CHECK(test::prompts_seen(world.llm_server).at("semantic_keywords") == 2);

    // The second batch is handed to sotad, which resumes both jobs.
    world.section_delay_ms->store(4000);
    const std::string second = killed_batch(home, env, world, "b.csv");
    world.section_delay_ms->store(0);
    auto daemon = start_daemon(home, env);
    auto handed = run_sota(home, env, {"batch", "--resume", second, "--daemon", "--wait"});
    INFO(handed.err << daemon->log());
    CHECK(handed.exit_code == 0);
    // sotad requeues jobs left running by a dead process when it starts; the rest on --resume.
    CHECK(handed.err.find("jobs queued again") != std::string::npos);
    CHECK(handed.err.find("2 completed, 0 failed") != std::string::npos);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") == 4);
    CHECK(test::prompts_seen(world.llm_server).at("gap_analysis") == 4);
}

TEST_CASE("an inline batch on a terminal shows an overall bar and a line per running job",
          "[batch][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    test::write_text(home.path() / "k.csv", "keyword\nbest espresso grinder\nbest burr grinder\n");
    world.section_delay_ms->store(400);
    test::ProcessSpec spec;
    spec.argv = {SOTA_BINARY, "batch", "k.csv", "--parallel", "2"};
    spec.env = env;
    spec.cwd = home.str();
    spec.pty = true;
    spec.timeout = std::chrono::seconds(60);
    const auto r = test::run_process(spec);
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("\x1b[") != std::string::npos);  // redrawn in place
    CHECK(r.out.find("0/2 done, 0 failed, 2 running") != std::string::npos);
    CHECK(r.out.find("best burr grinder") != std::string::npos);
    CHECK(r.out.find("step 4/8 generate") != std::string::npos);
    CHECK(r.out.find("2/2 done, 0 failed, 0 running") != std::string::npos);
    CHECK(r.out.find("[##############################]") != std::string::npos);
    CHECK(r.out.find("2 completed, 0 failed") != std::string::npos);
}

TEST_CASE("sota refresh picks stale WordPress posts, is safe under cron, and runs each once",
          "[refresh][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    test::FakeHttpServer wp_server;
    auto wp = std::make_shared<test::FakeWordPress>();
    test::install_wordpress(wp_server, wp);
    const auto old1 =
        wp->add_post("Best Espresso Grinder Guide", "espresso-grinder-guide", 200, {7});
    wp->terms["categories"] = {
        {{"id", 7}, {"name", "Espresso Machines"}, {"slug", "espresso-machines"}},
        {{"id", 8},
         {
             "name",
             "Espresso",
         },
         {"slug", "espresso"}}};
    const auto old2 = wp->add_post("Burr Grinder Basics", "burr-grinder-basics", 120);
    wp->add_post("This Week in Coffee", "this-week", 5);
    auto env = world_env(home, world);
    env["SOTA_WORDPRESS_URL"] = wp_server.base_url();
    env["SOTA_WORDPRESS_USER"] = wp->user;
    env["WORDPRESS_APP_PASSWORD"] = wp->app_password;

    auto dry = run_sota(home, env, {"refresh", "--older-than", "90d", "--dry-run"});
    INFO(dry.err);
    REQUIRE(dry.exit_code == 0);
    CHECK(dry.out.find(std::to_string(old1) + "\t") != std::string::npos);
    CHECK(dry.out.find(std::to_string(old2) + "\t") != std::string::npos);
    CHECK(dry.out.find("this-week") == std::string::npos);
    CHECK(dry.err.find("2 article(s) to refresh (dry run") != std::string::npos);
    CHECK(world.llm_server.requests().empty());

    // Categories by name (any case), slug or id; an unknown one is named.
    for (const char* category : {"espresso machines", "espresso-machines", "7"}) {
        auto in_category = run_sota(
            home, env, {"refresh", "--older-than", "90d", "--category", category, "--dry-run"});
        INFO(category << ": " << in_category.err);
        CHECK(in_category.exit_code == 0);
        CHECK(in_category.out.find(std::to_string(old1) + "\t") != std::string::npos);
        CHECK(in_category.out.find(std::to_string(old2) + "\t") == std::string::npos);
    }
    auto unknown = run_sota(home, env, {"refresh", "--category", "Grinders", "--dry-run"});
    CHECK(unknown.exit_code != 0);
    CHECK(unknown.err.find("no category 'Grinders'") != std::string::npos);

    {
        // Another refresh holds the lock: this one skips, successfully.
        fs::create_directories(home.path() / "run");
        const int fd =
            ::open((home.path() / "run" / "refresh.lock").c_str(), O_RDWR | O_CREAT, 0600);
        REQUIRE(::flock(fd, LOCK_EX) == 0);
        auto busy = run_sota(home, env, {"refresh", "--older-than", "90d"});
        CHECK(busy.exit_code == 0);
        CHECK(busy.err.find("still running; skipping") != std::string::npos);
        ::close(fd);
    }

    auto ran = run_sota(home, env, {"refresh", "--older-than", "90d", "--results", "r.csv"});
    INFO(ran.err);
    CHECK(ran.exit_code == 0);
    CHECK(ran.err.find("2 completed, 0 failed") != std::string::npos);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") == 2);
    auto again = run_sota(home, env, {"refresh", "--older-than", "90d"});
    CHECK(again.exit_code == 0);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") == 2);  // the same posts: not again

    // Or from a list of pages instead of WordPress.
    test::write_text(home.path() / "pages.txt",
                     "https://blog.example/dial-in-espresso/\nhttps://blog.example/burr-care/\n");
    auto listed =
        run_sota(home, env, {"refresh", "--from", "pages.txt", "--dry-run", "--limit", "1"});
    CHECK(listed.exit_code == 0);
    CHECK(listed.out == "-\t-\thttps://blog.example/dial-in-espresso/\n");

    auto no_site = run_sota(home, world_env(home, world), {"refresh", "--older-than", "90d"});
    CHECK(no_site.exit_code == 5);
    CHECK(no_site.err.find("wordpress.url") != std::string::npos);
}

namespace {

/// A CSV of `rows` keywords, each with a brief of about 1,500 tokens (7,000 characters); the
/// row at `gone_row` (1-based, 0 for none) refreshes a page that does not exist.
std::string long_rows(int rows, int gone_row) {
    std::string brief;
    while (brief.size() < 7000) {
        brief += "a grinder that is quiet, consistent and easy to clean for home baristas; ";
    }
    std::string text = "keyword,mode,url,brief\n";
    for (int i = 1; i <= rows; ++i) {
        if (i == gone_row) {
            text += "espresso grinder refresh,refresh,http://home-barista.example/gone,\"" + brief +
                    "\"\n";
        } else {
            text += "espresso grinder number " + std::to_string(i) + ",,,\"" + brief + "\"\n";
        }
    }
    return text;
}

}  // namespace

TEST_CASE("sota batch --daemon cuts parts by bytes, says what joined, and what stopped",
          "[batch][integration][daemon]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    world.section_delay_ms->store(2000);  // the first job keeps the only worker busy
    auto daemon = start_daemon(home, env, 1);
    // 250 rows of 7 KB: 1.8 MB, which sotad refused whole ("request bodies are limited to 1
    // MiB"). A row sotad refuses in a later part stops the sending there.
    test::write_text(home.path() / "long.csv", long_rows(250, 200));
    REQUIRE(fs::file_size(home.path() / "long.csv") > 1'700'000);
    auto stopped = run_sota(home, env, {"batch", "long.csv", "--daemon"});
    INFO(stopped.err);
    CHECK(stopped.exit_code == 2);
    CHECK(stopped.err.find("long.csv:201: ") != std::string::npos);  // the row sotad refused
    CHECK(stopped.err.find("request bodies are limited") == std::string::npos);
    const std::string first = first_line(stopped.out);
    CHECK(first.rfind("batch_", 0) == 0);
    CHECK(stopped.err.find("batch " + first + " holds the rows before long.csv:") !=
          std::string::npos);
    CHECK(stopped.err.find("sota batch long.csv --daemon") != std::string::npos);
    auto status = run_sota(home, env, {"batch", "status", first, "--json"});
    REQUIRE(status.exit_code == 0);
    const auto sent = json::parse(status.out)["total"].get<int>();
    CHECK(sent > 0);
    CHECK(sent < 200);

    // Fixed and sent again: one id on stdout, and the rows sent before join their jobs.
    test::write_text(home.path() / "long.csv", long_rows(250, 0));
    auto again = run_sota(home, env, {"batch", "long.csv", "--daemon"});
    INFO(again.err);
    CHECK(again.exit_code == 0);
    const std::string second = first_line(again.out);
    CHECK(again.out == second + "\n");
    CHECK(again.err.find("250 rows in batch " + second + ": " + std::to_string(250 - sent) +
                         " new jobs, " + std::to_string(sent) +
                         " joined the jobs of the same rows sent before") != std::string::npos);
    auto list = run_sota(home, env, {"batch", "list", "--json"});
    REQUIRE(list.exit_code == 0);
    const auto batches = json::parse(list.out);
    REQUIRE(batches.size() == 2);
    CHECK(batches[0]["batch_id"] == second);  // newest first
    CHECK(batches[0]["total"] == 250 - sent);
    CHECK(batches[1]["batch_id"] == first);
    auto human = run_sota(home, env, {"batch", "list"});
    CHECK(human.out.find(first) != std::string::npos);
    CHECK(run_sota(home, env, {"batch", "status", "batch_1_0000000"}).exit_code == 1);
}

TEST_CASE(
    "sota batch --daemon --results waits and writes them, and batch results writes them later",
    "[batch][integration][daemon]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    auto daemon = start_daemon(home, env);
    test::write_text(home.path() / "k.csv",
                     "keyword,mode,url\n"
                     "best espresso grinder,,\n"
                     "best burr grinder,,\n");
    auto run = run_sota(home, env, {"batch", "k.csv", "--daemon", "--results", "r.csv"});
    INFO(run.err << daemon->log());
    CHECK(run.exit_code == 0);
    const std::string id = first_line(run.out);
    CHECK(run.err.find("waiting for the jobs to end to write r.csv") != std::string::npos);
    CHECK(run.err.find("2 completed, 0 failed") != std::string::npos);
    const std::string results = test::read_text(home.path() / "r.csv");
    CHECK(results.find("\r\n2,best espresso grinder,job_") != std::string::npos);
    CHECK(results.find("\r\n3,best burr grinder,job_") != std::string::npos);

    auto later = run_sota(home, env, {"batch", "results", id, "-o", "later.json"});
    CHECK(later.exit_code == 0);
    const auto rows = json::parse(test::read_text(home.path() / "later.json"));
    REQUIRE(rows.size() == 2);
    CHECK(rows[0]["status"] == "completed");
    CHECK(rows[1]["keyword"] == "best burr grinder");
    auto status = run_sota(home, env, {"batch", "status", id});
    CHECK(status.exit_code == 0);
    CHECK(status.out.find(id + ": 2 jobs: 2 completed") != std::string::npos);
}

TEST_CASE("strict CSV: a malformed batch file is refused before anything is submitted",
          "[batch][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    const std::map<std::string, std::string> files = {
        {"quote.csv", "keyword,tone\n\"best grinder,dry\nburr grinder,warm\n"},
        {"after.csv", "keyword,tone\n\"best\" grinder,dry\n"},
        {"short.csv", "keyword,tone,audience\nbest grinder,dry\n"},
        {"latin1.csv", "keyword,tone\ncaf\xE9 grinder,dry\n"},
        {"twice.csv", "keyword,Tone,tone\nbest grinder,dry,warm\n"},
    };
    const std::map<std::string, std::string> expected = {
        {"quote.csv", "quote.csv:2:1: the quoted field that starts here is never closed"},
        {"after.csv", "after.csv:2:7: text after the closing quote"},
        {"short.csv", "short.csv:2:17: 2 fields but the header has 3; add the missing field"},
        {"latin1.csv", "latin1.csv:2:4: this is not UTF-8 (byte 0xE9); save the file as UTF-8"},
        {"twice.csv", "twice.csv:1: the header names column 'tone' twice"},
    };
    for (const auto& [name, text] : files) {
        test::write_text(home.path() / name, text);
        auto r = run_sota(home, env, {"batch", name});
        INFO(name << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(expected.at(name)) != std::string::npos);
        CHECK(r.err.find("nothing was submitted") != std::string::npos);
        CHECK(r.err.find("This is a bug") == std::string::npos);
    }
    CHECK(world.llm_server.requests().empty());
    // --skip-invalid runs the rest and lists what it skipped.
    test::write_text(home.path() / "mixed.csv",
                     "keyword,tone\nbest espresso grinder,\n\"x\"y,dry\ncaf\xE9,dry\n");
    auto skipped = run_sota(home, env, {"batch", "mixed.csv", "--skip-invalid"});
    INFO(skipped.err);
    CHECK(skipped.exit_code == 0);
    CHECK(skipped.err.find("mixed.csv:3:4: text after the closing quote") != std::string::npos);
    CHECK(skipped.err.find("mixed.csv:4:4: this is not UTF-8") != std::string::npos);
    CHECK(skipped.err.find("1 completed, 0 failed, 2 skipped") != std::string::npos);
}

TEST_CASE("an inline batch with no key for the model stops at once, naming the key to set",
          "[batch][integration]") {
    test::TempHome home;
    auto env = test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    test::write_text(home.path() / "k.csv", "keyword\nburr grinder review\n");
    const auto started = std::chrono::steady_clock::now();
    auto r = run_sota(home, env, {"batch", "k.csv"});
    INFO(r.err);
    CHECK(r.exit_code == 5);
    CHECK(r.err.find("no API key for openai: add one with `sota keys set openai`") !=
          std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
    CHECK(run_sota(home, env, {"list", "--json"}).out.find("burr grinder") == std::string::npos);
}

TEST_CASE("Ctrl-C stops an inline batch and prints its id and how to continue it",
          "[batch][integration]") {
    test::DemoWorld world;
    test::TempHome home;
    auto env = world_env(home, world);
    test::write_text(home.path() / "k.csv",
                     "keyword\nbest espresso grinder\nbest burr grinder\nquiet grinder\n");
    world.section_delay_ms->store(3000);
    test::ProcessSpec spec;
    spec.argv = {SOTA_BINARY, "batch", "k.csv", "--parallel", "1"};
    spec.env = env;
    spec.cwd = home.str();
    spec.during = [&](int pid) {
        for (int i = 0; i < 400 && test::prompts_seen(world.llm_server)["write_section"] == 0;
             ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::kill(pid, SIGINT);
    };
    const auto r = test::run_process(spec);
    INFO(r.err);
    CHECK(r.exit_code == 130);
    const std::string id = first_line(r.out);
    CHECK(id.rfind("batch_", 0) == 0);
    CHECK(r.err.find("batch " + id + " stopped with 3 of 3 rows not done") != std::string::npos);
    CHECK(r.err.find("  sota batch k.csv\n") != std::string::npos);
    CHECK(r.err.find("k.csv:3: best burr grinder: not started") != std::string::npos);
    // The same command finishes it; the interrupted job goes on from its checkpoints.
    world.section_delay_ms->store(0);
    auto again = run_sota(home, env, {"batch", "k.csv"});
    INFO(again.err);
    CHECK(again.exit_code == 0);
    CHECK(again.err.find("3 completed, 0 failed") != std::string::npos);
    CHECK(again.err.find("1 row joined the job made for the same row before") != std::string::npos);
    CHECK(test::prompts_seen(world.llm_server).at("blueprint") == 3);
}
