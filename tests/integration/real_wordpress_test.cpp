// `sota` publishing to a real WordPress (Debian's wordpress package on MariaDB, served by
// php -S; tests/wordpress/start-wordpress). Skipped, with a message, where the packages are
// missing. Hidden from the default run ([.]): ctest runs it as its own test with a longer
// timeout (tests/CMakeLists.txt).

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "adapters/curl_http_client.hpp"
#include "core/base64.hpp"
#include "tests/support/demo_world.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string k_keyword = "best espresso grinder";
const std::string k_slug = "best-espresso-grinder";

/// A real WordPress for the length of a test.
class RealWordPress {
  public:
    explicit RealWordPress(const fs::path& dir) : m_dir(dir) {
        test::ProcessSpec spec;
        spec.argv = {std::string(SOTA_SOURCE_DIR) + "/tests/wordpress/start-wordpress",
                     dir.string()};
        spec.env = test::clean_env(dir.string());
        spec.timeout = std::chrono::seconds(90);
        const auto r = test::run_process(spec);
        if (r.exit_code == 77) {
            skipped = r.err;
            return;
        }
        started = true;  // stop what did start, whatever failed after
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        std::istringstream in(r.out);
        for (std::string line; std::getline(in, line);) {
            const auto eq = line.find('=');
            if (eq != std::string::npos) {
                env[line.substr(0, eq)] = line.substr(eq + 1);
            }
        }
        REQUIRE(env.count("APP_PASSWORD"));
    }
    ~RealWordPress() {
        if (started) {
            test::ProcessSpec spec;
            spec.argv = {std::string(SOTA_SOURCE_DIR) + "/tests/wordpress/stop-wordpress",
                         m_dir.string()};
            spec.env = test::clean_env(m_dir.string());
            spec.timeout = std::chrono::seconds(30);
            (void)test::run_process(spec);
        }
    }
    RealWordPress(const RealWordPress&) = delete;
    RealWordPress& operator=(const RealWordPress&) = delete;

    /// A REST call as the administrator; the answer's JSON.
    json rest(const std::string& method, const std::string& route, const json& body = nullptr) {
        core::HttpRequest r;
        r.method = method;
        r.url = env["URL"] + "/wp-json/" + route;
        r.headers.emplace_back("Authorization",
                               "Basic " + core::base64_encode("admin:" + env["APP_PASSWORD"]));
        if (!body.is_null()) {
            r.headers.emplace_back("Content-Type", "application/json");
            r.body = body.dump();
        }
        r.set_deadline(std::chrono::seconds(30));
        auto response = m_http.perform(std::move(r));
        REQUIRE(response);
        INFO(method << " " << route << ": " << response->body);
        REQUIRE(response->status < 300);
        return json::parse(response->body);
    }
    /// Every post of any status, by id.
    std::map<std::int64_t, json> posts() {
        std::map<std::int64_t, json> out;
        for (const auto& p :
             rest("GET", "wp/v2/posts?context=edit&per_page=100&status=publish,draft,pending")) {
            out[p["id"].get<std::int64_t>()] = p;
        }
        return out;
    }
    std::string term_name(const std::string& taxonomy, std::int64_t id) {
        return rest("GET", "wp/v2/" + taxonomy + "/" + std::to_string(id))["name"];
    }

    bool started = false;
    std::string skipped;
    std::map<std::string, std::string> env;

  private:
    fs::path m_dir;
    adapters::CurlHttpClient m_http;
};

test::ProcessResult run_sota(const test::TempHome& home, const test::DemoWorld& world,
                             RealWordPress& wp, std::vector<std::string> args,
                             const std::string& password = "") {
    test::ProcessSpec spec;
    spec.argv = {SOTA_BINARY};
    for (const auto& a : world.sota_args()) {
        spec.argv.push_back(a);
    }
    for (const auto& a : std::vector<std::string>{
             "--set", "wordpress.url=" + wp.env["URL"], "--set", "wordpress.user=admin", "--key",
             "wordpress=" + (password.empty() ? wp.env["APP_PASSWORD"] : password)}) {
        spec.argv.push_back(a);
    }
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = test::clean_env(home.str());
    spec.env["SOTA_HOME"] = home.str();
    spec.timeout = std::chrono::seconds(90);
    spec.cwd = home.str();
    return test::run_process(spec);
}

json read_json(const fs::path& file) {
    std::ifstream in(file);
    return json::parse(in, nullptr, false);
}

}  // namespace

TEST_CASE("publishing to a real WordPress never damages the site",
          "[.realwordpress][wordpress][publish]") {
    test::TempHome home;
    RealWordPress wp(home.path() / "wordpress");
    if (!wp.skipped.empty()) {
        WARN("real WordPress test skipped: " << wp.skipped);
        return;
    }
    test::DemoWorld world;
    auto sota = [&](std::vector<std::string> args, const std::string& password = "") {
        return run_sota(home, world, wp, std::move(args), password);
    };

    // 1. A first article, published, with a category and tags by name (created).
    auto first =
        sota({"run", "--keyword", k_keyword, "--publish", "publish", "--category", "Guides",
              "--tag", "burr grinders,espresso", "--out", (home.path() / "first").string()});
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(first.err.find("Published (post ") != std::string::npos);
    const json first_result = read_json(home.path() / "first" / "result.json");
    const json published = first_result["published"];
    REQUIRE(published.contains("post_id"));
    const auto mine = published["post_id"].get<std::int64_t>();
    CHECK(published["status"] == "publish");
    CHECK(published["url"] == wp.env["URL"] + "/" + k_slug + "/");
    json post = wp.posts().at(mine);
    CHECK(post["slug"] == k_slug);
    REQUIRE(post["categories"].size() == 1);
    CHECK(wp.term_name("categories", post["categories"][0]) == "Guides");
    REQUIRE(post["tags"].size() == 2);
    CHECK(wp.term_name("tags", post["tags"][0]) == "burr grinders");
    const json article = first_result["article"];
    CHECK(post["excerpt"]["raw"] == article["meta_description"]);
    const std::string content = post["content"]["raw"];
    CHECK(content.find("<h1") == std::string::npos);  // the theme shows the title
    CHECK(content.find("<h2") != std::string::npos);
    CHECK(content.find("application/ld+json") != std::string::npos);

    // 2. The same keyword with on_conflict = update: sota's own post (the job database knows
    // it) is updated in place, and the run says what it replaced.
    auto again = sota({"--set", "wordpress.on_conflict=update", "run", "--keyword", k_keyword,
                       "--publish", "publish", "--out", (home.path() / "again").string()});
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(again.err.find("Updated (post " + std::to_string(mine) + ")") != std::string::npos);
    CHECK(again.err.find("replaced post " + std::to_string(mine)) != std::string::npos);
    CHECK(wp.posts().size() == 1);

    // Someone else's post takes the slug (sota's moves away).
    wp.rest("POST", "wp/v2/posts/" + std::to_string(mine), {{"slug", "sota-moved-away"}});
    const json theirs = wp.rest("POST", "wp/v2/posts",
                                {{"title", "A writer's grinder review"},
                                 {"slug", k_slug},
                                 {"status", "publish"},
                                 {"author", std::stoll(wp.env["WRITER_ID"])},
                                 {"content", "<p>My own words about grinders.</p>"}});
    const auto their_id = theirs["id"].get<std::int64_t>();
    REQUIRE(theirs["slug"] == k_slug);

    // 3. Dry run: says what it would do, changes nothing.
    auto dry = sota({"run", "--keyword", k_keyword, "--publish", "draft", "--dry-run", "--out",
                     (home.path() / "dry").string()});
    INFO(dry.err);
    REQUIRE(dry.exit_code == 0);
    CHECK(dry.err.find("Dry run: nothing was changed") != std::string::npos);
    CHECK(dry.err.find("would create a post with slug '" + k_slug + "-2', status draft") !=
          std::string::npos);
    CHECK(wp.posts().size() == 2);

    // 4. The default (new_slug): a draft under SLUG-2; their post is untouched and online.
    auto draft = sota({"run", "--keyword", k_keyword, "--publish", "draft", "--out",
                       (home.path() / "d").string()});
    INFO(draft.err);
    REQUIRE(draft.exit_code == 0);
    CHECK(draft.err.find("Saved as draft (post ") != std::string::npos);
    CHECK(draft.err.find("Published") == std::string::npos);
    const json draft_published = read_json(home.path() / "d" / "result.json")["published"];
    CHECK(draft_published["status"] == "draft");
    CHECK(draft_published["slug"] == k_slug + "-2");
    auto all = wp.posts();
    CHECK(all.size() == 3);
    CHECK(all.at(their_id)["status"] == "publish");
    CHECK(all.at(their_id)["content"]["raw"] == "<p>My own words about grinders.</p>");
    CHECK(all.at(their_id)["modified_gmt"] == theirs["modified_gmt"]);

    // 5. refuse: exit 2, nothing written.
    auto refused = sota({"--set", "wordpress.on_conflict=refuse", "run", "--keyword", k_keyword,
                         "--publish", "draft", "--out", (home.path() / "r").string()});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("belongs to post " + std::to_string(their_id)) != std::string::npos);
    CHECK(wp.posts().size() == 3);

    // 6. update: their post is not sota's, so it is refused too.
    auto not_mine = sota({"--set", "wordpress.on_conflict=update", "run", "--keyword", k_keyword,
                          "--publish", "publish", "--out", (home.path() / "u").string()});
    CHECK(not_mine.exit_code == 2);
    CHECK(not_mine.err.find("which sota did not make") != std::string::npos);
    CHECK(wp.posts().at(their_id)["content"]["raw"] == "<p>My own words about grinders.</p>");

    // 7. Refresh their post by its URL: read through the REST API; slug, author, date,
    // categories and tags kept.
    const auto reviews = wp.rest("POST", "wp/v2/categories", {{"name", "Reviews"}})["id"];
    const auto tag = wp.rest("POST", "wp/v2/tags", {{"name", "grinders"}})["id"];
    wp.rest("POST", "wp/v2/posts/" + std::to_string(their_id),
            {{"categories", {reviews}}, {"tags", {tag}}});
    const json before = wp.posts().at(their_id);
    auto refreshed =
        sota({"run", "--mode", "refresh", "--url", wp.env["URL"] + "/" + k_slug + "/", "--keyword",
              k_keyword, "--publish", "publish", "--out", (home.path() / "re").string()});
    INFO(refreshed.err);
    REQUIRE(refreshed.exit_code == 0);
    CHECK(refreshed.err.find("Updated (post " + std::to_string(their_id) + ")") !=
          std::string::npos);
    const json changes = read_json(home.path() / "re" / "result.json")["changes"];
    CHECK(changes["words_before"] == 5);  // "My own words about grinders." and nothing else
    const json after = wp.posts().at(their_id);
    CHECK(after["slug"] == before["slug"]);
    CHECK(after["link"] == before["link"]);
    CHECK(after["author"] == before["author"]);
    CHECK(after["date_gmt"] == before["date_gmt"]);
    CHECK(after["categories"] == before["categories"]);
    CHECK(after["tags"] == before["tags"]);
    CHECK(after["status"] == "publish");
    CHECK(after["content"]["raw"] != before["content"]["raw"]);

    // 8. A wrong application password: a credentials error, exit 5.
    auto wrong = sota({"run", "--keyword", k_keyword, "--publish", "draft", "--out",
                       (home.path() / "w").string()},
                      "abcd efgh ijkl mnop qrst uvwx");
    CHECK(wrong.exit_code == 5);
    CHECK(wrong.err.find("sota keys set wordpress") != std::string::npos);
    CHECK(wrong.err.find("rest_invalid_param") == std::string::npos);
    CHECK(wrong.err.find("abcd efgh") == std::string::npos);
    CHECK(wp.posts().size() == 3);
}
