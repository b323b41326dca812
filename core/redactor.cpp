#include "core/redactor.hpp"

#include <algorithm>
#include <cctype>

namespace sota::core {
namespace {

bool token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

bool iequals_at(std::string_view text, std::size_t pos, std::string_view word) {
    if (pos + word.size() > text.size()) {
        return false;
    }
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[pos + i])) != word[i]) {
            return false;
        }
    }
    return true;
}

// Masks the value after credential-bearing header names and bearer/basic schemes, and bare
// tokens in the shape of OpenAI/Anthropic keys.
std::string mask_shapes(std::string text) {
    static constexpr std::string_view k_prefixes[] = {"bearer ",
                                                      "basic ",
                                                      "x-api-key: ",
                                                      "x-api-key:",
                                                      "x-goog-api-key: ",
                                                      "x-goog-api-key:",
                                                      "\"x-api-key\":\"",
                                                      "\"x-goog-api-key\":\"",
                                                      "\"authorization\":\"bearer ",
                                                      "\"authorization\":\"basic "};
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        bool masked = false;
        for (const auto prefix : k_prefixes) {
            if (iequals_at(text, i, prefix)) {
                std::size_t end = i + prefix.size();
                std::size_t value_end = end;
                while (value_end < text.size() &&
                       (token_char(text[value_end]) || text[value_end] == '+' ||
                        text[value_end] == '/' || text[value_end] == '=' ||
                        text[value_end] == ':')) {
                    ++value_end;
                }
                if (value_end - end >= 4) {
                    out.append(text, i, prefix.size());
                    out += "[redacted]";
                    i = value_end;
                    masked = true;
                }
                break;
            }
        }
        if (masked) {
            continue;
        }
        // "sk-" / "sk-ant-" style keys: at a token boundary, at least 20 token characters.
        if ((i == 0 || !token_char(text[i - 1])) && text.compare(i, 3, "sk-") == 0) {
            std::size_t end = i + 3;
            while (end < text.size() && token_char(text[end])) {
                ++end;
            }
            if (end - i >= 20) {
                out += "[redacted]";
                i = end;
                continue;
            }
        }
        out += text[i];
        ++i;
    }
    return out;
}

}  // namespace

void Redactor::add_secret(std::string_view name, std::string_view value) {
    if (value.size() < 4) {
        return;
    }
    std::unique_lock lock(m_mutex);
    for (const auto& s : m_secrets) {
        if (s.value == value) {
            return;
        }
    }
    m_secrets.push_back(Secret{std::string(name), std::string(value)});
    std::stable_sort(m_secrets.begin(), m_secrets.end(), [](const Secret& a, const Secret& b) {
        return a.value.size() > b.value.size();
    });
}

std::string Redactor::redact(std::string_view text) const {
    std::string out(text);
    {
        std::shared_lock lock(m_mutex);
        for (const auto& s : m_secrets) {
            const std::string mask = "[redacted:" + s.name + "]";
            std::size_t pos = 0;
            while ((pos = out.find(s.value, pos)) != std::string::npos) {
                out.replace(pos, s.value.size(), mask);
                pos += mask.size();
            }
        }
    }
    return mask_shapes(std::move(out));
}

bool Redactor::contains_secret(std::string_view text) const {
    std::shared_lock lock(m_mutex);
    return std::any_of(m_secrets.begin(), m_secrets.end(), [&](const Secret& s) {
        return text.find(s.value) != std::string_view::npos;
    });
}

}  // namespace sota::core
