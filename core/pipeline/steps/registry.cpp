#include <map>

#include "core/pipeline/steps/steps.hpp"

namespace sota::core::pipeline {

const StepFn* find_step_function(const std::string& uses) {
    static const std::map<std::string, StepFn> table = {
        {"semantic_keywords", steps::semantic_keywords},
        {"gap_analysis", steps::gap_analysis},
        {"blueprint", steps::blueprint},
        {"generate", steps::generate},
        {"auto_fix", steps::auto_fix},
        {"references", steps::references},
        {"internal_links", steps::internal_links},
        {"validate", steps::validate},
        {"load_existing", steps::load_existing},
        {"prompt", steps::prompt_step},
        {"program", steps::program_step},
    };
    const auto it = table.find(uses);
    return it == table.end() ? nullptr : &it->second;
}

}  // namespace sota::core::pipeline
