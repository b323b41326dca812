#include "core/pipeline/structured.hpp"
#include "core/text.hpp"

#include <algorithm>

namespace sota::core::pipeline {

using nlohmann::json;

namespace {

bool has_type(const json& value, const std::string& type) {
    if (type == "object") {
        return value.is_object();
    }
    if (type == "array") {
        return value.is_array();
    }
    if (type == "string") {
        return value.is_string();
    }
    if (type == "integer") {
        return value.is_number_integer() ||
               (value.is_number_float() &&
                value.get<double>() == static_cast<std::int64_t>(value.get<double>()));
    }
    if (type == "number") {
        return value.is_number();
    }
    if (type == "boolean") {
        return value.is_boolean();
    }
    if (type == "null") {
        return value.is_null();
    }
    return true;
}

std::string check(const json& value, const json& schema, const std::string& path) {
    if (!schema.is_object()) {
        return "";
    }
    if (schema.contains("type")) {
        const json& type = schema["type"];
        bool ok = false;
        std::string wanted;
        if (type.is_string()) {
            ok = has_type(value, type.get<std::string>());
            wanted = type.get<std::string>();
        } else if (type.is_array()) {
            for (const auto& t : type) {
                ok = ok || has_type(value, t.get<std::string>());
                wanted += (wanted.empty() ? "" : " or ") + t.get<std::string>();
            }
        }
        if (!ok) {
            return path + ": must be " + wanted + ", got " + value.type_name();
        }
    }
    if (schema.contains("enum")) {
        const auto& options = schema["enum"];
        if (std::find(options.begin(), options.end(), value) == options.end()) {
            return path + ": must be one of " + options.dump() + ", got " + value.dump();
        }
    }
    if (value.is_string()) {
        const auto length = value.get<std::string>().size();
        if (schema.contains("minLength") && length < schema["minLength"].get<std::size_t>()) {
            return path + ": must be at least " + schema["minLength"].dump() + " characters";
        }
        if (schema.contains("maxLength") && length > schema["maxLength"].get<std::size_t>()) {
            return path + ": must be at most " + schema["maxLength"].dump() + " characters";
        }
    }
    if (value.is_number()) {
        const double v = value.get<double>();
        if (schema.contains("minimum") && v < schema["minimum"].get<double>()) {
            return path + ": must be at least " + schema["minimum"].dump();
        }
        if (schema.contains("maximum") && v > schema["maximum"].get<double>()) {
            return path + ": must be at most " + schema["maximum"].dump();
        }
    }
    if (value.is_array()) {
        if (schema.contains("minItems") && value.size() < schema["minItems"].get<std::size_t>()) {
            return path + ": must have at least " + schema["minItems"].dump() + " items, got " +
                   std::to_string(value.size());
        }
        if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<std::size_t>()) {
            return path + ": must have at most " + schema["maxItems"].dump() + " items, got " +
                   std::to_string(value.size());
        }
        if (schema.contains("items")) {
            for (std::size_t i = 0; i < value.size(); ++i) {
                auto problem =
                    check(value[i], schema["items"], path + "[" + std::to_string(i) + "]");
                if (!problem.empty()) {
                    return problem;
                }
            }
        }
    }
    if (value.is_object()) {
        const json properties = schema.value("properties", json::object());
        if (schema.contains("required")) {
            for (const auto& name : schema["required"]) {
                if (!value.contains(name.get<std::string>())) {
                    return path + ": missing required field \"" + name.get<std::string>() + "\"";
                }
            }
        }
        for (const auto& [name, child] : value.items()) {
            if (properties.contains(name)) {
                auto problem = check(child, properties[name], path + "." + name);
                if (!problem.empty()) {
                    return problem;
                }
            } else if (schema.value("additionalProperties", json(true)) == json(false)) {
                return path + ": unexpected field \"" + name + "\"";
            }
        }
    }
    return "";
}

}  // namespace

std::string schema_problem(const json& value, const json& schema) {
    return check(value, schema, "$");
}

std::optional<json> extract_json(const std::string& text) {
    auto try_parse = [](std::string_view candidate) -> std::optional<json> {
        auto doc = core::parse_json(candidate);
        if (doc.is_discarded()) {
            return std::nullopt;
        }
        return doc;
    };
    if (auto doc = try_parse(text)) {
        return doc;
    }
    const auto fence = text.find("```");
    if (fence != std::string::npos) {
        const auto body = text.find('\n', fence);
        const auto close = text.find("```", body == std::string::npos ? fence + 3 : body);
        if (body != std::string::npos && close != std::string::npos) {
            if (auto doc = try_parse(std::string_view(text).substr(body + 1, close - body - 1))) {
                return doc;
            }
        }
    }
    const auto first = text.find('{');
    const auto last = text.rfind('}');
    if (first != std::string::npos && last != std::string::npos && last > first) {
        return try_parse(std::string_view(text).substr(first, last - first + 1));
    }
    return std::nullopt;
}

Expected<StructuredAnswer> complete_structured(
    const std::function<Expected<llm::Response>(llm::Request)>& complete, llm::Request request,
    const json& schema, int retries) {
    request.output_schema = schema;
    std::string problem;
    for (int attempt = 1; attempt <= retries + 1; ++attempt) {
        auto answer = complete(request);
        if (!answer) {
            return fail(answer.error());
        }
        auto doc = extract_json(answer->text);
        if (!doc) {
            problem = "the answer was not JSON";
        } else {
            problem = schema_problem(*doc, schema);
            if (problem.empty()) {
                return StructuredAnswer{std::move(*doc), attempt};
            }
        }
        // Show the model its answer and what was wrong with it, then ask again.
        request.messages.push_back({"assistant", answer->text});
        request.messages.push_back(
            {"user", "That answer does not follow the required JSON schema: " + problem +
                         ". Answer again with only a JSON object that follows the schema."});
    }
    return fail(ErrorKind::provider, "llm.invalid_structured",
                "the model's answers did not follow the output schema after " +
                    std::to_string(retries + 1) + " tries (last problem: " + problem +
                    "); try another model with --model, or raise pipeline.structured_retries");
}

}  // namespace sota::core::pipeline
