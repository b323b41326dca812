#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "adapters/program_runner.hpp"
#include "adapters/services.hpp"
#include "core/config.hpp"
#include "core/paths.hpp"
#include "core/pipeline/engine.hpp"
#include "core/pipeline/job_store.hpp"
#include "core/web_fetcher.hpp"

namespace sota::adapters {

/// What a finished (or stopped) run left.
struct JobRunResult {
    core::pipeline::RunOutcome outcome;
    nlohmann::json result;            ///< result.json's content (completed jobs)
    std::filesystem::path directory;  ///< where the article went (completed jobs)
    std::optional<core::PublishResult> published;
    std::optional<core::Error> publish_error;
    std::string publish_dry_run{};  ///< --dry-run: what publishing would have done
};

/// How a job is to be scheduled, and where its site pages come from.
struct JobOptions {
    std::string site_pages{};  ///< a pages file or sitemap URL ("" = site.pages / WordPress)
    std::string queue = "standard";
    int priority = 0;
    std::string idempotency_key{};
    std::string batch_id{};
    /// Stored as running for this process rather than queued, so that a sotad sharing the job
    /// database cannot claim a job this process is about to run inline.
    bool run_here = false;
};

/// Turns job specs into stored jobs and runs them: the one path `sota run` and the daemon
/// share. Needs `services` with the job database open.
class JobRunner {
  public:
    JobRunner(Services& services, const core::Config& config, const core::Paths& paths);
    ~JobRunner();

    /// Checks a spec (input rules, model allowlist, publish target), resolves its workflow
    /// (built-in or file, with step.*.timeout and pipeline.deadline applied), gathers what the
    /// job brings (site pages from --site-pages / site.pages / WordPress, the article to refresh)
    /// and makes the queued job. Nothing is stored.
    core::Expected<core::pipeline::JobRecord> prepare(core::pipeline::JobSpec spec,
                                                      const JobOptions& options = {});
    /// prepare(), then store the job.
    core::Expected<core::pipeline::JobRecord> create(core::pipeline::JobSpec spec,
                                                     const JobOptions& options = {});

    /// Runs a stored job (new or resumed) to its end, writes its article directory, and
    /// publishes it if asked. Reports every event to `reporter` and to the job's log.
    /// Thread-safe: the daemon runs several jobs at once.
    JobRunResult run(core::pipeline::JobRecord& job, core::pipeline::Reporter& reporter,
                     core::CancelToken cancel);

    /// Jobs run from now on wait out a provider's trouble instead of failing (sotad's jobs):
    /// see Engine::set_parking.
    void set_parking(core::pipeline::ParkPolicy policy) { m_parking = policy; }

    /// Retries the WordPress posts whose publishing was deferred (the site was down) and are
    /// due; nothing when no site is configured or nothing waits. Returns how many were published.
    int drain_publish_queue();

    /// The directory a job's article goes to: its `out`, else run.out_dir/SLUG.
    std::filesystem::path output_dir(const core::pipeline::JobRecord& job,
                                     const std::string& slug) const;

  private:
    /// A workflow resolved, planned and checked against the model allowlist, with its JSON.
    struct CheckedWorkflow {
        core::pipeline::Workflow workflow;
        std::shared_ptr<const nlohmann::json> as_json;
        core::SteadyTime checked_at;
    };
    core::Expected<core::pipeline::Workflow> resolve_workflow(const std::string& name) const;
    /// The workflow `name`, checked; kept for a second, so a batch of thousands reads and
    /// plans its workflow file once while an edited file is seen by the next batch.
    core::Expected<std::shared_ptr<const CheckedWorkflow>> checked_workflow(
        const std::string& name);
    core::Status load_inputs(core::pipeline::JobSpec& spec, const std::string& site_pages_source);
    core::pipeline::StepServices step_services(const core::pipeline::JobSpec& spec,
                                               core::resilience::RetryBudget& budget,
                                               core::resilience::CostMeter& cost);

    Services& m_services;
    const core::Config& m_config;
    const core::Paths& m_paths;
    core::SystemClock m_clock;
    std::unique_ptr<core::WebFetcher> m_web;
    core::pipeline::PromptLibrary m_prompts;
    PosixProgramRunner m_programs;
    std::optional<core::Error> m_prompt_error;  // a broken override file fails every run
    std::optional<core::pipeline::ParkPolicy> m_parking;
    /// A workflow read from a job, with its plan.
    struct JobWorkflow {
        core::pipeline::Workflow workflow;
        core::Expected<core::pipeline::Levels> levels;
    };
    /// The workflow a job carries, read from its JSON and planned; the last few are kept
    /// (compared by value), as a batch's thousands of jobs carry one.
    core::Expected<std::shared_ptr<const JobWorkflow>> job_workflow(
        const core::pipeline::JobRecord& job);

    std::mutex m_workflows_mutex;
    std::map<std::string, std::shared_ptr<const CheckedWorkflow>> m_workflows;
    std::vector<
        std::pair<std::shared_ptr<const nlohmann::json>, std::shared_ptr<const JobWorkflow>>>
        m_job_workflows;  // most recent first
};

/// Writes result.json, and when the job made an article (the validate step's `quality`)
/// article.md, article.html and report.txt, into `dir` (created 0755), each atomically.
core::Status write_article_dir(const std::filesystem::path& dir, const nlohmann::json& quality,
                               const nlohmann::json& result);

/// Loads prompt files (NAME.prompt) from `dir` over the built-in ones; a broken file is an
/// error naming it.
core::Status load_prompt_overrides(core::pipeline::PromptLibrary& library,
                                   const std::filesystem::path& dir);

}  // namespace sota::adapters
