#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/command_table.hpp"
#include "core/pipeline/job.hpp"

namespace sota::adapters {
class Services;
}
namespace sota::core {
class Config;
}

namespace sota::cli {

/// Options of `sota run`.
struct RunOptions {
    std::string keyword;
    std::string mode = "generate";
    std::string workflow;
    std::string model;
    std::string out;
    std::string publish;
    std::string url;
    std::optional<std::int64_t> post_id;
    std::string file;
    std::string site_pages;
    std::vector<std::string> fields;        ///< NAME=VALUE for prompt templates
    std::vector<std::string> categories{};  ///< --category NAME (repeatable, or comma-separated)
    std::vector<std::string> tags{};        ///< --tag NAME
    bool dry_run = false;                   ///< --dry-run: say what publishing would change
    std::string resume;
    bool json = false;
    bool daemon = false;  ///< hand the job to sotad instead of running it here
};

/// Adds the flags that describe a job (keyword, mode, workflow, model, out, publish, url,
/// post-id, file, site-pages, field, category, tag, dry-run): `sota run` and `sota submit`
/// share them.
void add_job_flags(CLI::App* command, RunOptions& options);

/// The job a command line describes.
core::Expected<core::pipeline::JobSpec> spec_from_options(const RunOptions& options);

/// Says on stderr where a run here gets its answers (a recording replayed, or one being made)
/// and refuses a live run with no key for the LLM provider (ErrorKind::credentials), before
/// any job starts.
core::Status announce_answer_source(adapters::Services& services, const core::Config& config);

/// Adds `run`.
void setup_run(CLI::App& parent, CommandTable& table);

/// Runs one job inline: creates it (or resumes one), shows progress, writes the article
/// directory. Exit 0 when it completed, 130 when interrupted (resumable), else the error's code.
int run_run(const RunOptions& options, Context& ctx);

}  // namespace sota::cli
