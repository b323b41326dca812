#include "core/quality/report_json.hpp"

#include <cmath>

namespace sota::core::quality {

namespace {

double round_to(double value, int digits) {
    const double scale = std::pow(10.0, digits);
    return std::round(value * scale) / scale;
}

}  // namespace

const char* rating(const CheckResult& check) {
    if (check.score == 0 && check.id == "function_words_keyphrase") {
        return "feedback";
    }
    return check.score >= 8 ? "good" : check.score >= 5 ? "ok" : "bad";
}

nlohmann::json report_to_json(const QualityReport& report) {
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : report.checks) {
        checks.push_back({{"id", c.id},
                          {"title", c.title},
                          {"category", to_string(c.category)},
                          {"yoast", c.yoast},
                          {"verdict", to_string(c.verdict)},
                          {"rating", rating(c)},
                          {"score", c.score},
                          {"detail", c.detail},
                          {"fix", c.fix}});
    }
    const auto& s = report.stats;
    return {{"score", report.score},
            {"seo_score", report.seo_score},
            {"readability_score", report.readability_score},
            {"failed", report.failed()},
            {"warned", report.warned()},
            {"words", s.words},
            {"sentences", s.sentences},
            {"flesch", round_to(s.flesch_reading_ease, 1)},
            {"readability",
             {{"flesch_reading_ease", round_to(s.flesch_reading_ease, 1)},
              {"flesch_kincaid_grade", round_to(s.flesch_kincaid_grade, 1)},
              {"gunning_fog", round_to(s.gunning_fog, 1)},
              {"smog", round_to(s.smog, 1)},
              {"coleman_liau", round_to(s.coleman_liau, 1)},
              {"automated_readability", round_to(s.automated_readability, 1)},
              {"syllables", s.syllables}}},
            {"keyphrase_count", report.keyphrase_count},
            {"keyword_density", round_to(report.keyword_density, 2)},
            {"checks", checks}};
}

}  // namespace sota::core::quality
