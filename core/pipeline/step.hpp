#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "core/expected.hpp"
#include "core/llm/llm.hpp"
#include "core/pipeline/events.hpp"
#include "core/pipeline/job_store.hpp"
#include "core/pipeline/prompts.hpp"
#include "core/pipeline/workflow.hpp"
#include "core/pricing.hpp"
#include "core/resilience/cache.hpp"
#include "core/resilience/resilience.hpp"
#include "core/resilience/resilient_serp.hpp"
#include "core/web_fetcher.hpp"

namespace sota::core::pipeline {

/// What an external program step produced.
struct ProgramResult {
    int exit_code = 0;
    std::string out;
    std::string err;
};

/// Runs external programs for program steps. Implementations are thread-safe.
class ProgramRunner {
  public:
    virtual ~ProgramRunner() = default;
    /// Runs argv with `input` on stdin; kills it when `timeout` passes or `cancel` is set.
    /// Errors: "program.start" (not found / not executable), "program.timeout",
    /// "program.cancelled".
    virtual Expected<ProgramResult> run(const std::vector<std::string>& argv,
                                        const std::string& input, Millis timeout,
                                        CancelToken cancel) = 0;
};

class StepContext;

/// A step's work: its outputs, by artifact name.
using StepFn = std::function<Expected<nlohmann::json>(StepContext&)>;

/// Makes an LLM client for a step's model ("" = llm.model; "provider:model" or a model name),
/// through the resilient call path, reporting retries to `hooks`.
using LlmFactory = std::function<Expected<std::unique_ptr<llm::Provider>>(
    const std::string& model, resilience::CallHooks hooks)>;

/// Everything steps may use. Owned by whoever runs the engine; pointers may be null when a
/// workflow does not need them (a step that does fails with a clear error).
struct StepServices {
    LlmFactory llm;
    std::string default_model;  ///< what "" means, for prices and cache keys
    resilience::ResilientSerp* serp = nullptr;
    WebFetcher* web = nullptr;
    resilience::TieredCache* cache = nullptr;
    const PromptLibrary* prompts = nullptr;
    const PriceTable* prices = nullptr;
    ProgramRunner* programs = nullptr;
    resilience::RetryBudget* budget = nullptr;
    /// Markdown to an HTML fragment.
    std::function<std::string(const std::string&)> render_html;
    std::string serp_gl = "us";
    std::string serp_hl = "en";
    int structured_retries = 2;
    int prompt_max_tokens = 4096;  ///< a prompt step's max_tokens when it sets none
    int competitors = 5;           ///< top-ranking pages fetched for the gap analysis
    int max_references = 5;        ///< verified sources cited
    int max_internal_links = 5;    ///< internal links per article
    int parallel_calls = 4;        ///< concurrent calls within a step (sections, pages, URLs)
    std::string site_url;          ///< the user's site, for internal links and the validator
    Millis ttl_keywords{24LL * 3600 * 1000};
    Millis ttl_gaps{12LL * 3600 * 1000};
    Millis ttl_references{7LL * 24 * 3600 * 1000};
    /// Implementations that replace built-in ones, by step name (tests; embedding programs).
    std::map<std::string, StepFn> step_overrides;
};

/// What a step spent.
struct StepUsage {
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    double cost_usd = 0;
    int llm_calls = 0;
    int serp_calls = 0;
    int fetches = 0;
    int retries = 0;
    int cache_hits = 0;
    nlohmann::json to_json() const;
    void add(const StepUsage& other);
    static StepUsage from_json(const nlohmann::json& doc);
};

/// One running step's view of the job: its inputs, its services, its cancel token, and the
/// ways it reports what it does. Thread-safe (steps may call from several threads).
class StepContext {
  public:
    StepContext(const StepSpec& spec, const JobRecord& job, nlohmann::json inputs,
                StepServices& services, Reporter& reporter, const Clock& clock, CancelToken cancel);

    const StepSpec& spec() const { return m_spec; }
    const JobRecord& job() const { return m_job; }
    const JobSpec& job_spec() const { return m_job.spec; }
    /// An input artifact (null if absent).
    const nlohmann::json& input(const std::string& name) const;
    const nlohmann::json& inputs() const { return m_inputs; }
    StepServices& services() { return m_services; }
    CancelToken cancel() const { return m_cancel; }
    /// The model this step uses.
    std::string model() const;

    /// One LLM call with this step's model, usage and retries counted.
    Expected<llm::Response> complete(llm::Request request);
    /// A prompt from the library rendered with `vars`, answered as JSON following `schema`,
    /// retried with the problem fed back when it does not (pipeline.structured_retries).
    Expected<nlohmann::json> ask_json(const std::string& prompt, const nlohmann::json& vars,
                                      const nlohmann::json& schema);
    /// A prompt rendered and answered as text.
    Expected<std::string> ask_text(const std::string& prompt, const nlohmann::json& vars);
    /// ask_json through the cache: `kind` and the key parts (plus model and prompt version).
    Expected<nlohmann::json> ask_json_cached(const std::string& kind, Millis ttl,
                                             const std::vector<std::string>& key_parts,
                                             const std::string& prompt, const nlohmann::json& vars,
                                             const nlohmann::json& schema);

    /// A SERP search with the configured country and language.
    Expected<SerpResult> search(const std::string& query);

    /// Counts work done outside complete()/search().
    void count_fetch();
    void count_cache_hit();
    /// A progress_update event with `detail` and the counters so far.
    void progress(const std::string& detail);
    /// A line in the job's log.
    void log(const std::string& level, const std::string& text);

    StepUsage usage() const;

    /// Called with each wait the rate limiter imposes on this step's model calls (the engine
    /// moves the step's timeout by it: waiting for the organisation's limit is not a slow
    /// provider). Set before the step runs.
    void on_paced(std::function<void(Millis)> hook) { m_on_paced = std::move(hook); }

  private:
    void emit(EventType type, nlohmann::json data);
    Expected<llm::Request> prompt_request(const std::string& prompt,
                                          const nlohmann::json& vars) const;

    const StepSpec& m_spec;
    const JobRecord& m_job;
    nlohmann::json m_inputs;
    StepServices& m_services;
    Reporter& m_reporter;
    const Clock& m_clock;
    CancelToken m_cancel;
    mutable std::mutex m_mutex;
    StepUsage m_usage;
    std::unique_ptr<llm::Provider> m_llm;
    std::function<void(Millis)> m_on_paced;
};

/// The implementation of a built-in step ("semantic_keywords", ...), or nullptr.
const StepFn* find_step_function(const std::string& uses);

/// Runs `fn(i)` for i in [0, n) on at most `parallel` threads at once; returns when all ended.
void parallel_for(std::size_t n, int parallel, const std::function<void(std::size_t)>& fn);

}  // namespace sota::core::pipeline
