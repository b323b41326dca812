// The WordPress publisher against the fake WordPress: slug conflicts, refreshes that keep the
// post's address and terms, terms by name, SEO fields, credentials, dry runs.

#include <catch2/catch.hpp>

#include "adapters/curl_http_client.hpp"
#include "core/wordpress.hpp"
#include "tests/support/fake_wordpress.hpp"

using namespace sota;
using nlohmann::json;

namespace {

struct Site {
    test::FakeHttpServer server;
    std::shared_ptr<test::FakeWordPress> wp = std::make_shared<test::FakeWordPress>();
    adapters::CurlHttpClient http;
    core::WordPressClient client;

    Site()
        : client(http, {server.base_url(), wp->user, wp->app_password, std::chrono::seconds(5)}) {
        test::install_wordpress(server, wp);
    }
    json post(std::int64_t id) {
        std::lock_guard lock(wp->mutex);
        return wp->posts.at(id);
    }
    std::size_t count() {
        std::lock_guard lock(wp->mutex);
        return wp->posts.size();
    }
    std::size_t writes() const {
        std::size_t n = 0;
        for (const auto& r : server.requests()) {
            n += r.method == "POST" || r.method == "PUT" || r.method == "DELETE";
        }
        return n;
    }
};

core::Article espresso_article() {
    core::Article a;
    a.title = "Best espresso grinder";
    a.slug = "best-espresso-grinder";
    a.meta_description = "How to choose an espresso grinder: burrs, steps, retention.";
    a.seo_title = "Best Espresso Grinder (2026): Burrs, Steps, Retention";
    a.html = "<h1>Best espresso grinder</h1>\n<p>Burrs matter.</p>\n";
    a.json_ld = R"({"@context": "https://schema.org", "@type": "Article"})";
    a.status = "draft";
    a.job_id = "job_20261203_aaaa";
    return a;
}

}  // namespace

TEST_CASE("a new article never overwrites someone else's post that holds its slug",
          "[wordpress][publish]") {
    Site site;
    const auto theirs = site.wp->add_post("Their grinder review", "best-espresso-grinder", 40);
    const json before = site.post(theirs);

    SECTION("new_slug (the default) publishes under SLUG-2") {
        core::WordPressPublisher publisher(site.client);
        auto r = publisher.publish(espresso_article());
        REQUIRE(r);
        CHECK_FALSE(r->updated);
        CHECK(r->slug == "best-espresso-grinder-2");
        CHECK(r->status == "draft");
        CHECK(*r->remote_id != theirs);
        CHECK(site.post(theirs) == before);  // untouched, still published
        CHECK(site.count() == 2);
        // SLUG-2 taken too: SLUG-3.
        auto third = publisher.publish([] {
            auto a = espresso_article();
            a.job_id = "job_20261203_bbbb";
            return a;
        }());
        REQUIRE(third);
        CHECK(third->slug == "best-espresso-grinder-3");
    }
    SECTION("refuse fails with a usage error naming the post, and writes nothing") {
        core::WordPressPublisher publisher(site.client, {core::OnConflict::refuse, true, {}});
        auto r = publisher.publish(espresso_article());
        REQUIRE_FALSE(r);
        CHECK(r.error().kind == core::ErrorKind::usage);
        CHECK(r.error().code == "wordpress.slug_taken");
        CHECK(r.error().message.find("post " + std::to_string(theirs)) != std::string::npos);
        CHECK(r.error().message.find("Their grinder review") != std::string::npos);
        CHECK(r.error().message.find("wordpress.on_conflict") != std::string::npos);
        CHECK(site.writes() == 0);
        CHECK(site.post(theirs) == before);
    }
    SECTION("update leaves a post sota did not make alone") {
        core::WordPressPublisher publisher(site.client, {core::OnConflict::update, true, {}});
        auto r = publisher.publish(espresso_article());
        REQUIRE_FALSE(r);
        CHECK(r.error().kind == core::ErrorKind::usage);
        CHECK(r.error().message.find("which sota did not make") != std::string::npos);
        CHECK(site.writes() == 0);
    }
}

TEST_CASE("update replaces only sota's own post: known by its post meta or the job database",
          "[wordpress][publish]") {
    Site site;
    SECTION("the job database knows the post") {
        const auto mine = site.wp->add_post("Old sota article", "best-espresso-grinder", 10);
        core::PublishOptions options{core::OnConflict::update, true, {}};
        options.published_by = [&](std::int64_t id) {
            return id == mine ? std::string("job_20261101_old") : std::string();
        };
        core::WordPressPublisher publisher(site.client, options);
        auto r = publisher.publish(espresso_article());
        REQUIRE(r);
        CHECK(r->updated);
        CHECK(*r->remote_id == mine);
        CHECK(r->replaced.find("Old sota article") != std::string::npos);
        CHECK(site.count() == 1);
        CHECK(site.post(mine)["title"]["raw"] == "Best espresso grinder");
        CHECK(site.post(mine)["slug"] == "best-espresso-grinder");

        // The same site with new_slug: another job's post is not updated.
        core::PublishOptions fresh = options;
        fresh.on_conflict = core::OnConflict::new_slug;
        auto other = core::WordPressPublisher(site.client, fresh).publish(espresso_article());
        REQUIRE(other);
        CHECK_FALSE(other->updated);
        CHECK(other->slug == "best-espresso-grinder-2");
    }
    SECTION("the post meta marks it (a site that registers sota_job)") {
        site.wp->registered_meta = {"sota_job"};
        core::WordPressPublisher first(site.client);
        auto created = first.publish(espresso_article());
        REQUIRE(created);
        CHECK(site.post(*created->remote_id)["meta"]["sota_job"] == "job_20261203_aaaa");
        auto again = espresso_article();
        again.job_id = "job_20261203_cccc";
        again.title = "Best espresso grinder, revised";
        auto updated = core::WordPressPublisher(site.client, {core::OnConflict::update, true, {}})
                           .publish(again);
        REQUIRE(updated);
        CHECK(updated->updated);
        CHECK(updated->remote_id == created->remote_id);
        CHECK(site.count() == 1);
    }
}

TEST_CASE("a refresh keeps the post's slug, author, date, categories and tags",
          "[wordpress][publish][refresh]") {
    Site site;
    const auto reviews = site.wp->add_term("categories", "Reviews");
    const auto id =
        site.wp->add_post("Burr grinder maintenance", "burr-grinder-maintenance", 30, {reviews}, 7);
    {
        std::lock_guard lock(site.wp->mutex);
        site.wp->posts[id]["tags"] = {3, 4};
    }
    const json before = site.post(id);
    auto article = espresso_article();
    article.slug = "a-new-slug-from-the-model";
    article.existing_id = id;
    article.status = "publish";
    article.categories = {"Maintenance"};  // added to Reviews, not instead of it
    core::WordPressPublisher publisher(site.client);
    auto r = publisher.publish(article);
    REQUIRE(r);
    CHECK(r->updated);
    CHECK(r->replaced.find("Burr grinder maintenance") != std::string::npos);
    const json after = site.post(id);
    CHECK(after["slug"] == before["slug"]);
    CHECK(after["link"] == before["link"]);
    CHECK(after["author"] == before["author"]);
    CHECK(after["date_gmt"] == before["date_gmt"]);
    CHECK(after["tags"] == before["tags"]);
    const auto categories = after["categories"].get<std::vector<std::int64_t>>();
    CHECK(categories.size() == 2);
    CHECK(categories.front() == reviews);
    CHECK(after["status"] == "publish");
    CHECK(after["title"]["raw"] == "Best espresso grinder");
    CHECK(site.count() == 1);
}

TEST_CASE("categories and tags by name, the excerpt, SEO plugin fields, JSON-LD, no second H1",
          "[wordpress][publish]") {
    Site site;
    const auto guides = site.wp->add_term("categories", "Guides");
    site.wp->namespaces.push_back("yoast/v1");
    site.wp->registered_meta = {"_yoast_wpseo_title", "_yoast_wpseo_metadesc"};
    auto article = espresso_article();
    article.categories = {"guides", "Espresso Gear"};  // one exists (any case), one is made
    article.tags = {"burr grinders"};
    core::WordPressPublisher publisher(site.client);
    auto r = publisher.publish(article);
    REQUIRE(r);
    const json post = site.post(*r->remote_id);
    const auto categories = post["categories"].get<std::vector<std::int64_t>>();
    REQUIRE(categories.size() == 2);
    CHECK(categories[0] == guides);
    {
        std::lock_guard lock(site.wp->mutex);
        CHECK(site.wp->terms["categories"].back()["name"] == "Espresso Gear");
        CHECK(site.wp->terms["tags"].back()["name"] == "burr grinders");
        CHECK(post["tags"][0] == site.wp->terms["tags"].back()["id"]);
    }
    CHECK(post["excerpt"]["raw"] == article.meta_description);
    CHECK(post["meta"]["_yoast_wpseo_title"] == article.seo_title);
    CHECK(post["meta"]["_yoast_wpseo_metadesc"] == article.meta_description);
    const std::string content = post["content"]["raw"];
    CHECK(content.find("<h1>") == std::string::npos);
    CHECK(content.rfind("<p>Burrs matter.</p>", 0) == 0);
    CHECK(content.find("<script type=\"application/ld+json\">") != std::string::npos);

    // Rank Math's fields on a site that runs it.
    Site rank;
    rank.wp->namespaces.push_back("rankmath/v1");
    rank.wp->registered_meta = {"rank_math_title", "rank_math_description"};
    auto ranked = core::WordPressPublisher(rank.client).publish(espresso_article());
    REQUIRE(ranked);
    CHECK(rank.post(*ranked->remote_id)["meta"]["rank_math_description"] ==
          article.meta_description);

    // Not allowed to create terms: a missing one is an error naming it, and nothing is written.
    Site strict;
    auto refused = core::WordPressPublisher(strict.client, {core::OnConflict::new_slug, false, {}})
                       .publish(article);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == core::ErrorKind::usage);
    CHECK(refused.error().message.find("'guides'") != std::string::npos);
    CHECK(refused.error().message.find("wordpress.create_terms") != std::string::npos);
    CHECK(strict.writes() == 0);
}

TEST_CASE("a password WordPress does not accept is a credentials error, not rest_invalid_param",
          "[wordpress][publish]") {
    for (const bool available : {true, false}) {
        INFO("application passwords available: " << available);
        Site site;
        site.wp->app_passwords_available = available;  // false: the site ignores them
        site.wp->add_post("Theirs", "best-espresso-grinder", 5);
        core::WordPressClient wrong(
            site.http, {site.server.base_url(), site.wp->user,
                        available ? "wrong pass" : site.wp->app_password, std::chrono::seconds(5)});
        auto r = core::WordPressPublisher(wrong).publish(espresso_article());
        REQUIRE_FALSE(r);
        CHECK(r.error().kind == core::ErrorKind::credentials);
        CHECK(r.error().message.find("sota keys set wordpress") != std::string::npos);
        CHECK(r.error().message.find("rest_invalid_param") == std::string::npos);
        CHECK(site.writes() == 0);

        // The status list a slug lookup asks for, as an anonymous caller gets refused.
        auto lookup = wrong.find_by_slug("best-espresso-grinder");
        REQUIRE_FALSE(lookup);
        CHECK(lookup.error().kind == core::ErrorKind::credentials);
    }
}

TEST_CASE("a dry run says what would change and writes nothing", "[wordpress][publish]") {
    Site site;
    site.wp->add_post("Their grinder review", "best-espresso-grinder", 40);
    auto article = espresso_article();
    article.tags = {"new tag"};
    core::WordPressPublisher publisher(site.client);
    auto plan = publisher.plan(article);
    REQUIRE(plan);
    const std::string text = core::describe_plan(*plan);
    INFO(text);
    CHECK(text.find("would create a post with slug 'best-espresso-grinder-2', status draft") !=
          std::string::npos);
    CHECK(text.find("belongs to post") != std::string::npos);
    CHECK(text.find("would create tag 'new tag'") != std::string::npos);
    CHECK(text.find("content: ") != std::string::npos);
    CHECK(site.writes() == 0);
    CHECK(site.count() == 1);

    const auto id = site.wp->add_post("Burr grinder maintenance", "burr-grinder-maintenance", 30);
    article.existing_id = id;
    article.status = "publish";
    auto update = publisher.plan(article);
    REQUIRE(update);
    const std::string change = core::describe_plan(*update);
    INFO(change);
    CHECK(change.find("would update post " + std::to_string(id)) != std::string::npos);
    CHECK(change.find("title: 'Burr grinder maintenance' -> 'Best espresso grinder'") !=
          std::string::npos);
    CHECK(site.writes() == 0);
}

#include "core/api/batch_rows.hpp"
#include "core/pipeline/job.hpp"

TEST_CASE("a batch row's category and tags columns become the job's WordPress terms",
          "[wordpress][publish][batch]") {
    auto job = core::api::row_to_job({{"keyword", "best grinder"},
                                      {"publish", "draft"},
                                      {"category", "Guides, Espresso Gear"},
                                      {"tags", "burr grinders,espresso,"}},
                                     {"standard", "", "standard"}, nullptr);
    REQUIRE(job);
    auto spec = core::pipeline::spec_from_json(*job);
    REQUIRE(spec);
    CHECK(spec->categories == std::vector<std::string>{"Guides", "Espresso Gear"});
    CHECK(spec->tags == std::vector<std::string>{"burr grinders", "espresso"});
    CHECK((*job)["fields"]["category"] == "Guides, Espresso Gear");  // prompts still see it
    // Stored and read back with the job.
    CHECK(core::pipeline::spec_from_json(core::pipeline::to_json(*spec))->tags == spec->tags);
}
