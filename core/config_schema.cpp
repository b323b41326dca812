#include "core/config_schema.hpp"

#include <algorithm>
#include <cctype>

namespace sota::core {

const std::vector<KeySpec>& config_schema() {
    static const std::vector<KeySpec> table = {
        {"log.level",
         ValueType::choice,
         "info",
         "least severe log level written to stderr",
         0,
         0,
         {"trace", "debug", "info", "warn", "error", "off"}},
        {"log.format",
         ValueType::choice,
         "text",
         "log line format: text (human-readable) or json (one object per line)",
         0,
         0,
         {"text", "json"}},
        {"color",
         ValueType::choice,
         "auto",
         "colour on a terminal: auto (when stderr is a TTY and NO_COLOR is unset), always, never",
         0,
         0,
         {"auto", "always", "never"}},
    };
    return table;
}

const KeySpec* find_key(std::string_view name) {
    const auto& table = config_schema();
    const auto it = std::find_if(table.begin(), table.end(),
                                 [&](const KeySpec& spec) { return spec.name == name; });
    return it == table.end() ? nullptr : &*it;
}

std::vector<std::string> config_key_names() {
    std::vector<std::string> names;
    for (const auto& spec : config_schema()) {
        names.emplace_back(spec.name);
    }
    return names;
}

std::string env_var_for_key(std::string_view name) {
    std::string var = "SOTA_";
    for (const char c : name) {
        var += c == '.' || c == '-'
                   ? '_'
                   : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return var;
}

const char* to_string(ValueType type) {
    switch (type) {
        case ValueType::string:
            return "string";
        case ValueType::integer:
            return "integer";
        case ValueType::number:
            return "number";
        case ValueType::boolean:
            return "boolean";
        case ValueType::duration:
            return "duration";
        case ValueType::size:
            return "size";
        case ValueType::choice:
            return "choice";
    }
    return "string";
}

}  // namespace sota::core
