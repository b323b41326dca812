#include "core/text.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/json_limits.hpp"

namespace sota::core {

std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

std::string trim(std::string_view text) {
    const auto b = text.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) {
        return "";
    }
    const auto e = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(b, e - b + 1));
}

std::string without_trailing_slashes(std::string_view url) {
    while (!url.empty() && url.back() == '/') {
        url.remove_suffix(1);
    }
    return std::string(url);
}

std::string iso8601_utc(std::chrono::system_clock::time_point time) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(time);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool append_json_string(std::string& out, std::string_view text) {
    const std::size_t before = out.size();
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    std::size_t run = 0;     // start of the plain characters not yet copied
    unsigned char high = 0;  // any byte above 0x7f: the text is checked for UTF-8 at the end
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        high |= c;
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        out.append(text.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default: {
                static constexpr char k_hex[] = "0123456789abcdef";
                out += "\\u00";
                out += k_hex[c >> 4];
                out += k_hex[c & 0xF];
            }
        }
    }
    if ((high & 0x80) != 0 && !simdjson::validate_utf8(text.data(), text.size())) {
        out.resize(before);
        return false;
    }
    out.append(text.data() + run, text.size() - run);
    out += '"';
    return true;
}

namespace {

/// Appends `value` as dump(indent) writes it, `depth` levels deep; false if a text in it is not
/// UTF-8.
bool append_json(std::string& out, const nlohmann::json& value, int indent, int depth) {
    using value_t = nlohmann::json::value_t;
    const bool pretty = indent >= 0;
    // When pretty: a new line, indented `level` levels.
    const auto line_break = [&](int level) {
        if (pretty) {
            out += '\n';
            out.append(static_cast<std::size_t>(level * indent), ' ');
        }
    };
    switch (value.type()) {
        case value_t::object: {
            if (value.empty()) {
                out += "{}";
                return true;
            }
            out += '{';
            bool first = true;
            for (auto it = value.begin(); it != value.end(); ++it) {
                if (!first) {
                    out += ',';
                }
                first = false;
                line_break(depth + 1);
                if (!append_json_string(out, it.key())) {
                    return false;
                }
                out += pretty ? ": " : ":";
                if (!append_json(out, it.value(), indent, depth + 1)) {
                    return false;
                }
            }
            line_break(depth);
            out += '}';
            return true;
        }
        case value_t::array: {
            if (value.empty()) {
                out += "[]";
                return true;
            }
            out += '[';
            bool first = true;
            for (const auto& item : value) {
                if (!first) {
                    out += ',';
                }
                first = false;
                line_break(depth + 1);
                if (!append_json(out, item, indent, depth + 1)) {
                    return false;
                }
            }
            line_break(depth);
            out += ']';
            return true;
        }
        case value_t::string:
            return append_json_string(out, value.get_ref<const std::string&>());
        case value_t::boolean:
            out += value.get<bool>() ? "true" : "false";
            return true;
        case value_t::null:
            out += "null";
            return true;
        case value_t::number_integer:
        case value_t::number_unsigned: {
            char digits[24];
            const auto end =
                value.type() == value_t::number_integer
                    ? std::to_chars(digits, digits + sizeof digits, value.get<std::int64_t>()).ptr
                    : std::to_chars(digits, digits + sizeof digits, value.get<std::uint64_t>()).ptr;
            out.append(digits, end);
            return true;
        }
        case value_t::number_float: {
            // The serializer's own formatting (shortest round-trip digits, "1.0" for whole
            // numbers, null for NaN and infinities), without building a serializer per number.
            const double x = value.get<double>();
            if (!std::isfinite(x)) {
                out += "null";
                return true;
            }
            std::array<char, 64> digits{};
            const char* end =
                nlohmann::detail::to_chars(digits.data(), digits.data() + digits.size(), x);
            out.append(digits.data(), static_cast<std::size_t>(end - digits.data()));
            return true;
        }
        default:  // binary: as the serializer writes it
            out += value.dump(indent);
            return true;
    }
}

}  // namespace

namespace {

nlohmann::json from_element(simdjson::dom::element e) {
    using simdjson::dom::element_type;
    switch (e.type()) {
        case element_type::OBJECT: {
            nlohmann::json out = nlohmann::json::object();
            auto& members = out.get_ref<nlohmann::json::object_t&>();
            for (const auto field : simdjson::dom::object(e)) {
                // The last of duplicate keys wins, as with json::parse().
                members[std::string(field.key)] = from_element(field.value);
            }
            return out;
        }
        case element_type::ARRAY: {
            nlohmann::json out = nlohmann::json::array();
            auto& items = out.get_ref<nlohmann::json::array_t&>();
            for (const auto item : simdjson::dom::array(e)) {
                items.push_back(from_element(item));
            }
            return out;
        }
        case element_type::STRING:
            return std::string(std::string_view(e));
        case element_type::INT64: {
            // json::parse() keeps a non-negative integer unsigned.
            const std::int64_t v = std::int64_t(e);
            return v >= 0 ? nlohmann::json(static_cast<std::uint64_t>(v)) : nlohmann::json(v);
        }
        case element_type::UINT64:
            return std::uint64_t(e);
        case element_type::DOUBLE:
            return double(e);
        case element_type::BOOL:
            return bool(e);
        case element_type::NULL_VALUE:
        default:
            return nullptr;
    }
}

}  // namespace

std::size_t json_depth(std::string_view text, std::size_t limit) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > limit) {
                return deepest;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

Expected<nlohmann::json> read_json(std::string_view text) {
    // The parser's buffers are kept for the next document; its depth limit is set once.
    thread_local simdjson::dom::parser parser = [] {
        simdjson::dom::parser p;
        // Without memory for it now, the parser allocates on first use (and fails there).
        // simdjson counts the document itself as a level: k_max_json_depth + 1 reads exactly
        // k_max_json_depth nested arrays and objects.
        [[maybe_unused]] const auto error =
            p.allocate(simdjson::dom::MINIMAL_DOCUMENT_CAPACITY, k_max_json_depth + 1);
        return p;
    }();
    const auto too_deep = [] {
        return fail(ErrorKind::usage, "json.too_deep",
                    "the JSON nests arrays and objects more than " +
                        std::to_string(k_max_json_depth) + " levels deep");
    };
    simdjson::dom::element root;
    if (const auto error = parser.parse(text.data(), text.size()).get(root); error) {
        if (error == simdjson::DEPTH_ERROR) {
            return too_deep();
        }
        // Not JSON, or JSON simdjson does not take (an integer past 64 bits, which json::parse
        // reads as a double): json::parse() decides, within the same depth.
        if (json_depth(text, k_max_json_depth) > k_max_json_depth) {
            return too_deep();
        }
        nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
        if (doc.is_discarded()) {
            return fail(ErrorKind::usage, "json.invalid", "the text is not valid JSON");
        }
        return doc;
    }
    return from_element(root);
}

nlohmann::json parse_json(std::string_view text) {
    auto doc = read_json(text);
    return doc ? std::move(*doc) : nlohmann::json(nlohmann::json::value_t::discarded);
}

std::string dump_json(const nlohmann::json& value, int indent) {
    std::string out;
    if (!append_json(out, value, indent, 0)) {
        return value.dump(indent);
    }
    return out;
}

}  // namespace sota::core
