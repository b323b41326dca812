#include "adapters/job_runner.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstring>
#include <fstream>

#include "adapters/markdown.hpp"
#include "adapters/private_files.hpp"
#include "adapters/recent.hpp"
#include "adapters/sqlite_store.hpp"
#include "adapters/wordpress_publishing.hpp"
#include "adapters/workflow_file.hpp"
#include "core/config_schema.hpp"
#include "core/fiber.hpp"
#include "core/pipeline/html_outline.hpp"
#include "core/pipeline/result.hpp"
#include "core/pipeline/site_pages.hpp"
#include "core/resilience/deferred_publisher.hpp"
#include "core/text.hpp"
#include "core/wordpress.hpp"

namespace sota::adapters {

using core::pipeline::JobRecord;
using core::pipeline::JobSpec;
using core::pipeline::Workflow;
using nlohmann::json;
namespace keys = core::keys;

namespace {

template <typename T>
T get(const core::Config& config, const char* key) {
    return config.get(core::Key<T>{key});
}

bool explicitly_set(const core::Config& config, const std::string& key) {
    return config.entry(key).origin.layer != core::Layer::defaults;
}

/// Stores events with every secret value redacted.
class RedactingStoreReporter final : public core::pipeline::Reporter {
  public:
    RedactingStoreReporter(core::pipeline::JobStore& store, const core::Redactor& redactor)
        : m_store(store), m_redactor(redactor) {}
    void on_event(const core::pipeline::Event& event) override {
        if (!wants(event.type)) {
            return;
        }
        std::string text = core::dump_json(event.data);
        if (m_redactor.contains_secret(text)) {
            text = m_redactor.redact(text);
        }
        m_store.append_event_json(event, std::move(text));
    }
    bool wants(core::pipeline::EventType type) const override {
        return type != core::pipeline::EventType::progress_update;  // counters, not history
    }

  private:
    core::pipeline::JobStore& m_store;
    const core::Redactor& m_redactor;
};

/// The text of some HTML without its tags.
std::string strip_tags(const std::string& html) {
    std::string out;
    bool in_tag = false;
    for (const char c : html) {
        if (c == '<') {
            in_tag = true;
        } else if (c == '>') {
            in_tag = false;
        } else if (!in_tag) {
            out += c;
        }
    }
    return out;
}

/// The post (or page) of the configured site at `url`: `?p=ID` / `?page_id=ID`, else the
/// last path segment as its slug.
core::Expected<core::WpPost> find_post_by_url(core::WordPressClient& wp, const std::string& url,
                                              bool with_credentials) {
    const auto query = url.find('?');
    for (const auto& [param, collection] :
         {std::pair{"p=", "posts"}, std::pair{"page_id=", "pages"}}) {
        if (query == std::string::npos) {
            break;
        }
        auto at = url.find(std::string("?") + param, query);
        if (at == std::string::npos) {
            at = url.find(std::string("&") + param, query);
        }
        if (at != std::string::npos) {
            const std::int64_t id = std::atoll(url.c_str() + at + 1 + std::strlen(param));
            if (id > 0) {
                return with_credentials
                           ? wp.get(id, collection)
                           : core::fail(core::ErrorKind::credentials, "wordpress.no_password",
                                        "reading post " + std::to_string(id) +
                                            " needs the application password: "
                                            "sota keys set wordpress");
            }
        }
    }
    std::string path = url.substr(0, std::min(url.find_first_of("?#"), url.size()));
    const auto scheme = path.find("://");
    const auto slash = path.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    path = slash == std::string::npos ? "" : path.substr(slash);
    while (!path.empty() && path.back() == '/') {
        path.pop_back();
    }
    const std::string slug = path.substr(path.rfind('/') + 1);
    if (slug.empty()) {
        return core::fail(core::ErrorKind::usage, "refresh.no_slug",
                          url +
                              " is the site's front page, not a post; give a post's URL or "
                              "--post-id");
    }
    for (const char* collection : {"posts", "pages"}) {
        auto found = wp.find_by_slug(slug, collection, !with_credentials);
        if (!found) {
            return core::fail(found.error());
        }
        if (!found->empty()) {
            if (with_credentials) {
                return wp.get(found->front().id, collection);  // raw fields
            }
            return found->front();
        }
    }
    return core::fail(core::ErrorKind::not_found, "refresh.no_post",
                      "no post or page with the slug '" + slug + "' on " + wp.site_url() +
                          " (from " + url + "); check the URL or give --post-id");
}

/// The main content of a page: its <article>, else <main>, else the whole page.
std::string main_content(const std::string& html) {
    const std::string lower = core::to_lower(html);
    for (const char* tag : {"article", "main"}) {
        const auto open = lower.find(std::string("<") + tag);
        const auto close = lower.rfind(std::string("</") + tag + ">");
        if (open != std::string::npos && close != std::string::npos && close > open) {
            return html.substr(open, close - open);
        }
    }
    return html;
}

}  // namespace

JobRunner::JobRunner(Services& services, const core::Config& config, const core::Paths& paths)
    : m_services(services),
      m_config(config),
      m_paths(paths),
      m_web(std::make_unique<core::WebFetcher>(services.http(), services.web_options())),
      m_prompts(core::pipeline::PromptLibrary::built_in()),
      m_programs(&services.redactor()) {
    if (auto loaded = load_prompt_overrides(m_prompts, m_paths.config_dir / "prompts"); !loaded) {
        m_prompt_error = loaded.error();
    }
}

JobRunner::~JobRunner() = default;

core::Expected<Workflow> JobRunner::resolve_workflow(const std::string& name) const {
    auto workflow = find_workflow(name, m_paths.config_dir / "workflows");
    if (!workflow) {
        return workflow;
    }
    if (workflow->source == "built-in") {
        // Config can retune the built-ins; a workflow file's own values stand.
        for (auto& step : workflow->steps) {
            const std::string key = "step." + step.uses + ".timeout";
            if (step.kind == core::pipeline::StepKind::builtin && core::find_key(key) &&
                explicitly_set(m_config, key)) {
                step.timeout = get<core::Millis>(m_config, key.c_str());
            }
        }
        if (explicitly_set(m_config, "pipeline.deadline")) {
            workflow->deadline = get<core::Millis>(m_config, "pipeline.deadline");
        }
    }
    return workflow;
}

namespace {

/// `model` (named at `where`) against llm.allowed_models.
core::Status check_model_allowed(const std::string& where, const std::string& model,
                                 const std::string& allowlist) {
    if (model.empty() || core::pipeline::model_allowed(model, allowlist)) {
        return {};
    }
    return core::fail(core::ErrorKind::usage, "job.model_not_allowed",
                      where + ": model '" + model +
                          "' is not on the allowlist (llm.allowed_models = \"" + allowlist +
                          "\"); add it with sota config set llm.allowed_models \"" + allowlist +
                          "," + model + "\"");
}

}  // namespace

int JobRunner::drain_publish_queue() {
    return drain_wordpress_queue(m_services, m_config, m_clock, false).published;
}

core::Expected<std::shared_ptr<const JobRunner::CheckedWorkflow>> JobRunner::checked_workflow(
    const std::string& name) {
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(m_workflows_mutex);
        const auto it = m_workflows.find(name);
        if (it != m_workflows.end() && now - it->second->checked_at < std::chrono::seconds(1)) {
            return it->second;
        }
    }
    auto workflow = resolve_workflow(name);
    if (!workflow) {
        return core::fail(workflow.error());
    }
    if (auto levels = core::pipeline::plan(*workflow); !levels) {
        return core::fail(levels.error());
    }
    const std::string allowlist = get<std::string>(m_config, "llm.allowed_models");
    for (const auto& step : workflow->steps) {
        const std::string where = "step " + step.id + " of workflow " + workflow->name;
        if (auto ok = check_model_allowed(where, step.model, allowlist); !ok) {
            return core::fail(ok.error());
        }
    }
    auto entry = std::make_shared<const CheckedWorkflow>(CheckedWorkflow{
        *workflow, std::make_shared<const nlohmann::json>(core::pipeline::to_json(*workflow)),
        now});
    std::lock_guard lock(m_workflows_mutex);
    m_workflows[name] = entry;
    return entry;
}

core::Expected<std::shared_ptr<const JobRunner::JobWorkflow>> JobRunner::job_workflow(
    const JobRecord& job) {
    if (!job.workflow) {
        return core::fail(core::ErrorKind::internal, "job.no_workflow",
                          "job " + job.id + " has no workflow in the job database");
    }
    // The jobs of a batch share one document: the pointer usually answers.
    const auto same = [&](const auto& known) {
        return known.first == job.workflow || *known.first == *job.workflow;
    };
    {
        std::lock_guard lock(m_workflows_mutex);
        if (const auto* known = find_recent(m_job_workflows, same)) {
            return known->second;
        }
    }
    auto workflow = core::pipeline::workflow_from_json(*job.workflow, "job " + job.id);
    if (!workflow) {
        return core::fail(workflow.error());
    }
    auto levels = core::pipeline::plan(*workflow);
    auto shared =
        std::make_shared<const JobWorkflow>(JobWorkflow{std::move(*workflow), std::move(levels)});
    std::lock_guard lock(m_workflows_mutex);
    if (!find_recent(m_job_workflows, same)) {  // another job may have read it meanwhile
        add_recent(m_job_workflows, {job.workflow, shared});
    }
    return shared;
}

core::Status JobRunner::load_inputs(JobSpec& spec, const std::string& site_pages_source) {
    const std::string source =
        site_pages_source.empty() ? get<std::string>(m_config, "site.pages") : site_pages_source;
    if (!source.empty()) {
        if (core::pipeline::is_http_url(source)) {
            auto pages =
                core::pipeline::load_sitemap(*m_web, source, core::pipeline::k_site_pages_max + 1);
            if (!pages) {
                return core::fail(
                    pages.error().kind, "site_pages.sitemap",
                    "cannot read the sitemap " + source + ": " + pages.error().message);
            }
            spec.site_pages = std::move(*pages);
        } else {
            auto text = read_file(source);
            if (!text) {
                return core::fail(
                    core::ErrorKind::usage, "site_pages.file",
                    "cannot read the site pages file " + source + ": " + text.error().message);
            }
            auto pages = core::pipeline::parse_site_pages(*text, source);
            if (!pages) {
                return core::fail(pages.error());
            }
            spec.site_pages = std::move(*pages);
        }
    } else if (spec.site_pages.empty() && !m_config.get(keys::wordpress_url).empty() &&
               m_services.secrets().resolve("wordpress")) {
        core::WordPressClient wp(m_services.http(), m_services.wordpress_endpoint());
        auto pages = core::pipeline::load_wordpress_pages(wp, core::pipeline::k_site_pages_max);
        if (pages) {
            spec.site_pages = std::move(*pages);
        }
    }

    if (spec.mode != "refresh" || !spec.existing_article.is_null()) {
        return {};
    }
    json article = json::object();
    if (!spec.file.empty()) {
        auto text = read_file(spec.file);
        if (!text) {
            return core::fail(core::ErrorKind::usage, "refresh.file",
                              "cannot read the article to refresh: " + text.error().message);
        }
        article["markdown"] = *text;
        article["file"] = spec.file;
    } else if (spec.post_id) {
        core::WordPressClient wp(m_services.http(), m_services.wordpress_endpoint());
        auto post = wp.get(*spec.post_id);
        if (!post) {
            return core::fail(post.error().kind, post.error().code,
                              "cannot read post " + std::to_string(*spec.post_id) +
                                  " from WordPress: " + post.error().message);
        }
        article["markdown"] = core::pipeline::html_to_markdown(post->content);
        article["title"] = core::pipeline::decode_entities(post->title);
        article["url"] = post->link;
        article["slug"] = post->slug;
        article["post_id"] = post->id;
    } else if (!spec.url.empty() && !m_config.get(keys::wordpress_url).empty() &&
               core::url_origin(spec.url) == core::url_origin(m_config.get(keys::wordpress_url))) {
        // A post of the configured site: read through the REST API, not the theme's page.
        core::WordPressClient wp(m_services.http(), m_services.wordpress_endpoint());
        auto post = find_post_by_url(wp, spec.url,
                                     m_services.secrets().resolve("wordpress").has_value() &&
                                         !m_config.get(keys::wordpress_user).empty());
        if (!post) {
            return core::fail(post.error().kind, post.error().code,
                              "cannot read the article to refresh: " + post.error().message);
        }
        article["markdown"] = core::pipeline::html_to_markdown(post->content);
        article["title"] = core::pipeline::decode_entities(post->title);
        article["meta_description"] =
            core::pipeline::decode_entities(core::trim(strip_tags(post->excerpt)));
        article["url"] = post->link;
        article["slug"] = post->slug;
        article["post_id"] = post->id;
        article["status"] = post->status;
    } else if (!spec.url.empty()) {
        auto page = m_web->fetch(spec.url);
        if (!page) {
            return core::fail(page.error().kind, page.error().code,
                              "cannot read the article to refresh: " + page.error().message);
        }
        const auto outline = core::pipeline::outline_html(page->text);
        article["markdown"] = core::pipeline::html_to_markdown(main_content(page->text));
        article["title"] = outline.title;
        article["meta_description"] = outline.description;
        article["url"] = page->url;
    }
    spec.existing_article = std::move(article);
    return {};
}

core::Expected<JobRecord> JobRunner::create(JobSpec spec, const JobOptions& options) {
    auto job = prepare(std::move(spec), options);
    if (!job) {
        return job;
    }
    if (auto stored = m_services.store().create_job(*job); !stored) {
        return core::fail(stored.error());
    }
    return job;
}

core::Expected<JobRecord> JobRunner::prepare(JobSpec spec, const JobOptions& options) {
    spec.keyword = core::trim(spec.keyword);
    if (spec.mode == "refresh" && (spec.workflow.empty() || spec.workflow == "standard")) {
        spec.workflow = "refresh";
    }
    if (spec.workflow.empty()) {
        spec.workflow = "standard";
    }
    if (auto ok = core::pipeline::validate_spec(spec); !ok) {
        return core::fail(ok.error());
    }
    auto checked = checked_workflow(spec.workflow);
    if (!checked) {
        return core::fail(checked.error());
    }
    const std::string allowlist = get<std::string>(m_config, "llm.allowed_models");
    for (const auto& [where, model] : std::vector<std::pair<std::string, std::string>>{
             {"--model", spec.model}, {"llm.model", m_config.get(keys::llm_model)}}) {
        if (auto ok = check_model_allowed(where, model, allowlist); !ok) {
            return core::fail(ok.error());
        }
    }
    if (!spec.publish.empty() && m_config.get(keys::wordpress_url).empty()) {
        return core::fail(core::ErrorKind::config, "publish.no_site",
                          "--publish needs a WordPress site: sota config set wordpress.url "
                          "https://example.com, wordpress.user, and sota keys set wordpress");
    }
    if (spec.mode == "refresh" && spec.publish == "draft" && spec.post_id) {
        return core::fail(core::ErrorKind::usage, "publish.refresh_draft",
                          "--publish draft would turn live post " + std::to_string(*spec.post_id) +
                              " back into a draft; use --publish publish to update it in place, "
                              "or leave out --publish and review the files first");
    }
    if (spec.post_id && m_config.get(keys::wordpress_url).empty()) {
        return core::fail(core::ErrorKind::config, "refresh.no_site",
                          "--post-id needs wordpress.url (sota config set wordpress.url URL)");
    }
    if (auto loaded = load_inputs(spec, options.site_pages); !loaded) {
        return core::fail(loaded.error());
    }
    if (auto ok = core::pipeline::validate_spec(spec); !ok) {
        return core::fail(ok.error());
    }
    if (spec.mode == "refresh" && spec.publish == "draft" && !spec.post_id &&
        spec.existing_article.is_object() &&
        spec.existing_article.value("status", "") == "publish") {
        return core::fail(
            core::ErrorKind::usage, "publish.refresh_draft",
            "--publish draft would turn live post " +
                std::to_string(spec.existing_article.value("post_id", std::int64_t{0})) +
                " back into a draft; use --publish publish to update it in place, or leave out "
                "--publish and review the files first");
    }
    JobRecord job;
    job.id = core::pipeline::new_job_id(m_clock.wall());
    job.spec = std::move(spec);
    job.workflow = (*checked)->as_json;
    job.state =
        options.run_here ? core::pipeline::JobState::running : core::pipeline::JobState::queued;
    job.owner_pid = options.run_here ? ::getpid() : 0;
    job.queue = options.queue;
    job.priority = options.priority;
    job.idempotency_key = options.idempotency_key;
    job.batch_id = options.batch_id;
    job.created_at = job.updated_at = m_clock.wall();
    return job;
}

core::pipeline::StepServices JobRunner::step_services(const JobSpec& spec,
                                                      core::resilience::RetryBudget& budget,
                                                      core::resilience::CostMeter& cost) {
    core::pipeline::StepServices s;
    s.llm = [this, &budget, &cost](const std::string& model, core::resilience::CallHooks hooks)
        -> core::Expected<std::unique_ptr<core::llm::Provider>> {
        auto provider = m_services.resilient_llm(&budget, &cost, std::move(hooks), model);
        if (!provider) {
            return core::fail(provider.error());
        }
        return std::unique_ptr<core::llm::Provider>(std::move(*provider));
    };
    s.default_model = m_config.get(keys::llm_model);
    s.serp = &m_services.serp();
    s.web = m_web.get();
    s.cache = &m_services.cache();
    s.prompts = &m_prompts;
    s.prices = &m_config.prices();
    s.programs = &m_programs;
    s.budget = &budget;
    s.render_html = render_markdown;
    s.serp_gl = m_config.get(keys::serp_gl);
    s.serp_hl = m_config.get(keys::serp_hl);
    s.structured_retries =
        static_cast<int>(get<std::int64_t>(m_config, "pipeline.structured_retries"));
    s.prompt_max_tokens = static_cast<int>(get<std::int64_t>(m_config, "pipeline.max_tokens"));
    s.competitors = static_cast<int>(get<std::int64_t>(m_config, "pipeline.competitors"));
    s.max_references = static_cast<int>(get<std::int64_t>(m_config, "pipeline.references"));
    s.max_internal_links = static_cast<int>(get<std::int64_t>(m_config, "pipeline.internal_links"));
    s.parallel_calls = static_cast<int>(get<std::int64_t>(m_config, "pipeline.parallel_calls"));
    s.site_url = get<std::string>(m_config, "site.url");
    if (s.site_url.empty()) {
        s.site_url = m_config.get(keys::wordpress_url);
    }
    if (s.site_url.empty() && !spec.site_pages.empty()) {
        s.site_url = core::url_origin(spec.site_pages.front().url);  // the pages' own site
    }
    s.ttl_keywords = get<core::Millis>(m_config, "cache.ttl.keywords");
    s.ttl_gaps = get<core::Millis>(m_config, "cache.ttl.gaps");
    s.ttl_references = get<core::Millis>(m_config, "cache.ttl.references");
    return s;
}

std::filesystem::path JobRunner::output_dir(const JobRecord& job, const std::string& slug) const {
    if (!job.spec.out.empty()) {
        return job.spec.out;
    }
    return std::filesystem::path(get<std::string>(m_config, "run.out_dir")) /
           (slug.empty() ? job.id : slug);
}

JobRunResult JobRunner::run(JobRecord& job, core::pipeline::Reporter& reporter,
                            core::CancelToken cancel) {
    JobRunResult out;
    auto workflow = job_workflow(job);
    if (!workflow) {
        out.outcome.error = workflow.error();
        return out;
    }
    if (m_prompt_error) {
        out.outcome.error = m_prompt_error;
        return out;
    }
    core::resilience::RetryBudget budget;
    core::resilience::CostMeter cost(m_config.get(core::Key<double>{"job.cost_budget"}));
    auto services = step_services(job.spec, budget, cost);
    RedactingStoreReporter log(m_services.store(), m_services.redactor());
    core::pipeline::FanoutReporter events;
    events.add(&log);
    events.add(&reporter);
    job.owner_pid = ::getpid();
    core::pipeline::Engine engine(m_services.store(), services, events, m_clock);
    if (m_parking) {
        engine.set_parking(*m_parking);
    }
    out.outcome = engine.run(job, (*workflow)->workflow, (*workflow)->levels, cancel);
    if (out.outcome.state != core::pipeline::JobState::completed) {
        return out;
    }
    const json quality = out.outcome.artifacts.value("quality", json::object());
    const json article = quality.value("article", json::object());
    out.result = core::pipeline::build_result(job, out.outcome);
    out.directory = output_dir(job, article.value("slug", ""));
    out.result["directory"] = out.directory.string();
    auto emit = [&](core::pipeline::EventType type, json data) {
        core::pipeline::Event e;
        e.job_id = job.id;
        e.type = type;
        e.time = m_clock.wall();
        e.data = std::move(data);
        events.on_event(e);
    };
    {
        // A workflow without the validate step has no article, but its result.json is written.
        // On a file thread: creating files and directories can take milliseconds, which would
        // hold up every other job of this job's thread.
        if (auto written = core::run_file_io<core::Status>(
                [&] { return write_article_dir(out.directory, quality, out.result); });
            !written) {
            out.outcome.state = core::pipeline::JobState::failed;
            out.outcome.error = written.error();
            job.state = core::pipeline::JobState::failed;
            job.error = core::pipeline::error_to_json(written.error());
            job.owner_pid = 0;
            (void)m_services.store().update_job(job);
            emit(core::pipeline::EventType::error, job.error);
            emit(core::pipeline::EventType::status_change, core::pipeline::status_data(job));
            return out;
        }
    }
    if (!job.spec.publish.empty()) {
        const auto a = article_for_job(job.spec, job.id, article, render_markdown);
        auto publishing =
            publish_job_article(m_services, m_config, m_clock, a, job.spec.publish_dry_run,
                                [&](const std::string& text) {
                                    emit(core::pipeline::EventType::log,
                                         {{"level", "info"}, {"text", text}, {"publish", true}});
                                });
        out.published = publishing.published;
        out.publish_error = publishing.error;
        out.publish_dry_run = publishing.dry_run;
        out.result["published"] = publishing.record;
        // result.json says where the article went.
        (void)core::run_file_io<core::Status>(
            [&] { return write_article_dir(out.directory, quality, out.result); });
    }
    const auto total = out.outcome.total();
    job.result = {{"directory", out.directory.string()},
                  {"score", out.result.value("score", 0)},
                  {"tokens", total.input_tokens + total.output_tokens},
                  {"cost_usd", out.result.value("cost_usd", 0.0)},
                  {"title", article.value("title", "")}};
    if (out.result.contains("published")) {
        job.result["published"] = out.result["published"];
    }
    job.state = core::pipeline::JobState::completed;
    job.owner_pid = 0;
    job.updated_at = m_clock.wall();
    (void)m_services.store().update_job(job);
    emit(core::pipeline::EventType::status_change, core::pipeline::status_data(job));
    emit(core::pipeline::EventType::result_ready, job.result);
    return out;
}

core::Status write_article_dir(const std::filesystem::path& dir, const json& quality,
                               const json& result) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return core::fail(core::ErrorKind::io, "output.dir",
                          "cannot create the output directory " + dir.string() + ": " +
                              ec.message() + "; choose another with --out DIR");
    }
    const json article = quality.is_object() ? quality.value("article", json::object()) : json();
    std::vector<std::pair<const char*, std::string>> files = {
        {"result.json", core::dump_json(result, 2) + "\n"}};
    if (article.is_object() && !article.empty()) {
        files.emplace_back("article.md", article.value("markdown", ""));
        files.emplace_back("article.html", article.value("html", ""));
        files.emplace_back("report.txt", core::pipeline::render_report(result));
    }
    // Not synced to disk (an fsync per file was most of a job's own cost). Like the job
    // database (synchronous = NORMAL), the files survive sota dying; a power cut may lose the
    // last ones, as it may the database's last commits.
    for (const auto& [name, content] : files) {
        if (auto ok = write_file_atomically(dir / name, content, 0644, Durability::process); !ok) {
            return ok;
        }
    }
    return {};
}

core::Status load_prompt_overrides(core::pipeline::PromptLibrary& library,
                                   const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        return {};
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.path().extension() != ".prompt") {
            continue;
        }
        auto text = read_file(entry.path());
        if (!text) {
            return core::fail(text.error());
        }
        auto prompt = core::pipeline::parse_prompt(*text, entry.path().stem().string(),
                                                   entry.path().string());
        if (!prompt) {
            return core::fail(prompt.error());
        }
        library.put(std::move(*prompt));
    }
    return {};
}

}  // namespace sota::adapters
