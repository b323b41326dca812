#pragma once

// The built-in steps. Each reads its declared inputs from the context and returns its outputs
// by artifact name; see ARCHITECTURE.md for the artifacts' shapes.

#include <nlohmann/json.hpp>

#include "core/pipeline/step.hpp"
#include "core/quality/validator.hpp"

namespace sota::core::pipeline::steps {

Expected<nlohmann::json> semantic_keywords(StepContext& ctx);
Expected<nlohmann::json> gap_analysis(StepContext& ctx);
Expected<nlohmann::json> blueprint(StepContext& ctx);
Expected<nlohmann::json> generate(StepContext& ctx);
Expected<nlohmann::json> auto_fix(StepContext& ctx);
Expected<nlohmann::json> references(StepContext& ctx);
Expected<nlohmann::json> internal_links(StepContext& ctx);
Expected<nlohmann::json> validate(StepContext& ctx);
Expected<nlohmann::json> load_existing(StepContext& ctx);
Expected<nlohmann::json> prompt_step(StepContext& ctx);
Expected<nlohmann::json> program_step(StepContext& ctx);

/// The validator's input for a draft ({markdown, meta_title, meta_description, slug,
/// target_words, schema_type}).
quality::QualityInput quality_input(const nlohmann::json& draft, const std::string& keyword,
                                    const std::string& site_url);

/// A quality report as JSON.
nlohmann::json report_to_json(const quality::QualityReport& report);

/// The keyword clusters as "- label (intent): k1, k2" lines, or "none".
std::string cluster_summary(const nlohmann::json& keywords);

/// Each item on its own line.
std::string lines_of(const nlohmann::json& list);

/// "Best Espresso Grinder!" -> "best-espresso-grinder".
std::string slugify(const std::string& text);

}  // namespace sota::core::pipeline::steps
