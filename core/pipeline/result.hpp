#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/pipeline/engine.hpp"
#include "core/pipeline/job_store.hpp"

namespace sota::core::pipeline {

/// result.json of a finished job: the article's metadata, keywords, gaps, outline, references,
/// links, the quality report, the auto-fix log, per-step usage, cost and timings, and for a
/// refresh what changed.
nlohmann::json build_result(const JobRecord& job, const RunOutcome& outcome);

/// What a refresh changed: sections kept, updated, added and removed, and the word count and
/// score before and after.
nlohmann::json refresh_changes(const nlohmann::json& current_article, const std::string& markdown,
                               int new_score);

/// The readable report (report.txt): the score, every check with its verdict, detail and fix,
/// then sources, links, and usage per step.
std::string render_report(const nlohmann::json& result);

}  // namespace sota::core::pipeline
