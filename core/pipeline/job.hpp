#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"

namespace sota::core::pipeline {

/// One page of the user's site, a candidate for internal links.
struct SitePage {
    std::string url;
    std::string title;
    std::string description;
};

/// What a job is asked to do, as given on the command line, in a batch row or over the API.
struct JobSpec {
    std::string keyword;
    std::string mode = "generate";  ///< "generate" or "refresh"
    std::string workflow = "standard";
    std::string model;                      ///< "" = llm.model (and each step's own)
    std::string publish;                    ///< "", "draft" or "publish"
    std::string url;                        ///< refresh: the live article
    std::optional<std::int64_t> post_id;    ///< refresh: the WordPress post
    std::string file;                       ///< refresh: a Markdown file
    std::string out;                        ///< output directory ("" = articles/<slug>)
    std::vector<std::string> categories{};  ///< publish: WordPress category names (or ids)
    std::vector<std::string> tags{};        ///< publish: WordPress tag names (or ids)
    bool publish_dry_run = false;           ///< publish: say what would change, touch nothing
    std::vector<SitePage> site_pages;
    nlohmann::json existing_article;                   ///< refresh: {title, markdown, url, post_id}
    nlohmann::json fields = nlohmann::json::object();  ///< extra fields prompts may use
};

/// Limits from the product's input rules.
inline constexpr std::size_t k_keyword_min = 3;
inline constexpr std::size_t k_keyword_max = 200;
inline constexpr std::size_t k_site_pages_max = 500;

/// Checks a spec: keyword 3-200 characters with no control characters, a known mode with the
/// inputs it needs, at most 500 site pages each with an http(s) URL, a valid publish status.
/// The error names the field and the limit (ErrorKind::usage, code "job.invalid").
Status validate_spec(const JobSpec& spec);

/// Whether `model` matches one of the comma-separated patterns (`*` matches any run of
/// characters; an empty list allows every model).
bool model_allowed(const std::string& model, const std::string& allowlist);

/// Whether a string is an absolute http(s) URL with a host.
bool is_http_url(const std::string& url);

nlohmann::json to_json(const JobSpec& spec);
Expected<JobSpec> spec_from_json(const nlohmann::json& doc);

/// Where a job is in its life.
/// queued -> running (a step at a time) -> validating (every step done; the result is checked
/// and written) -> completed | failed | cancelled; interrupted when stopped to resume later;
/// waiting (sotad) when a provider's trouble parked it: it holds no worker and is queued again
/// at its retry time, to resume from its checkpoints.
enum class JobState {
    queued,
    running,
    validating,
    interrupted,
    waiting,
    completed,
    failed,
    cancelled
};
const char* to_string(JobState state);
std::optional<JobState> job_state_from_string(std::string_view text);
/// Whether a job has ended: completed, failed or cancelled.
bool ended(JobState state);
/// The same for a status as the API spells it ("completed", ...); unknown statuses have not.
bool ended(std::string_view status);

/// Whether a job in this state may be resumed (interrupted, failed, or running but abandoned).
bool resumable(JobState state);

/// Whether a process is working on a job in this state (running or validating).
bool active(JobState state);

/// A new job id: "job_<unix ms>_<7 hex>", sortable by creation time.
std::string new_job_id(WallTime now);
/// A new batch id: "batch_<unix ms>_<7 hex digits>".
std::string new_batch_id(WallTime now);

}  // namespace sota::core::pipeline
