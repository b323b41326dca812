#pragma once

#include <nlohmann/json.hpp>

#include "core/quality/validator.hpp"

namespace sota::core::quality {

/// A quality report as JSON: {score, seo_score, readability_score, failed, warned, words,
/// sentences, flesch, readability{...grades}, keyphrase_count, keyword_density,
/// checks[{id, title, category, yoast, verdict, rating, score, detail, fix}]}. The shape
/// `sota analyze --json` prints and the pipeline's quality artifact holds.
nlohmann::json report_to_json(const QualityReport& report);

/// Yoast's traffic light for one check's score: "good" (8+), "ok" (5-7), "bad" (4 or less),
/// "feedback" (the grey 0 of a feedback-only result).
const char* rating(const CheckResult& check);

}  // namespace sota::core::quality
