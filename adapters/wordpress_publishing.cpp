#include "adapters/wordpress_publishing.hpp"

#include <spdlog/spdlog.h>

#include "adapters/services.hpp"
#include "adapters/sqlite_store.hpp"
#include "core/config_schema.hpp"
#include "core/pipeline/engine.hpp"
#include "core/wordpress.hpp"

namespace sota::adapters {

using nlohmann::json;

namespace {

/// The JSON-LD of an article page (compose's html_document puts one script in its head).
std::string json_ld_of(const std::string& html) {
    const std::string open = "<script type=\"application/ld+json\">";
    const auto start = html.find(open);
    if (start == std::string::npos) {
        return "";
    }
    const auto body = start + open.size();
    const auto end = html.find("</script>", body);
    if (end == std::string::npos) {
        return "";
    }
    std::string ld = html.substr(body, end - body);
    while (!ld.empty() && (ld.front() == '\n' || ld.front() == ' ')) {
        ld.erase(ld.begin());
    }
    while (!ld.empty() && (ld.back() == '\n' || ld.back() == ' ')) {
        ld.pop_back();
    }
    return ld;
}

/// result.json's "published" for a post that went out.
json published_record(const std::string& site, const core::PublishResult& r) {
    json out = {{"site", site},          {"location", r.location}, {"url", r.location},
                {"status", r.status},    {"slug", r.slug},         {"updated", r.updated},
                {"deferred", r.deferred}};
    if (r.remote_id) {
        out["post_id"] = *r.remote_id;
    }
    out["action"] = r.deferred ? "deferred" : r.updated ? "updated" : "created";
    if (!r.replaced.empty()) {
        out["replaced"] = r.replaced;
    }
    return out;
}

}  // namespace

core::Article article_for_job(const core::pipeline::JobSpec& spec, const std::string& job_id,
                              const json& article,
                              const std::function<std::string(const std::string&)>& render) {
    core::Article a;
    a.title = article.value("title", "");
    a.slug = article.value("slug", "");
    a.meta_description = article.value("meta_description", "");
    a.seo_title = article.value("meta_title", "");
    a.keyword = spec.keyword;
    a.markdown = article.value("markdown", "");
    a.html = render ? render(a.markdown) : article.value("html", "");
    a.json_ld = json_ld_of(article.value("html", ""));
    a.status = spec.publish.empty() ? "draft" : spec.publish;
    a.categories = spec.categories;
    a.tags = spec.tags;
    a.job_id = job_id;
    if (spec.post_id) {
        a.existing_id = spec.post_id;
    } else if (spec.existing_article.is_object() && spec.existing_article.contains("post_id") &&
               spec.existing_article["post_id"].is_number_integer()) {
        a.existing_id = spec.existing_article["post_id"].get<std::int64_t>();
    }
    return a;
}

core::PublishOptions wordpress_publish_options(Services& services, const core::Config& config) {
    core::PublishOptions options;
    options.on_conflict =
        core::on_conflict_from_string(config.get(core::Key<std::string>{"wordpress.on_conflict"}))
            .value_or(core::OnConflict::new_slug);
    options.create_terms = config.get(core::Key<bool>{"wordpress.create_terms"});
    const std::string site = config.get(core::keys::wordpress_url);
    options.published_by = [&services, site](std::int64_t post_id) {
        return services.store().job_that_published(site, post_id);
    };
    return options;
}

std::string publish_summary(const core::PublishResult& r) {
    if (r.deferred) {
        return "Publishing deferred (queued): " + r.location +
               "; see it with sota publish-queue list, retry now with sota publish-queue flush";
    }
    const std::string post = r.remote_id ? " (post " + std::to_string(*r.remote_id) + ")" : "";
    if (r.updated) {
        return std::string(r.status == "draft" ? "Updated draft" : "Updated") + post + ": " +
               r.location + (r.replaced.empty() ? "" : "\n  replaced " + r.replaced);
    }
    if (r.status == "publish") {
        return "Published" + post + ": " + r.location;
    }
    if (r.status == "draft") {
        return "Saved as draft" + post + ": " + r.location;
    }
    return "Saved as " + r.status + post + ": " + r.location;
}

JobPublishing publish_job_article(Services& services, const core::Config& config,
                                  const core::Clock& clock, const core::Article& article,
                                  bool dry_run,
                                  const std::function<void(const std::string&)>& log) {
    JobPublishing out;
    const std::string site = config.get(core::keys::wordpress_url);
    core::WordPressClient wp(services.http(), services.wordpress_endpoint());
    core::WordPressPublisher inner(wp, wordpress_publish_options(services, config));
    if (dry_run) {
        auto plan = inner.plan(article);
        if (!plan) {
            out.error = plan.error();
            out.record = {{"error", plan.error().message}, {"dry_run", true}};
            return out;
        }
        out.dry_run = core::describe_plan(*plan);
        out.record = {{"site", site}, {"dry_run", true}, {"plan", out.dry_run}};
        log("publish dry run (nothing changed on " + site + "):\n" + out.dry_run);
        return out;
    }
    core::resilience::DeferredPublisher publisher(inner, services.store(), clock, "wordpress");
    auto published = publisher.publish(article);
    if (!published) {
        out.error = published.error();
        out.record = {{"site", site}, {"error", published.error().message}};
        log("publishing failed: " + published.error().message);
        return out;
    }
    out.published = *published;
    out.record = published_record(site, *published);
    log(publish_summary(*published));
    return out;
}

core::resilience::DrainReport drain_wordpress_queue(Services& services, const core::Config& config,
                                                    const core::Clock& clock, bool all_now) {
    if (config.get(core::keys::wordpress_url).empty() ||
        services.store().pending_publishes("wordpress").empty()) {
        return {};
    }
    const std::string site = config.get(core::keys::wordpress_url);
    core::WordPressClient wp(services.http(), services.wordpress_endpoint());
    core::WordPressPublisher inner(wp, wordpress_publish_options(services, config));
    core::resilience::DeferredPublisher publisher(inner, services.store(), clock, "wordpress");
    auto& store = services.store();
    auto on_published = [&](const core::resilience::QueuedPublish& item,
                            const core::PublishResult& result) {
        const std::string& job_id = item.article.job_id;
        if (job_id.empty()) {
            return;
        }
        // The job's log and result say where its article went in the end.
        core::pipeline::Event e;
        e.job_id = job_id;
        e.type = core::pipeline::EventType::log;
        e.time = clock.wall();
        e.data = {{"level", "info"},
                  {"text", "deferred publish #" + std::to_string(item.id) +
                               " done: " + publish_summary(result)}};
        store.append_event(e);
        if (auto job = store.get_job(job_id)) {
            if (!job->result.is_object()) {
                job->result = json::object();
            }
            job->result["published"] = published_record(site, result);
            (void)store.update_job_keeping_state(*job);
        }
    };
    const auto report = publisher.drain(100, all_now, on_published);
    if (report.published + report.retried + report.gave_up > 0) {
        spdlog::info("publish queue: {} published, {} to retry, {} given up", report.published,
                     report.retried, report.gave_up);
    }
    return report;
}

}  // namespace sota::adapters
