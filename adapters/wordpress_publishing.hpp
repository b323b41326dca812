#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/pipeline/job.hpp"
#include "core/publisher.hpp"
#include "core/resilience/deferred_publisher.hpp"
#include "core/wordpress.hpp"

namespace sota::adapters {

class Services;

/// What publishing a finished job did.
struct JobPublishing {
    std::optional<core::PublishResult> published;
    std::optional<core::Error> error;
    std::string dry_run;  ///< --dry-run: what would be created or changed, in words
    /// result.json's "published": site, post_id, url, status, slug, action, replaced,
    /// deferred; or error; or dry_run.
    nlohmann::json record;
};

/// The article a job made (the validate step's `quality.article`), ready for WordPress: its
/// HTML, SEO title, JSON-LD, categories and tags, the post it refreshes, its job.
core::Article article_for_job(const core::pipeline::JobSpec& spec, const std::string& job_id,
                              const nlohmann::json& article,
                              const std::function<std::string(const std::string&)>& render);

/// Publishes a job's article to the configured WordPress site (wordpress.on_conflict,
/// wordpress.create_terms; sota's own posts known from the job database), queueing it when the
/// site is down, or with --dry-run only says what it would do. `log` gets a line for the job's
/// log.
JobPublishing publish_job_article(Services& services, const core::Config& config,
                                  const core::Clock& clock, const core::Article& article,
                                  bool dry_run, const std::function<void(const std::string&)>& log);

/// The WordPress publisher's options from config, with the job database for ownership.
core::PublishOptions wordpress_publish_options(Services& services, const core::Config& config);

/// The words for a publish: "Saved as draft", "Published", "Updated post 12 (replaced ...)",
/// "Publishing deferred (queued)".
std::string publish_summary(const core::PublishResult& result);

/// Retries deferred WordPress posts: those due, or with `all_now` every pending one. Each one
/// published is recorded in its job's log and result. Nothing when no site is configured.
core::resilience::DrainReport drain_wordpress_queue(Services& services, const core::Config& config,
                                                    const core::Clock& clock, bool all_now);

}  // namespace sota::adapters
