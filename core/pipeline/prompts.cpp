#include "core/pipeline/prompts.hpp"

#include <algorithm>

#include "core/builtin_data.hpp"
#include "core/llm/llm.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"

namespace sota::core::pipeline {

using nlohmann::json;

std::string Prompt::cache_tag() const {
    return name + "@v" + std::to_string(version) + ":" + digest.substr(0, 12);
}

Expected<Prompt> parse_prompt(std::string_view text, const std::string& name,
                              const std::string& source) {
    Prompt prompt;
    prompt.name = name;
    prompt.source = source;
    prompt.digest = sha256_hex(text);
    std::string* section = nullptr;
    bool have_version = false;
    bool have_user = false;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const std::string_view line = text.substr(pos, end - pos);
        ++line_no;
        const std::string trimmed = trim(line);
        if (trimmed.rfind("--- ", 0) == 0) {
            const std::string which = trim(trimmed.substr(4));
            if (which == "system") {
                section = &prompt.system;
            } else if (which == "user") {
                section = &prompt.user;
                have_user = true;
            } else {
                return fail(ErrorKind::usage, "prompt.invalid",
                            source + ":" + std::to_string(line_no) + ": unknown section '" + which +
                                "'; use '--- system' or '--- user'");
            }
        } else if (section) {
            section->append(line);
            section->push_back('\n');
        } else if (trimmed.rfind("version", 0) == 0) {
            const auto eq = trimmed.find('=');
            try {
                prompt.version = std::stoi(trimmed.substr(eq + 1));
                have_version = eq != std::string::npos && prompt.version > 0;
            } catch (const std::exception&) {
                have_version = false;
            }
            if (!have_version) {
                return fail(ErrorKind::usage, "prompt.invalid",
                            source + ":" + std::to_string(line_no) +
                                ": the version must be a positive integer: version = 1");
            }
        } else if (trimmed.rfind("max_tokens", 0) == 0) {
            const auto eq = trimmed.find('=');
            int value = 0;
            try {
                value = eq == std::string::npos ? 0 : std::stoi(trimmed.substr(eq + 1));
            } catch (const std::exception&) {
                value = 0;
            }
            if (value < 1 || value > llm::k_max_output_tokens) {
                return fail(ErrorKind::usage, "prompt.invalid",
                            source + ":" + std::to_string(line_no) +
                                ": max_tokens is a whole number from 1 to " +
                                std::to_string(llm::k_max_output_tokens) + ": max_tokens = 2000");
            }
            prompt.max_tokens = value;
        } else if (!trimmed.empty() && trimmed[0] != '#') {
            return fail(ErrorKind::usage, "prompt.invalid",
                        source + ":" + std::to_string(line_no) +
                            ": expected 'version = N', 'max_tokens = N' or a '--- system' / "
                            "'--- user' line");
        }
        pos = end + 1;
    }
    if (!have_version || !have_user) {
        return fail(ErrorKind::usage, "prompt.invalid",
                    source + ": a prompt needs a 'version = N' line and a '--- user' section");
    }
    prompt.system = trim(prompt.system);
    prompt.user = trim(prompt.user);
    return prompt;
}

PromptLibrary PromptLibrary::built_in() {
    PromptLibrary library;
    for (const auto& [name, text] : k_builtin_prompts) {
        auto prompt = parse_prompt(text, name, "built-in");
        if (prompt) {
            library.put(std::move(*prompt));
        }
    }
    return library;
}

Expected<const Prompt*> PromptLibrary::get(const std::string& name) const {
    const auto it = m_prompts.find(name);
    if (it == m_prompts.end()) {
        return fail(ErrorKind::internal, "prompt.missing", "no prompt named '" + name + "'");
    }
    return &it->second;
}

namespace {

const json* lookup(const json& vars, const std::string& path) {
    const json* node = &vars;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto dot = path.find('.', start);
        if (dot == std::string::npos) {
            dot = path.size();
        }
        const std::string part = path.substr(start, dot - start);
        if (!node->is_object() || !node->contains(part)) {
            return nullptr;
        }
        node = &(*node)[part];
        start = dot + 1;
    }
    return node;
}

std::string format_value(const json& value) {
    if (value.is_string()) {
        return value.get<std::string>();
    }
    if (value.is_null()) {
        return "";
    }
    if (value.is_array() &&
        std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); })) {
        std::string out;
        for (const auto& v : value) {
            out += "- " + v.get<std::string>() + "\n";
        }
        if (!out.empty()) {
            out.pop_back();
        }
        return out;
    }
    return value.is_number() || value.is_boolean() ? value.dump() : value.dump(2);
}

}  // namespace

Status check_template(std::string_view text) {
    for (std::size_t pos = text.find("{{"); pos != std::string_view::npos;
         pos = text.find("{{", pos)) {
        const auto close = text.find("}}", pos + 2);
        const std::size_t line =
            1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + pos, '\n'));
        if (close == std::string_view::npos) {
            return fail(ErrorKind::usage, "template.unclosed",
                        "the '{{' on line " + std::to_string(line) +
                            " of the template is never closed with '}}'");
        }
        if (trim(text.substr(pos + 2, close - pos - 2)).empty()) {
            return fail(ErrorKind::usage, "template.empty_name",
                        "the '{{}}' on line " + std::to_string(line) +
                            " of the template names nothing; write {{keyword}} or an input's "
                            "name");
        }
        pos = close + 2;
    }
    return {};
}

Expected<std::string> render_template(std::string_view text, const json& vars) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            out.append(text.substr(pos));
            break;
        }
        const auto close = text.find("}}", open + 2);
        if (close == std::string_view::npos) {
            return fail(ErrorKind::usage, "template.unclosed",
                        "a '{{' in the template is never closed with '}}'");
        }
        out.append(text.substr(pos, open - pos));
        const std::string name = trim(text.substr(open + 2, close - open - 2));
        const json* value = lookup(vars, name);
        if (!value) {
            std::string known;
            for (const auto& [k, v] : vars.items()) {
                known += (known.empty() ? "" : ", ") + k;
            }
            return fail(ErrorKind::usage, "template.unknown",
                        "the template uses {{" + name + "}}, which is not an artifact or job " +
                            "field available here (available: " + known + ")");
        }
        out += format_value(*value);
        pos = close + 2;
    }
    return out;
}

}  // namespace sota::core::pipeline
