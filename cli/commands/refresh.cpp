#include "cli/commands/refresh.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <regex>
#include <tuple>

#include "adapters/private_files.hpp"
#include "adapters/services.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/api/protocol.hpp"
#include "core/config.hpp"
#include "core/pipeline/html_outline.hpp"
#include "core/pipeline/site_pages.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"
#include "core/web_fetcher.hpp"
#include "core/wordpress.hpp"

namespace sota::cli {

using nlohmann::json;

namespace {

/// An article chosen for a refresh.
struct Candidate {
    std::string title;
    std::string url;
    std::int64_t post_id = 0;
    std::string modified;
};

/// Holds the refresh lock for as long as it lives; `held` says whether it was free.
class RefreshLock {
  public:
    explicit RefreshLock(const std::filesystem::path& file) {
        m_fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        held = m_fd >= 0 && ::flock(m_fd, LOCK_EX | LOCK_NB) == 0;
    }
    ~RefreshLock() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    bool held = false;

  private:
    int m_fd = -1;
};

core::Expected<std::vector<Candidate>> from_wordpress(const RefreshOptions& o, Context& ctx,
                                                      adapters::Services& services) {
    if (ctx.config().get(core::keys::wordpress_url).empty()) {
        return core::fail(core::ErrorKind::config, "refresh.no_site",
                          "sota refresh reads your posts from WordPress: set wordpress.url, "
                          "wordpress.user and `sota keys set wordpress`, or pass --from FILE|URL");
    }
    core::WpListQuery query;
    query.search = o.search;
    core::WordPressClient wp(services.http(), services.wordpress_endpoint());
    for (const auto& [taxonomy, terms, into] :
         {std::tuple{"categories", &o.categories, &query.categories},
          std::tuple{"tags", &o.tags, &query.tags}}) {
        for (const auto& term : *terms) {
            auto id = wp.term_id(taxonomy, term);
            if (!id) {
                return core::fail(id.error());
            }
            into->push_back(*id);
        }
    }
    query.max_pages = std::max(1, (o.limit + 99) / 100);
    if (!o.modified_before.empty()) {
        query.modified_before =
            o.modified_before + (o.modified_before.size() == 10 ? "T00:00:00" : "");
    } else if (!o.older_than.empty()) {
        auto age = core::parse_duration(o.older_than);
        if (!age) {
            return core::fail(
                core::ErrorKind::usage, "refresh.bad_age",
                "--older-than takes a duration such as 90d or 12h, got '" + o.older_than + "'");
        }
        const auto cutoff = std::chrono::system_clock::now() - *age;
        query.modified_before = core::iso8601_utc(cutoff).substr(0, 19);
    }
    auto posts = wp.list(query);
    if (!posts) {
        return core::fail(posts.error());
    }
    std::vector<Candidate> out;
    for (const auto& p : *posts) {
        if (static_cast<int>(out.size()) >= o.limit) {
            break;
        }
        out.push_back({core::pipeline::decode_entities(p.title), p.link, p.id, p.modified_gmt});
    }
    return out;
}

core::Expected<std::vector<Candidate>> from_list(const RefreshOptions& o,
                                                 adapters::Services& services) {
    std::vector<core::pipeline::SitePage> pages;
    if (core::pipeline::is_http_url(o.from)) {
        core::WebFetcher web(services.http(), services.web_options());
        auto loaded = core::pipeline::load_sitemap(web, o.from, static_cast<std::size_t>(o.limit));
        if (!loaded) {
            return core::fail(loaded.error());
        }
        pages = std::move(*loaded);
    } else {
        auto text = adapters::read_file(o.from);
        if (!text) {
            return core::fail(core::ErrorKind::usage, "refresh.from",
                              "cannot read " + o.from + ": " + text.error().message);
        }
        auto parsed = core::pipeline::parse_site_pages(*text, o.from);
        if (!parsed) {
            return core::fail(parsed.error());
        }
        pages = std::move(*parsed);
    }
    std::vector<Candidate> out;
    for (const auto& p : pages) {
        if (static_cast<int>(out.size()) >= o.limit) {
            break;
        }
        out.push_back({p.title, p.url, 0, ""});
    }
    return out;
}

/// Whether `text` is a date (2026-08-01) or a date and time (2026-08-01T12:00:00).
bool is_date(const std::string& text) {
    static const std::regex date(
        R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:[0-5]\d)?)");
    return std::regex_match(text, date);
}

/// Refuses options that cannot go together or values that do not parse, before anything is
/// read or queued (exit 2).
core::Status check_input(const RefreshOptions& o) {
    auto usage = [](const std::string& message) {
        return core::fail(core::ErrorKind::usage, "refresh.usage", message);
    };
    if (!o.older_than.empty() && !core::parse_duration(o.older_than)) {
        return usage("--older-than takes a duration such as 90d or 12h, got '" + o.older_than +
                     "'");
    }
    if (!o.modified_before.empty() && !is_date(o.modified_before)) {
        return usage("--modified-before takes a date, 2026-08-01 or 2026-08-01T12:00:00, got '" +
                     o.modified_before + "'");
    }
    if (!o.older_than.empty() && !o.modified_before.empty()) {
        return usage("give --older-than or --modified-before, not both");
    }
    if (!o.from.empty() && (!o.older_than.empty() || !o.modified_before.empty() ||
                            !o.categories.empty() || !o.tags.empty() || !o.search.empty())) {
        return usage(
            "--older-than, --modified-before, --category, --tag and --search choose WordPress "
            "posts; with --from the file or sitemap is the choice: drop them or --from");
    }
    if (o.run.json && !o.run.dry_run) {
        return usage("--json prints the articles a dry run chose: add --dry-run");
    }
    return {};
}

}  // namespace

void setup_refresh(CLI::App& parent, CommandTable& table) {
    auto o = std::make_shared<RefreshOptions>();
    auto* refresh =
        parent.add_subcommand("refresh", "Choose stale articles and queue a refresh of each");
    refresh->add_option("--older-than", o->older_than, "Modified more than this long ago (90d)");
    refresh->add_option("--modified-before", o->modified_before, "Modified before this date");
    refresh->add_option("--category", o->categories,
                        "Only posts in this category (id, slug or name)");
    refresh->add_option("--tag", o->tags, "Only posts with this tag (id, slug or name)");
    refresh->add_option("--search", o->search, "Only posts matching this search");
    refresh->add_option("--from", o->from, "Articles from a CSV/URL-list file or a sitemap URL");
    refresh->add_option("--limit", o->limit, "At most this many articles (default 100)")
        ->check(CLI::Range(1, 10000));
    refresh->add_option("--publish", o->publish, "publish: update each post in place")
        ->check(CLI::IsMember({"publish"}));
    add_pool_flags(refresh, o->run);
    refresh->add_flag("--json", o->run.json, "With --dry-run: one JSON object per article");
    table.add(refresh, [o](Context* ctx) { return run_refresh(*o, *ctx); });
}

int run_refresh(const RefreshOptions& o, Context& ctx) {
    if (auto ok = check_input(o); !ok) {
        return report_error(ok.error());
    }
    if (auto dir = adapters::ensure_private_dir(ctx.paths().runtime_dir); !dir) {
        return report_error(dir.error());
    }
    RefreshLock lock(ctx.paths().runtime_dir / "refresh.lock");
    if (!lock.held) {
        std::fprintf(stderr, "another sota refresh is still running; skipping this one\n");
        return 0;
    }
    auto services = ctx.services(false);
    if (!services) {
        return report_error(services.error());
    }
    auto candidates =
        o.from.empty() ? from_wordpress(o, ctx, **services) : from_list(o, **services);
    if (!candidates) {
        return report_error(candidates.error());
    }
    std::vector<PlannedJob> jobs;
    std::size_t skipped = 0;
    for (std::size_t i = 0; i < candidates->size(); ++i) {
        const Candidate& c = (*candidates)[i];
        std::string keyword = core::trim(c.title);
        if (keyword.size() > 200) {
            keyword = keyword.substr(0, 200);
        }
        json job = {{"keyword", keyword}, {"mode", "refresh"}, {"workflow", "refresh"}};
        if (!o.run.workflow.empty()) {
            job["workflow"] = o.run.workflow;
        }
        if (!o.run.model.empty()) {
            job["model"] = o.run.model;
        }
        if (c.post_id > 0) {
            job["post_id"] = c.post_id;
        } else {
            job["url"] = c.url;
        }
        if (!o.publish.empty()) {
            job["publish"] = o.publish;
        }
        auto checked = core::api::create_job_from_json(job);
        if (!checked) {
            std::fprintf(stderr, "skipping %s: %s\n", c.url.c_str(),
                         checked.error().message.c_str());
            ++skipped;
            continue;
        }
        // The same article at the same modification time is refreshed once.
        job["idempotency_key"] =
            "refresh-" + core::sha256_hex(job.dump() + "|" + c.modified).substr(0, 32);
        if (o.run.dry_run && o.run.json) {
            json row = {{"post_id", c.post_id > 0 ? json(c.post_id) : json()},
                        {"modified", c.modified.empty() ? json() : json(c.modified)},
                        {"url", c.url},
                        {"title", c.title},
                        {"job", job}};
            std::printf("%s\n", row.dump().c_str());
        } else if (o.run.dry_run) {
            std::printf("%s\t%s\t%s\n", c.post_id > 0 ? std::to_string(c.post_id).c_str() : "-",
                        c.modified.empty() ? "-" : c.modified.c_str(), c.url.c_str());
        }
        jobs.push_back({i + 1, std::move(job)});
    }
    std::fprintf(stderr, "%zu article(s) to refresh%s\n", jobs.size(),
                 o.run.dry_run ? " (dry run: nothing was queued)" : "");
    if (o.run.dry_run || jobs.empty()) {
        return 0;
    }
    return run_planned(o.run, ctx, jobs, skipped);
}

}  // namespace sota::cli
