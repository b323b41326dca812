#include "core/llm/model_quirks.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/builtin_data.hpp"

namespace sota::core::llm {

bool ModelQuirk::omits(std::string_view field) const {
    return std::find(omit.begin(), omit.end(), field) != omit.end();
}

bool glob_match(std::string_view pattern, std::string_view text) {
    const auto star = pattern.find('*');
    if (star == std::string_view::npos) {
        return pattern == text;
    }
    const auto head = pattern.substr(0, star);
    if (text.substr(0, head.size()) != head) {
        return false;
    }
    const auto rest = pattern.substr(star + 1);
    for (std::size_t i = head.size(); i <= text.size(); ++i) {
        if (glob_match(rest, text.substr(i))) {
            return true;
        }
    }
    return false;
}

Expected<ModelQuirks> ModelQuirks::parse(std::string_view json_text) {
    const auto j = nlohmann::json::parse(json_text, nullptr, false);
    if (j.is_discarded() || !j.contains("quirks") || !j["quirks"].is_array()) {
        return fail(ErrorKind::config, "quirks.bad_file",
                    "the model quirk table is not JSON with a \"quirks\" array");
    }
    ModelQuirks table;
    std::size_t index = 0;
    for (const auto& entry : j["quirks"]) {
        ModelQuirk q;
        if (!entry.is_object() || !entry.contains("provider") || !entry.contains("models")) {
            return fail(ErrorKind::config, "quirks.bad_entry",
                        "model quirk entry " + std::to_string(index) +
                            " needs \"provider\" and \"models\"");
        }
        q.provider = entry.value("provider", "");
        q.models = entry.value("models", std::vector<std::string>{});
        q.omit = entry.value("omit", std::vector<std::string>{});
        q.max_tokens_field = entry.value("max_tokens_field", "");
        table.m_quirks.push_back(std::move(q));
        ++index;
    }
    return table;
}

std::shared_ptr<const ModelQuirks> ModelQuirks::built_in() {
    auto parsed = parse(core::k_model_quirks_json);
    return std::make_shared<const ModelQuirks>(parsed ? std::move(*parsed) : ModelQuirks{});
}

ModelQuirk ModelQuirks::find(std::string_view provider, std::string_view model) const {
    for (const auto& q : m_quirks) {
        if (q.provider != provider) {
            continue;
        }
        for (const auto& pattern : q.models) {
            if (glob_match(pattern, model)) {
                return q;
            }
        }
    }
    return ModelQuirk{std::string(provider), {}, {}, ""};
}

}  // namespace sota::core::llm
