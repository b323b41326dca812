#include <catch2/catch.hpp>

#include "adapters/curl_http_client.hpp"
#include "adapters/file_publisher.hpp"
#include "core/wordpress.hpp"
#include "tests/support/fake_wordpress.hpp"
#include "tests/support/temp_home.hpp"

using namespace sota;

namespace {
struct WpRig {
    test::FakeHttpServer server;
    std::shared_ptr<test::FakeWordPress> wp = std::make_shared<test::FakeWordPress>();
    adapters::CurlHttpClient http;

    explicit WpRig(bool pretty = true) {
        wp->pretty_permalinks = pretty;
        test::install_wordpress(server, wp);
    }
    core::WordPressClient client(bool with_auth = true) {
        return core::WordPressClient(
            http, {server.base_url(), with_auth ? wp->user : "", with_auth ? wp->app_password : "",
                   std::chrono::seconds(5)});
    }
};
}  // namespace

TEST_CASE("the API root is found by Link header, or by ?rest_route= on plain permalinks",
          "[wordpress]") {
    for (const bool pretty : {true, false}) {
        INFO("pretty permalinks: " << pretty);
        WpRig rig(pretty);
        rig.wp->add_post("Espresso basics", "espresso-basics", 10);
        auto client = rig.client();
        auto root = client.api_root();
        REQUIRE(root);
        CHECK(*root == (pretty ? rig.server.base_url() + "/wp-json/"
                               : rig.server.base_url() + "/?rest_route=/"));
        auto posts = client.list({});
        REQUIRE(posts);
        REQUIRE(posts->size() == 1);
        CHECK(posts->front().slug == "espresso-basics");
        auto me = client.me();
        REQUIRE(me);
        CHECK((*me)["name"] == rig.wp->user);
    }
}

TEST_CASE("listing pages through every page and filters by modification date", "[wordpress]") {
    WpRig rig;
    for (int i = 0; i < 7; ++i) {
        rig.wp->add_post("Post " + std::to_string(i), "post-" + std::to_string(i), i * 30,
                         {i % 2 == 0 ? 5 : 6});
    }
    auto client = rig.client();
    core::WpListQuery query;
    query.per_page = 3;
    auto all = client.list(query);
    REQUIRE(all);
    CHECK(all->size() == 7);
    CHECK(rig.server.count("/wp-json/wp/v2/posts") == 3);  // pages 1..3 of X-WP-TotalPages=3

    query.modified_before = "2026-08-26T00:00:00";  // older than 90 days
    auto stale = client.list(query);
    REQUIRE(stale);
    CHECK(stale->size() == 3);  // 120, 150 and 180 days ago; 90 days is not before the cut-off

    query = {};
    query.categories = {6};
    CHECK(client.list(query)->size() == 3);

    query.per_page = 101;
    auto too_many = client.list(query);
    REQUIRE_FALSE(too_many);
    CHECK(too_many.error().kind == core::ErrorKind::usage);
}

TEST_CASE("drafts are created and updated, and errors are decoded", "[wordpress]") {
    WpRig rig;
    auto client = rig.client();
    core::WpDraft draft;
    draft.title = "Best espresso grinder";
    draft.content = "<p>Burrs matter.</p>";
    draft.slug = "best-espresso-grinder";
    draft.categories = {3};
    auto created = client.create(draft);
    REQUIRE(created);
    CHECK(created->status == "draft");
    CHECK(created->slug == "best-espresso-grinder");
    auto fetched = client.get(created->id);
    REQUIRE(fetched);
    CHECK(fetched->content == "<p>Burrs matter.</p>");

    core::WpDraft change;
    change.status = "";
    change.excerpt = "A short summary";
    REQUIRE(client.update(created->id, change));
    CHECK(client.get(created->id)->excerpt == "A short summary");

    auto missing = client.get(99999);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == core::ErrorKind::not_found);
    CHECK(missing.error().message.find("rest_post_invalid_id") != std::string::npos);

    auto anonymous = rig.client(false);
    auto refused = anonymous.create(draft);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == core::ErrorKind::credentials);
    CHECK(refused.error().message.find("rest_cannot_create") != std::string::npos);

    core::WordPressClient wrong(
        rig.http, {rig.server.base_url(), rig.wp->user, "wrong password", std::chrono::seconds(5)});
    auto bad = wrong.me();
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == core::ErrorKind::credentials);
    CHECK(bad.error().message.find("wrong password") == std::string::npos);
}

TEST_CASE("publishing the same job's article twice updates its post instead of duplicating",
          "[wordpress]") {
    WpRig rig;
    rig.wp->registered_meta = {"sota_job"};  // the site keeps sota's post meta
    auto client = rig.client();
    core::WordPressPublisher publisher(client);
    core::Article article;
    article.title = "Grinders";
    article.slug = "grinders";
    article.job_id = "job_1";
    article.html = "<p>v1</p>";
    auto first = publisher.publish(article);
    REQUIRE(first);
    CHECK_FALSE(first->updated);
    article.html = "<p>v2</p>";
    auto second = publisher.publish(article);
    REQUIRE(second);
    CHECK(second->updated);
    CHECK(second->remote_id == first->remote_id);
    CHECK(rig.wp->posts.size() == 1);
    CHECK(client.get(*first->remote_id)->content == "<p>v2</p>");
}

TEST_CASE("the file publisher writes Markdown with front matter and HTML", "[publish]") {
    test::TempHome home;
    adapters::FilePublisher publisher(home.path() / "site");
    core::Article article;
    article.title = "Best \"espresso\" grinder";
    article.slug = "best-espresso-grinder";
    article.meta_description = "How to choose";
    article.keyword = "best espresso grinder";
    article.markdown = "# Best espresso grinder\n\nText.\n";
    article.html = "<h1>Best espresso grinder</h1>";
    article.tags = {"coffee"};
    auto r = publisher.publish(article);
    REQUIRE(r);
    const std::string md = test::read_text(home.path() / "site" / "best-espresso-grinder.md");
    CHECK(md.rfind("---\ntitle: \"Best \\\"espresso\\\" grinder\"\n", 0) == 0);
    CHECK(md.find("draft: true") != std::string::npos);
    CHECK(md.find("tags:\n  - \"coffee\"") != std::string::npos);
    CHECK(md.find("---\n\n# Best espresso grinder") != std::string::npos);
    CHECK(test::read_text(home.path() / "site" / "best-espresso-grinder.html") ==
          "<h1>Best espresso grinder</h1>");
    CHECK(publisher.publish(article)->updated);
    article.slug = "../escape";
    CHECK_FALSE(publisher.publish(article));
}

#include "adapters/sqlite_store.hpp"
#include "core/resilience/deferred_publisher.hpp"
#include "tests/support/fake_clock.hpp"

TEST_CASE("a publish that fails while WordPress is down is queued and retried with backoff",
          "[wordpress][publish]") {
    WpRig rig;
    auto client = rig.client();
    core::WordPressPublisher direct(client);
    auto store = adapters::SqliteStore::open(":memory:");
    REQUIRE(store);
    test::FakeClock clock;
    core::resilience::DeferredPublisher publisher(direct, **store, clock, "wordpress");

    core::Article article;
    article.title = "Grinders";
    article.slug = "grinders";
    article.html = "<p>text</p>";
    rig.wp->writes_down = true;
    auto queued = publisher.publish(article);
    REQUIRE(queued);
    CHECK(queued->deferred);
    CHECK(queued->location.find("publish queue #") != std::string::npos);
    auto pending = (*store)->pending_publishes("wordpress");
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].last_error.find("503") != std::string::npos);

    CHECK(publisher.drain().retried == 0);  // not due yet (about 2 s of backoff)
    clock.advance(std::chrono::seconds(3));
    auto still_down = publisher.drain();
    CHECK(still_down.retried == 1);
    CHECK((*store)->pending_publishes("wordpress").at(0).attempts == 2);

    rig.wp->writes_down = false;
    clock.advance(std::chrono::seconds(10));
    auto recovered = publisher.drain();
    CHECK(recovered.published == 1);
    CHECK((*store)->pending_publishes("wordpress").empty());
    CHECK(rig.wp->posts.size() == 1);

    // A permanent refusal is not queued: it would never succeed.
    core::WordPressClient anonymous(rig.http,
                                    {rig.server.base_url(), "", "", std::chrono::seconds(5)});
    core::WordPressPublisher refused_direct(anonymous);
    core::resilience::DeferredPublisher refused(refused_direct, **store, clock, "wordpress");
    article.slug = "other";
    CHECK_FALSE(refused.publish(article));
    CHECK((*store)->pending_publishes("wordpress").empty());
}
