#include "adapters/config_file.hpp"

#include <sys/stat.h>

#include <toml++/toml.h>
#include <regex>
#include <sstream>
#include <vector>

#include "adapters/private_files.hpp"
#include "adapters/toml_depth.hpp"
#include "core/json_limits.hpp"
#include "core/text.hpp"

namespace sota::adapters {
namespace {

using core::ErrorKind;

// [prices."MODEL"] rows: input, output, optional cached_input, date.
core::Status apply_prices(const toml::table& prices, const std::string& source,
                          core::Config& config) {
    for (auto&& [model_key, node] : prices) {
        const std::string model(model_key.str());
        const std::string where = source + ":" + std::to_string(node.source().begin.line);
        const auto* row = node.as_table();
        if (!row) {
            return core::fail(ErrorKind::config, "prices.bad_row",
                              where + ": prices." + model + " must be a table: [prices.\"" + model +
                                  "\"] with input, output and date");
        }
        core::Price price;
        price.origin = where;
        for (auto&& [field_key, value] : *row) {
            const std::string field(field_key.str());
            const std::string at = source + ":" + std::to_string(value.source().begin.line);
            if (field == "date") {
                price.date = value.value<std::string>().value_or("");
                continue;
            }
            const auto number = value.value<double>();
            if (!number || (field != "input" && field != "output" && field != "cached_input")) {
                return core::fail(
                    ErrorKind::config, "prices.bad_field",
                    at + ": prices." + model + "." + field +
                        (number ? " is not a price field (use input, output, cached_input, date)"
                                : " must be a number of USD per million tokens"));
            }
            if (field == "input") {
                price.input = *number;
            } else if (field == "output") {
                price.output = *number;
            } else {
                price.cached_input = *number;
            }
        }
        auto status = config.set_price(model, std::move(price));
        if (!status) {
            return status;
        }
    }
    return {};
}

core::Status apply_table(const toml::table& table, const std::string& prefix,
                         const std::string& source, core::Layer layer, core::Config& config) {
    for (auto&& [k, node] : table) {
        const std::string name =
            prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        const std::string where = source + ":" + std::to_string(node.source().begin.line);
        if (name == "prices" && node.is_table()) {
            auto status = apply_prices(*node.as_table(), source, config);
            if (!status) {
                return status;
            }
            continue;
        }
        if (const auto* sub = node.as_table()) {
            auto status = apply_table(*sub, name, source, layer, config);
            if (!status) {
                return status;
            }
            continue;
        }
        core::RawValue raw;
        if (const auto* s = node.as_string()) {
            raw = s->get();
        } else if (const auto* i = node.as_integer()) {
            raw = i->get();
        } else if (const auto* d = node.as_floating_point()) {
            raw = d->get();
        } else if (const auto* b = node.as_boolean()) {
            raw = b->get();
        } else if (const auto* list = node.as_array();
                   list && (list->empty() || list->is_homogeneous(toml::node_type::string))) {
            // A list of strings is the comma-separated string (http.replay_passthrough).
            std::string joined;
            for (const auto& item : *list) {
                joined += (joined.empty() ? "" : ",") + std::string(item.as_string()->get());
            }
            raw = joined;
        } else {
            return core::fail(ErrorKind::config, "config.bad_type",
                              where + ": key '" + name +
                                  "' has a value of a kind sota does not read here (array or "
                                  "date); write a string, number or boolean");
        }
        auto status = config.set(name, raw, core::Origin{layer, where});
        if (!status) {
            return status;
        }
    }
    return {};
}

std::string toml_string(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {  // control characters
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

// The TOML literal for a validated value of the key's type.
std::string toml_literal(const core::KeySpec& spec, const core::ConfigValue& value) {
    switch (spec.type) {
        case core::ValueType::integer:
        case core::ValueType::number:
        case core::ValueType::boolean:
            return core::format_value(spec.type, value);
        default:
            return toml_string(core::format_value(spec.type, value));
    }
}

// A table header "[a.b]" -> "a.b" (spaces around dots removed); "[[x]]" -> "\x01" (never matches).
std::optional<std::string> table_header(const std::string& line) {
    const std::string t = core::trim(line);
    if (t.starts_with("[[")) {
        return std::string("\x01");
    }
    if (!t.starts_with("[")) {
        return std::nullopt;
    }
    const auto close = t.find(']');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    std::string name;
    for (const char c : t.substr(1, close - 1)) {
        if (c != ' ' && c != '\t') {
            name += c;
        }
    }
    return name;
}

// If `line` assigns `key` (as written at its table level), the index just past '='.
std::optional<std::size_t> assignment_of(const std::string& line, std::string_view key) {
    std::size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos || line.compare(i, key.size(), key) != 0) {
        return std::nullopt;
    }
    i += key.size();
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
        ++i;
    }
    if (i >= line.size() || line[i] != '=') {
        return std::nullopt;
    }
    return i + 1;
}

// What follows the value on an assignment line: the spacing and "# comment", if there is one.
std::string trailing_comment(const std::string& line, std::size_t after_eq) {
    std::size_t i = line.find_first_not_of(" \t", after_eq);
    if (i == std::string::npos) {
        return "";
    }
    if (line[i] == '"' || line[i] == '\'') {
        const char quote = line[i++];
        while (i < line.size() && line[i] != quote) {
            i += (quote == '"' && line[i] == '\\') ? 2 : 1;
        }
        ++i;
    } else {
        while (i < line.size() && line[i] != '#' && line[i] != ' ' && line[i] != '\t') {
            ++i;
        }
    }
    i = std::min(i, line.size());
    const auto hash = line.find('#', i);
    return hash == std::string::npos ? "" : line.substr(i);
}

struct Located {
    std::optional<std::size_t> line;       // the line assigning the key
    std::optional<std::size_t> after_eq;   // where its value starts
    std::optional<std::size_t> table_end;  // last content line of the key's table
    std::optional<std::size_t> first_header;
    std::string leaf;
};

Located locate(const std::vector<std::string>& lines, std::string_view key) {
    const auto dot = key.rfind('.');
    const std::string prefix = dot == std::string_view::npos ? "" : std::string(key.substr(0, dot));
    Located found;
    found.leaf =
        dot == std::string_view::npos ? std::string(key) : std::string(key.substr(dot + 1));
    std::string current;
    bool in_prefix_table = false;
    for (std::size_t n = 0; n < lines.size(); ++n) {
        if (const auto header = table_header(lines[n])) {
            current = *header;
            in_prefix_table = !prefix.empty() && current == prefix;
            if (!found.first_header) {
                found.first_header = n;
            }
            if (in_prefix_table) {
                found.table_end = n;
            }
            continue;
        }
        std::optional<std::size_t> eq;
        if (current.empty()) {
            eq = assignment_of(lines[n], key);
        } else if (in_prefix_table) {
            eq = assignment_of(lines[n], found.leaf);
        }
        if (eq && !found.line) {
            found.line = n;
            found.after_eq = eq;
        }
        if (in_prefix_table && !core::trim(lines[n]).empty()) {
            found.table_end = n;
        }
    }
    return found;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) {
        out += l;
        out += '\n';
    }
    return out;
}

core::Status write_checked(const std::filesystem::path& file,
                           const std::vector<std::string>& lines) {
    const std::string text = join_lines(lines);
    core::Config scratch;
    auto status = load_config_text(text, file.string(), core::Layer::user_file, scratch);
    if (!status) {
        return core::fail(ErrorKind::internal, "config.edit_failed",
                          "editing " + file.string() + " would leave it invalid (" +
                              status.error().message + "); the file was not changed");
    }
    auto dir = ensure_private_dir(file.parent_path());
    if (!dir) {
        return dir;
    }
    unsigned mode = 0644;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) {
        mode = st.st_mode & 0777;
    }
    return write_file_atomically(file, text, mode);
}

core::Expected<std::vector<std::string>> read_lines(const std::filesystem::path& file) {
    auto text = read_file(file);
    if (!text) {
        if (text.error().kind == ErrorKind::not_found) {
            return std::vector<std::string>{};
        }
        return core::fail(text.error());
    }
    core::Config scratch;
    auto check = load_config_text(*text, file.string(), core::Layer::user_file, scratch);
    if (!check) {
        return core::fail(
            ErrorKind::config, check.error().code,
            check.error().message + "; fix the file by hand first (" + file.string() + ")");
    }
    return split_lines(*text);
}

}  // namespace

core::Status load_config_text(std::string_view text, const std::string& source, core::Layer layer,
                              core::Config& config) {
    if (toml_depth(text, core::k_max_json_depth) > core::k_max_json_depth) {
        return core::fail(ErrorKind::config, "config.too_deep",
                          source + ": nests tables, keys and arrays more than " +
                              std::to_string(core::k_max_json_depth) + " levels deep");
    }
    toml::table table;
    try {
        table = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        return core::fail(ErrorKind::config, "config.syntax",
                          source + ":" + std::to_string(e.source().begin.line) + ":" +
                              std::to_string(e.source().begin.column) +
                              ": not valid TOML: " + std::string(e.description()));
    }
    return apply_table(table, "", source, layer, config);
}

core::Status load_config_file(const std::filesystem::path& file, core::Layer layer,
                              core::Config& config) {
    auto text = read_file(file);
    if (!text) {
        return text.error().kind == ErrorKind::not_found ? core::Status{}
                                                         : core::Status{core::fail(text.error())};
    }
    return load_config_text(*text, file.string(), layer, config);
}

core::Status set_config_file_key(const std::filesystem::path& file, std::string_view key,
                                 std::string_view value_text) {
    core::Config probe;
    auto valid = probe.set(key, core::RawValue{std::string(value_text)},
                           core::Origin{core::Layer::flags, "config set"});
    if (!valid) {
        return core::fail(ErrorKind::usage, valid.error().code, valid.error().message);
    }
    const auto& entry = probe.entry(key);
    const std::string literal = toml_literal(*entry.spec, entry.value);

    auto lines = read_lines(file);
    if (!lines) {
        return core::fail(lines.error());
    }
    const Located at = locate(*lines, key);
    const auto dot = key.rfind('.');
    const std::string prefix = dot == std::string_view::npos ? "" : std::string(key.substr(0, dot));
    if (at.line) {
        std::string& line = (*lines)[*at.line];
        const std::string indent = line.substr(0, line.find_first_not_of(" \t"));
        const std::string written_key = line.substr(indent.size(), line.find('=') - indent.size());
        const std::string comment = trailing_comment(line, *at.after_eq);
        line = indent + core::trim(written_key) + " = " + literal + comment;
    } else if (prefix.empty()) {
        // A top-level key must come before the first table header.
        const std::size_t pos = at.first_header.value_or(lines->size());
        if (at.first_header && (pos == 0 || !core::trim((*lines)[pos - 1]).empty())) {
            lines->insert(lines->begin() + static_cast<std::ptrdiff_t>(pos), "");
        }
        lines->insert(lines->begin() + static_cast<std::ptrdiff_t>(pos),
                      std::string(key) + " = " + literal);
    } else if (at.table_end) {
        lines->insert(lines->begin() + static_cast<std::ptrdiff_t>(*at.table_end + 1),
                      at.leaf + " = " + literal);
    } else {
        if (!lines->empty() && !core::trim(lines->back()).empty()) {
            lines->push_back("");
        }
        lines->push_back("[" + prefix + "]");
        lines->push_back(at.leaf + " = " + literal);
    }
    return write_checked(file, *lines);
}

core::Status unset_config_file_key(const std::filesystem::path& file, std::string_view key) {
    if (!core::find_key(key)) {
        core::Config probe;
        return probe.set(key, core::RawValue{std::string()},
                         core::Origin{core::Layer::flags, "config unset"});
    }
    auto lines = read_lines(file);
    if (!lines) {
        return core::fail(lines.error());
    }
    const Located at = locate(*lines, key);
    if (!at.line) {
        return {};
    }
    lines->erase(lines->begin() + static_cast<std::ptrdiff_t>(*at.line));
    return write_checked(file, *lines);
}

}  // namespace sota::adapters
