#include "cli/commands/run.hpp"

#include <unistd.h>
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "adapters/environment.hpp"
#include "adapters/job_runner.hpp"
#include "adapters/services.hpp"
#include "adapters/sqlite_store.hpp"
#include "adapters/wordpress_publishing.hpp"
#include "cli/commands/jobs.hpp"
#include "cli/context.hpp"
#include "cli/interrupt.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "core/exit_codes.hpp"
#include "core/pipeline/workflow.hpp"
#include "core/text.hpp"

namespace sota::cli {

using nlohmann::json;

core::Expected<core::pipeline::JobSpec> spec_from_options(const RunOptions& o) {
    core::pipeline::JobSpec spec;
    spec.keyword = o.keyword;
    spec.mode = o.mode;
    spec.workflow = o.workflow;
    spec.model = o.model;
    spec.out = o.out;
    spec.publish = o.publish;
    spec.url = o.url;
    spec.post_id = o.post_id;
    spec.file = o.file;
    for (const auto& f : o.fields) {
        const auto eq = f.find('=');
        if (eq == std::string::npos || eq == 0) {
            return core::fail(core::ErrorKind::usage, "run.bad_field",
                              "--field takes NAME=VALUE, got '" + f + "'");
        }
        spec.fields[f.substr(0, eq)] = f.substr(eq + 1);
    }
    for (const auto& [given, into] :
         {std::pair{&o.categories, &spec.categories}, std::pair{&o.tags, &spec.tags}}) {
        for (const auto& item : *given) {
            for (std::size_t pos = 0; pos <= item.size();) {
                const auto comma = std::min(item.find(',', pos), item.size());
                if (auto term = core::trim(item.substr(pos, comma - pos)); !term.empty()) {
                    into->push_back(std::move(term));
                }
                pos = comma + 1;
            }
        }
    }
    if ((!spec.categories.empty() || !spec.tags.empty() || o.dry_run) && spec.publish.empty()) {
        return core::fail(core::ErrorKind::usage, "run.publish_only",
                          std::string(o.dry_run ? "--dry-run" : "--category and --tag") +
                              " only apply to publishing; add --publish draft or --publish "
                              "publish");
    }
    spec.publish_dry_run = o.dry_run;
    return spec;
}

void add_job_flags(CLI::App* run, RunOptions& o) {
    run->add_option("-k,--keyword", o.keyword, "The keyword to write about (3-200 chars)");
    run->add_option("--mode", o.mode, "generate (default) or refresh")
        ->check(CLI::IsMember({"generate", "refresh"}));
    run->add_option("-w,--workflow", o.workflow,
                    "Workflow: a built-in name, a name in the workflows dir, or a .toml file");
    run->add_option("-m,--model", o.model,
                    "Model for every step that names none (provider:model or a model name)");
    run->add_option("-o,--out", o.out, "Output directory (default: run.out_dir/SLUG)");
    run->add_option("--publish", o.publish, "Publish to WordPress as draft or publish")
        ->check(CLI::IsMember({"draft", "publish"}));
    run->add_option("--url", o.url, "Refresh: the live article's URL");
    run->add_option("--post-id", o.post_id, "Refresh: the WordPress post id");
    run->add_option("--file", o.file, "Refresh: the article as a Markdown file");
    run->add_option("--site-pages", o.site_pages,
                    "Your pages for internal links: a CSV/URL-list file or a sitemap URL");
    run->add_option("--field", o.fields, "NAME=VALUE for workflow prompt templates");
    run->add_option("--category", o.categories,
                    "Publish: a WordPress category by name (repeatable; created if missing)");
    run->add_option("--tag", o.tags,
                    "Publish: a WordPress tag by name (repeatable; created if missing)");
    run->add_flag("--dry-run", o.dry_run,
                  "Publish: print what would be created or changed on the site, touch nothing");
}

void setup_run(CLI::App& parent, CommandTable& table) {
    auto options = std::make_shared<RunOptions>();
    auto* run = parent.add_subcommand("run", "Write one article: the whole pipeline, inline");
    add_job_flags(run, *options);
    run->add_option("--resume", options->resume, "Continue an interrupted or failed job");
    run->add_flag("--json", options->json, "Print events as JSON lines on stdout");
    run->add_flag("--daemon", options->daemon,
                  "Hand the job to sotad and follow it, instead of running it here");
    table.add(run, [options](Context* ctx) { return run_run(*options, *ctx); });
}

core::Status announce_answer_source(adapters::Services& services, const core::Config& config) {
    const std::string& mode = services.mode();
    if (mode == "replay") {
        std::fprintf(stderr,
                     "Replaying %s: no network calls are made; every answer comes from the "
                     "recording.\n",
                     services.cassette().c_str());
        return {};
    }
    const auto provider = adapters::llm_kind_from_name(config.get(core::keys::llm_provider));
    if (provider && !services.has_key(*provider)) {
        const std::string name = adapters::secret_name(*provider);
        return core::fail(core::ErrorKind::credentials, "run.no_key",
                          "no API key for " + name + ": add one with `sota keys set " + name +
                              "`, or run offline from the shipped recording with --set "
                              "http.replay=data/demo/espresso.cassette.jsonl (see README)");
    }
    if (mode == "record") {
        std::fprintf(stderr, "Recording every exchange to %s\n", services.cassette().c_str());
    }
    return {};
}

int run_run(const RunOptions& options, Context& ctx) {
    if (options.daemon) {
        return submit_to_daemon(options, ctx);
    }
    if (options.resume.empty() && options.keyword.empty()) {
        return report_error(core::Error{core::ErrorKind::usage, "run.no_keyword",
                                        "sota run needs --keyword TEXT (or --resume JOBID)"});
    }
    auto services = ctx.services(true);
    if (!services) {
        return report_error(services.error());
    }
    adapters::JobRunner runner(**services, ctx.config(), ctx.paths());
    auto& store = (*services)->store();

    core::pipeline::JobRecord job;
    if (!options.resume.empty()) {
        auto found = store.get_job(options.resume);
        if (!found) {
            return report_error(core::Error{
                core::ErrorKind::not_found, "job.not_found",
                "no job " + options.resume + " in " + ctx.paths().database_file().string()});
        }
        job = std::move(*found);
        if (job.state == core::pipeline::JobState::completed) {
            std::fprintf(stderr, "Job %s already completed; its article is in %s\n", job.id.c_str(),
                         job.result.value("directory", "?").c_str());
            return 0;
        }
        if (core::pipeline::active(job.state) && adapters::process_alive(job.owner_pid) &&
            job.owner_pid != ::getpid()) {
            return report_error(core::Error{core::ErrorKind::usage, "job.busy",
                                            "job " + job.id + " is being run by process " +
                                                std::to_string(job.owner_pid) +
                                                "; wait for it or stop that process first"});
        }
    } else {
        auto spec = spec_from_options(options);
        if (!spec) {
            return report_error(spec.error());
        }
        adapters::JobOptions job_options;
        job_options.site_pages = options.site_pages;
        job_options.run_here = true;
        auto created = runner.create(std::move(*spec), job_options);
        if (!created) {
            return report_error(created.error());
        }
        job = std::move(*created);
    }

    if (auto source = announce_answer_source(**services, ctx.config()); !source) {
        return report_error(source.error());
    }
    std::fprintf(stderr, "%s job %s: \"%s\" (workflow %s)\n",
                 options.resume.empty() ? "Started" : "Resuming", job.id.c_str(),
                 job.spec.keyword.c_str(),
                 core::pipeline::workflow_doc(job).value("name", "").c_str());

    auto workflow =
        core::pipeline::workflow_from_json(core::pipeline::workflow_doc(job), "job " + job.id);
    if (!workflow) {
        return report_error(workflow.error());
    }
    std::unique_ptr<core::pipeline::Reporter> progress;
    TtyProgress* tty = nullptr;
    if (options.json) {
        progress = std::make_unique<NdjsonReporter>(stdout);
    } else if (is_tty(2)) {
        auto t = std::make_unique<TtyProgress>(stderr, use_color(ctx, 2), *workflow);
        tty = t.get();
        progress = std::move(t);
    } else {
        progress = std::make_unique<PlainProgress>(stderr, /*summary_follows=*/true);
    }
    core::CancelToken cancel;
    adapters::JobRunResult result;
    {
        InterruptWatch watch(cancel, tty ? std::function<void(const std::string&)>(
                                               [tty](const std::string& text) { tty->note(text); })
                                         : nullptr);
        result = runner.run(job, *progress, cancel);
    }
    if (tty) {
        tty->finish();
    }
    const auto& outcome = result.outcome;
    if (outcome.state == core::pipeline::JobState::interrupted) {
        std::fprintf(
            stderr,
            "Job %s interrupted; finished steps are saved. Resume with:\n  sota run --resume %s\n",
            job.id.c_str(), job.id.c_str());
        return core::to_int(core::ExitCode::interrupted);
    }
    if (outcome.state != core::pipeline::JobState::completed) {
        const core::Error error =
            outcome.error.value_or(core::Error{core::ErrorKind::internal, "job.failed", "failed"});
        print_error(error);
        if (error.retryable || error.kind == core::ErrorKind::network ||
            error.kind == core::ErrorKind::provider) {
            std::fprintf(stderr, "Finished steps are saved; try again with: sota run --resume %s\n",
                         job.id.c_str());
        }
        return core::to_int(core::exit_code_for(error.kind));
    }
    if (!options.json) {
        const json& r = result.result;
        const auto total = outcome.total();
        for (const char* name : {"article.html", "article.md", "result.json", "report.txt"}) {
            if (std::filesystem::exists(result.directory / name)) {
                std::printf("%s\n", (result.directory / name).c_str());
            }
        }
        std::fprintf(
            stderr, "Score %d/100 · %d words · %lld tokens · $%.4f · %zu steps run, %zu restored\n",
            r.value("score", 0), r.value("article", json::object()).value("words", 0),
            static_cast<long long>(total.input_tokens + total.output_tokens), total.cost_usd,
            outcome.ran.size(), outcome.restored.size());
        if ((*services)->mode() == "replay") {
            const std::string live =
                ctx.config().get(core::Key<std::string>{"http.replay_passthrough"});
            if (live.empty()) {
                std::fprintf(stderr, "(replayed from the recording; no provider was called)\n");
            } else {
                std::fprintf(stderr, "(replayed from the recording; only %s reached live)\n",
                             live.c_str());
            }
        }
    }
    if (result.publish_error) {
        print_error(*result.publish_error);
        return core::to_int(core::exit_code_for(result.publish_error->kind));
    }
    if (!result.publish_dry_run.empty()) {
        std::fprintf(stderr, "Dry run: nothing was changed on the site.\n%s",
                     result.publish_dry_run.c_str());
    }
    if (result.published) {
        std::fprintf(stderr, "%s\n", adapters::publish_summary(*result.published).c_str());
    }
    return 0;
}

}  // namespace sota::cli
