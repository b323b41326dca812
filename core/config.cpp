#include "core/config.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <sstream>

#include "core/suggest.hpp"
#include "core/text.hpp"

namespace sota::core {
namespace {

std::string describe(const Origin& origin) {
    switch (origin.layer) {
        case Layer::defaults:
            return "built-in default";
        case Layer::system_file:
        case Layer::user_file:
            return origin.where;
        case Layer::environment:
            return "environment variable " + origin.where;
        case Layer::flags:
            return "flag " + origin.where;
    }
    return origin.where;
}

ErrorKind kind_for(const Origin& origin) {
    return origin.layer == Layer::flags ? ErrorKind::usage : ErrorKind::config;
}

std::string choices_text(const KeySpec& spec) {
    std::string out;
    for (const auto& c : spec.choices) {
        out += out.empty() ? "" : ", ";
        out += c;
    }
    return out;
}

std::string raw_text(const RawValue& raw) {
    if (const auto* s = std::get_if<std::string>(&raw)) {
        return "'" + *s + "'";
    }
    if (const auto* i = std::get_if<std::int64_t>(&raw)) {
        return std::to_string(*i);
    }
    if (const auto* d = std::get_if<double>(&raw)) {
        std::ostringstream os;
        os << *d;
        return os.str();
    }
    return std::get<bool>(raw) ? "true" : "false";
}

Expected<double> parse_number(std::string_view text) {
    double value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || text.empty()) {
        return fail(ErrorKind::usage, "config.bad_number",
                    "'" + std::string(text) + "' is not a number");
    }
    return value;
}

Expected<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || text.empty()) {
        return fail(ErrorKind::usage, "config.bad_integer",
                    "'" + std::string(text) + "' is not a whole number");
    }
    return value;
}

std::optional<bool> parse_bool(std::string_view text) {
    if (text == "true" || text == "yes" || text == "on" || text == "1") {
        return true;
    }
    if (text == "false" || text == "no" || text == "off" || text == "0") {
        return false;
    }
    return std::nullopt;
}

// An http:// or https:// URL with a host: libcurl would also take ftp://, file:// and more,
// which no provider speaks and which would read local files or reach other services.
Status check_url(const std::string& text, bool may_be_empty) {
    if (text.empty() && may_be_empty) {
        return {};
    }
    const auto scheme_end = text.find("://");
    const std::string scheme = to_lower(text.substr(0, scheme_end));
    if (scheme_end == std::string::npos || (scheme != "http" && scheme != "https")) {
        return fail(ErrorKind::config, "config.bad_url",
                    "expects an http:// or https:// URL (e.g. https://api.example.com/v1), got '" +
                        text + "'");
    }
    const std::string rest = text.substr(scheme_end + 3);
    if (rest.empty() || rest.front() == '/' || rest.front() == '?' || rest.front() == '#') {
        return fail(ErrorKind::config, "config.bad_url",
                    "the URL '" + text + "' names no host (e.g. https://api.example.com/v1)");
    }
    return {};
}

// Turns a raw value into the key's type; the error message lacks the key and origin, which the
// caller adds.
Expected<ConfigValue> convert(const KeySpec& spec, const RawValue& raw, bool text_layer) {
    const auto* text = std::get_if<std::string>(&raw);
    auto type_error = [&]() -> Unexpected {
        return fail(ErrorKind::config, "config.bad_type",
                    std::string("expects a ") + to_string(spec.type) + ", got " + raw_text(raw));
    };
    switch (spec.type) {
        case ValueType::string:
            if (!text) {
                return type_error();
            }
            return ConfigValue{*text};
        case ValueType::url:
            if (!text) {
                return type_error();
            }
            if (auto ok = check_url(*text, spec.default_text.empty()); !ok) {
                return fail(ok.error());
            }
            return ConfigValue{*text};
        case ValueType::choice:
            if (!text) {
                return type_error();
            }
            for (const auto& c : spec.choices) {
                if (c == *text) {
                    return ConfigValue{*text};
                }
            }
            return fail(ErrorKind::config, "config.bad_choice",
                        "must be one of " + choices_text(spec) + "; got " + raw_text(raw));
        case ValueType::boolean:
            if (const auto* b = std::get_if<bool>(&raw)) {
                return ConfigValue{*b};
            }
            if (text && text_layer) {
                if (const auto b = parse_bool(*text)) {
                    return ConfigValue{*b};
                }
                return fail(ErrorKind::config, "config.bad_type",
                            "expects true or false, got " + raw_text(raw));
            }
            return type_error();
        case ValueType::integer: {
            if (const auto* i = std::get_if<std::int64_t>(&raw)) {
                return ConfigValue{*i};
            }
            if (text && text_layer) {
                auto parsed = parse_integer(*text);
                if (!parsed) {
                    return type_error();
                }
                return ConfigValue{*parsed};
            }
            return type_error();
        }
        case ValueType::number: {
            if (const auto* d = std::get_if<double>(&raw)) {
                return ConfigValue{*d};
            }
            if (const auto* i = std::get_if<std::int64_t>(&raw)) {
                return ConfigValue{static_cast<double>(*i)};
            }
            if (text && text_layer) {
                auto parsed = parse_number(*text);
                if (!parsed) {
                    return type_error();
                }
                return ConfigValue{*parsed};
            }
            return type_error();
        }
        case ValueType::duration: {
            if (const auto* i = std::get_if<std::int64_t>(&raw)) {
                return ConfigValue{std::chrono::milliseconds(*i * 1000)};
            }
            if (!text) {
                return type_error();
            }
            auto parsed = parse_duration(*text);
            if (!parsed) {
                return fail(parsed.error());
            }
            return ConfigValue{*parsed};
        }
        case ValueType::size: {
            if (const auto* i = std::get_if<std::int64_t>(&raw)) {
                return ConfigValue{*i};
            }
            if (!text) {
                return type_error();
            }
            auto parsed = parse_size(*text);
            if (!parsed) {
                return fail(parsed.error());
            }
            return ConfigValue{*parsed};
        }
    }
    return type_error();
}

// Numeric view of a value for range checks (durations in ms, sizes in bytes).
std::optional<double> numeric(const ConfigValue& value) {
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
        return static_cast<double>(*i);
    }
    if (const auto* d = std::get_if<double>(&value)) {
        return *d;
    }
    if (const auto* ms = std::get_if<std::chrono::milliseconds>(&value)) {
        return static_cast<double>(ms->count());
    }
    return std::nullopt;
}

std::string bound_text(const KeySpec& spec, double bound) {
    switch (spec.type) {
        case ValueType::duration:
            return format_value(spec.type,
                                std::chrono::milliseconds(static_cast<std::int64_t>(bound)));
        case ValueType::size:
        case ValueType::integer:
            return format_value(spec.type, static_cast<std::int64_t>(bound));
        default:
            return format_value(spec.type, bound);
    }
}

}  // namespace

const char* to_string(Layer layer) {
    switch (layer) {
        case Layer::defaults:
            return "default";
        case Layer::system_file:
            return "system";
        case Layer::user_file:
            return "user";
        case Layer::environment:
            return "env";
        case Layer::flags:
            return "flag";
    }
    return "default";
}

Expected<std::chrono::milliseconds> parse_duration(std::string_view text) {
    auto bad = [&]() -> Unexpected {
        return fail(ErrorKind::usage, "config.bad_duration",
                    "'" + std::string(text) +
                        "' is not a duration (write e.g. 250ms, 30s, 5m, 2h, 7d or 1h30m)");
    };
    if (text.empty()) {
        return bad();
    }
    if (auto bare = parse_number(text)) {
        if (*bare < 0) {
            return bad();
        }
        return std::chrono::milliseconds(std::llround(*bare * 1000.0));
    }
    double total_ms = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t start = pos;
        while (pos < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.')) {
            ++pos;
        }
        auto number = parse_number(text.substr(start, pos - start));
        if (!number) {
            return bad();
        }
        start = pos;
        while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) {
            ++pos;
        }
        const std::string_view unit = text.substr(start, pos - start);
        double scale = 0;
        if (unit == "ms") {
            scale = 1;
        } else if (unit == "s") {
            scale = 1000;
        } else if (unit == "m") {
            scale = 60'000;
        } else if (unit == "h") {
            scale = 3'600'000;
        } else if (unit == "d") {
            scale = 86'400'000;
        } else {
            return bad();
        }
        total_ms += *number * scale;
    }
    return std::chrono::milliseconds(std::llround(total_ms));
}

Expected<std::int64_t> parse_size(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.')) {
        ++pos;
    }
    auto number = parse_number(text.substr(0, pos));
    std::string_view unit = text.substr(pos);
    while (!unit.empty() && unit.front() == ' ') {
        unit.remove_prefix(1);
    }
    double scale = 0;
    if (unit.empty() || unit == "B") {
        scale = 1;
    } else if (unit == "KiB") {
        scale = 1024.0;
    } else if (unit == "MiB") {
        scale = 1024.0 * 1024;
    } else if (unit == "GiB") {
        scale = 1024.0 * 1024 * 1024;
    } else if (unit == "KB" || unit == "kB") {
        scale = 1e3;
    } else if (unit == "MB") {
        scale = 1e6;
    } else if (unit == "GB") {
        scale = 1e9;
    }
    if (!number || scale == 0 || *number < 0) {
        return fail(
            ErrorKind::usage, "config.bad_size",
            "'" + std::string(text) + "' is not a size (write e.g. 512, 64KiB, 32MiB, 1GiB)");
    }
    return static_cast<std::int64_t>(std::llround(*number * scale));
}

std::string format_value(ValueType type, const ConfigValue& value) {
    if (const auto* s = std::get_if<std::string>(&value)) {
        return *s;
    }
    if (const auto* b = std::get_if<bool>(&value)) {
        return *b ? "true" : "false";
    }
    if (const auto* d = std::get_if<double>(&value)) {
        std::ostringstream os;
        os << *d;
        return os.str();
    }
    if (const auto* ms = std::get_if<std::chrono::milliseconds>(&value)) {
        std::int64_t left = ms->count();
        if (left == 0) {
            return "0s";
        }
        std::string out;
        const std::pair<std::int64_t, const char*> units[] = {
            {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
        for (const auto& [scale, name] : units) {
            if (left >= scale) {
                out += std::to_string(left / scale) + name;
                left %= scale;
            }
        }
        return out;
    }
    const std::int64_t i = std::get<std::int64_t>(value);
    if (type == ValueType::size && i > 0) {
        const std::pair<std::int64_t, const char*> units[] = {
            {1LL << 30, "GiB"}, {1LL << 20, "MiB"}, {1LL << 10, "KiB"}};
        for (const auto& [scale, name] : units) {
            if (i % scale == 0) {
                return std::to_string(i / scale) + name;
            }
        }
    }
    return std::to_string(i);
}

Config::Config() {
    for (const auto& spec : config_schema()) {
        auto value = convert(spec, RawValue{std::string(spec.default_text)}, true);
        assert(value && "every default in the config table parses");
        m_entries.push_back(ConfigEntry{&spec, std::move(*value), Origin{Layer::defaults, ""}});
    }
}

Status Config::set(std::string_view key, const RawValue& raw, const Origin& origin) {
    const KeySpec* spec = find_key(key);
    if (!spec) {
        std::string message = describe(origin) + ": unknown config key '" + std::string(key) + "'";
        if (const auto near = closest_match(key, config_key_names())) {
            message += "; did you mean '" + *near + "'?";
        } else {
            message += "; `sota config show` lists every key";
        }
        return fail(kind_for(origin), "config.unknown_key", message);
    }
    const bool text_layer = origin.layer == Layer::environment || origin.layer == Layer::flags;
    auto value = convert(*spec, raw, text_layer);
    if (!value) {
        return fail(kind_for(origin), value.error().code,
                    describe(origin) + ": key '" + std::string(key) + "' " + value.error().message);
    }
    if (const auto n = numeric(*value)) {
        const bool too_small = *n < spec->min;
        const bool too_big = spec->max != 0 && *n > spec->max;
        if (too_small || too_big) {
            std::string range = "at least " + bound_text(*spec, spec->min);
            if (spec->max != 0) {
                range += " and at most " + bound_text(*spec, spec->max);
            }
            return fail(kind_for(origin), "config.out_of_range",
                        describe(origin) + ": key '" + std::string(key) + "' must be " + range +
                            "; got " + format_value(spec->type, *value));
        }
    }
    for (auto& e : m_entries) {
        if (e.spec == spec) {
            e.value = std::move(*value);
            e.origin = origin;
        }
    }
    return {};
}

Expected<std::vector<std::string>> Config::apply_environment(
    const std::map<std::string, std::string>& env, const std::vector<std::string>& ignored) {
    std::map<std::string, const KeySpec*> by_var;
    for (const auto& spec : config_schema()) {
        by_var[env_var_for_key(spec.name)] = &spec;
    }
    std::vector<std::string> unknown;
    for (const auto& [name, value] : env) {
        if (!name.starts_with("SOTA_")) {
            continue;
        }
        if (std::find(ignored.begin(), ignored.end(), name) != ignored.end()) {
            continue;
        }
        const auto it = by_var.find(name);
        if (it == by_var.end()) {
            unknown.push_back(name);
            continue;
        }
        auto status = set(it->second->name, RawValue{value}, Origin{Layer::environment, name});
        if (!status) {
            return fail(status.error());
        }
    }
    return unknown;
}

const ConfigEntry& Config::entry(std::string_view key) const {
    for (const auto& e : m_entries) {
        if (e.spec->name == key) {
            return e;
        }
    }
    assert(false && "config key handle names a key missing from the table");
    return m_entries.front();
}

std::string Config::text(std::string_view key) const {
    const auto& e = entry(key);
    return format_value(e.spec->type, e.value);
}

}  // namespace sota::core
