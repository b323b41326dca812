#include "cli/commands/publish_queue.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "adapters/services.hpp"
#include "adapters/sqlite_store.hpp"
#include "adapters/wordpress_publishing.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/config_schema.hpp"
#include "core/exit_codes.hpp"
#include "core/text.hpp"

namespace sota::cli {

void setup_publish_queue(CLI::App& parent, CommandTable& table) {
    auto* queue = parent.add_subcommand(
        "publish-queue", "WordPress posts waiting to be published again (the site was down)");
    auto options = std::make_shared<PublishQueueOptions>();
    queue->require_subcommand(0, 1);
    table.add(queue, [options](Context* ctx) { return run_publish_queue_list(*options, *ctx); });
    auto* list = queue->add_subcommand("list", "Show the waiting posts (the default)");
    list->add_flag("--json", options->json, "Print one JSON document");
    table.add(list, [options](Context* ctx) { return run_publish_queue_list(*options, *ctx); });
    auto* flush = queue->add_subcommand("flush", "Try every waiting post now");
    table.add(flush, [options](Context* ctx) { return run_publish_queue_flush(*options, *ctx); });
}

int run_publish_queue_list(const PublishQueueOptions& options, Context& ctx) {
    auto store = adapters::SqliteStore::open(ctx.paths().database_file());
    if (!store) {
        return report_error(store.error());
    }
    const auto items = (*store)->pending_publishes("wordpress");
    if (options.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : items) {
            out.push_back({{"id", item.id},
                           {"slug", item.article.slug},
                           {"title", item.article.title},
                           {"status", item.article.status},
                           {"job", item.article.job_id},
                           {"attempts", item.attempts},
                           {"next_attempt_at", core::iso8601_utc(item.next_attempt_at)},
                           {"last_error", item.last_error}});
        }
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    if (items.empty()) {
        std::fprintf(stderr, "No posts wait in the publish queue.\n");
        return 0;
    }
    std::printf("%-5s %-32s %-8s %-26s %-8s %-20s %s\n", "ID", "SLUG", "STATUS", "JOB", "ATTEMPTS",
                "NEXT TRY", "LAST ERROR");
    for (const auto& item : items) {
        std::printf("%-5lld %-32s %-8s %-26s %-8d %-20s %s\n", static_cast<long long>(item.id),
                    item.article.slug.c_str(), item.article.status.c_str(),
                    item.article.job_id.empty() ? "-" : item.article.job_id.c_str(), item.attempts,
                    core::iso8601_utc(item.next_attempt_at).c_str(), item.last_error.c_str());
    }
    std::fprintf(stderr,
                 "%zu waiting; sotad retries them every daemon.housekeeping, or now with "
                 "sota publish-queue flush\n",
                 items.size());
    return 0;
}

int run_publish_queue_flush(const PublishQueueOptions&, Context& ctx) {
    if (ctx.config().get(core::keys::wordpress_url).empty()) {
        return report_error(core::Error{core::ErrorKind::config, "publish.no_site",
                                        "no WordPress site is configured: sota config set "
                                        "wordpress.url https://example.com"});
    }
    auto services = ctx.services(true);
    if (!services) {
        return report_error(services.error());
    }
    const core::SystemClock clock;
    const auto report = adapters::drain_wordpress_queue(**services, ctx.config(), clock, true);
    const auto left = (*services)->store().pending_publishes("wordpress").size();
    std::fprintf(stderr,
                 "%d published, %d still waiting (retried later), %d given up; %zu in the "
                 "queue\n",
                 report.published, report.retried, report.gave_up, left);
    return left == 0 && report.gave_up == 0 ? 0 : core::to_int(core::ExitCode::job_failed);
}

}  // namespace sota::cli
