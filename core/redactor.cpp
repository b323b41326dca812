#include "core/redactor.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>

#include "core/base64.hpp"

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

std::string percent_encoded(std::string_view value, bool plus_for_space) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else if (c == ' ' && plus_for_space) {
            out += '+';
        } else {
            out += '%';
            out += k_hex[u >> 4];
            out += k_hex[u & 15];
        }
    }
    return out;
}

std::string json_escaped(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '/' || c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

// The characters of base64(P + value) that depend on the value alone, for |P| % 3 == align.
std::string base64_core(std::string_view value, std::size_t align, bool url_safe) {
    std::string padded(align, '\0');
    padded.append(value);
    std::string encoded = base64_encode(padded);
    const std::size_t first = (8 * align + 5) / 6;           // first char of value bits only
    const std::size_t end = 8 * (align + value.size()) / 6;  // one past the last such char
    std::string core = end > first ? encoded.substr(first, end - first) : std::string();
    if (url_safe) {
        std::replace(core.begin(), core.end(), '+', '-');
        std::replace(core.begin(), core.end(), '/', '_');
    }
    return core;
}

struct Secret {
    std::string name;
    std::string value;
    std::string mask;  // "[redacted:NAME]"
};

struct Needle {
    std::string text;
    std::size_t secret;  // index into Table::secrets
};

}  // namespace

std::vector<std::string> secret_forms(std::string_view value) {
    std::vector<std::string> forms{std::string(value)};
    if (value.size() < 8) {
        return forms;
    }
    auto add = [&](std::string form) {
        if (form.size() >= 8 && std::find(forms.begin(), forms.end(), form) == forms.end()) {
            forms.push_back(std::move(form));
        }
    };
    std::string no_spaces(value);
    no_spaces.erase(std::remove(no_spaces.begin(), no_spaces.end(), ' '), no_spaces.end());
    add(no_spaces);
    add(percent_encoded(value, false));
    add(percent_encoded(value, true));
    add(json_escaped(value));
    for (const bool url_safe : {false, true}) {
        for (std::size_t align = 0; align < 3; ++align) {
            add(base64_core(value, align, url_safe));
        }
    }
    return forms;
}

/// Every registered secret, its forms as needles (longest first, so overlapping secrets mask
/// whole), and a filter on their first two bytes that lets a scan skip almost every position.
struct Redactor::Table {
    std::vector<Secret> secrets;
    std::vector<Needle> needles;
    std::array<std::uint64_t, 1024> pairs{};  // bit (c0 << 8 | c1): some needle starts so
    std::array<bool, 256> first{};            // some needle starts with this byte
    std::size_t longest = 0;

    static unsigned pair_at(const char* p) {
        return static_cast<unsigned>(static_cast<unsigned char>(p[0])) << 8 |
               static_cast<unsigned char>(p[1]);
    }
    bool may_start(const char* p) const {
        const unsigned key = pair_at(p);
        return (pairs[key >> 6] >> (key & 63)) & 1U;
    }

    /// The needle at text[i], if any.
    const Needle* match_at(std::string_view text, std::size_t i) const {
        if (i + 1 >= text.size() || !may_start(text.data() + i)) {
            return nullptr;
        }
        for (const auto& n : needles) {
            if (n.text.size() <= text.size() - i &&
                std::memcmp(text.data() + i, n.text.data(), n.text.size()) == 0) {
                return &n;
            }
        }
        return nullptr;
    }

    /// Masks every needle; false (and `out` untouched) if there is none.
    bool mask_needles(std::string_view text, std::string& out) const {
        if (needles.empty()) {
            return false;
        }
        std::size_t copied = 0;
        bool changed = false;
        for (std::size_t i = 0; i + 1 < text.size();) {
            const Needle* n = match_at(text, i);
            if (!n) {
                ++i;
                continue;
            }
            if (!changed) {
                out.clear();
                out.reserve(text.size());
                changed = true;
            }
            out.append(text, copied, i - copied);
            out += secrets[n->secret].mask;
            i += n->text.size();
            copied = i;
        }
        if (changed) {
            out.append(text, copied);
        }
        return changed;
    }

    /// How much of `text` just before `at` is the start of the value `v`, and how much just after
    /// `from` is its end: 4 characters at least, never the whole value (0 when less).
    static std::size_t start_before(std::string_view text, std::size_t at, std::string_view v) {
        for (std::size_t n = std::min(at, v.size() - 1); n >= 4; --n) {
            if (text.substr(at - n, n) == v.substr(0, n)) {
                return n;
            }
        }
        return 0;
    }
    static std::size_t end_after(std::string_view text, std::size_t from, std::string_view v) {
        for (std::size_t n = std::min(text.size() - from, v.size() - 1); n >= 4; --n) {
            if (text.substr(from, n) == v.substr(v.size() - n)) {
                return n;
            }
        }
        return 0;
    }

    /// Masks "sk-abc...wxyz", "sk-proj-****wxyz" and "sk-abc…": a known secret's start or end
    /// beside an elision (three dots, three stars, or an ellipsis), with the elision.
    bool mask_partials(std::string& text) const {
        if (secrets.empty()) {
            return false;
        }
        auto marker_at = [&](std::size_t i) -> std::size_t {
            if (text.compare(i, 3, "...") == 0 || text.compare(i, 3, "***") == 0 ||
                text.compare(i, 3, "\xE2\x80\xA6") == 0) {
                return 3;
            }
            return 0;
        };
        bool changed = false;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            if ((c != '.' && c != '*' && c != '\xE2') || marker_at(i) == 0) {
                continue;
            }
            std::size_t run_end = i;
            while (run_end < text.size()) {
                if (text[run_end] == '.' || text[run_end] == '*') {
                    ++run_end;
                } else if (text.compare(run_end, 3, "\xE2\x80\xA6") == 0) {
                    run_end += 3;
                } else {
                    break;
                }
            }
            const Secret* owner = nullptr;
            std::size_t begin = i;
            std::size_t end = run_end;
            for (const auto& secret : secrets) {
                if (secret.value.size() < 12) {
                    continue;  // a part of a short value says too little to be told apart
                }
                const std::size_t head = start_before(text, i, secret.value);
                const std::size_t tail = end_after(text, run_end, secret.value);
                if (head + tail > 0) {
                    owner = &secret;
                    begin = i - head;
                    end = run_end + tail;
                    break;
                }
            }
            if (!owner) {
                i = run_end - 1;
                continue;
            }
            text.replace(begin, end - begin, owner->mask);
            i = begin + owner->mask.size() - 1;
            changed = true;
        }
        return changed;
    }
};

Redactor::Redactor() : m_table(std::make_shared<const Table>()) {}

Redactor::~Redactor() = default;

std::shared_ptr<const Redactor::Table> Redactor::table() const {
    std::lock_guard lock(m_mutex);
    return m_table;
}

void Redactor::add_secret(std::string_view name, std::string_view value) {
    if (value.size() < 4) {
        return;
    }
    std::lock_guard lock(m_mutex);
    for (const auto& s : m_table->secrets) {
        if (s.value == value) {
            return;
        }
    }
    auto next = std::make_shared<Table>();
    next->secrets = m_table->secrets;
    next->secrets.push_back(
        Secret{std::string(name), std::string(value), "[redacted:" + std::string(name) + "]"});
    for (std::size_t i = 0; i < next->secrets.size(); ++i) {
        for (auto& form : secret_forms(next->secrets[i].value)) {
            next->needles.push_back(Needle{std::move(form), i});
        }
    }
    std::stable_sort(
        next->needles.begin(), next->needles.end(),
        [](const Needle& a, const Needle& b) { return a.text.size() > b.text.size(); });
    for (const auto& n : next->needles) {
        const unsigned key = Table::pair_at(n.text.data());
        next->pairs[key >> 6] |= std::uint64_t{1} << (key & 63);
        next->first[static_cast<unsigned char>(n.text[0])] = true;
        next->longest = std::max(next->longest, n.text.size());
    }
    m_table = std::move(next);
}

std::string Redactor::redact(std::string_view text) const {
    std::string out;
    const auto t = table();
    if (!t->mask_needles(text, out)) {
        out.assign(text);
    }
    t->mask_partials(out);
    return mask_shapes(std::move(out));
}

bool Redactor::mask_known(std::string& text) const {
    const auto t = table();
    std::string out;
    bool changed = t->mask_needles(text, out);
    if (changed) {
        text = std::move(out);
    }
    return t->mask_partials(text) || changed;
}

bool Redactor::contains_secret(std::string_view text) const {
    const auto t = table();
    if (t->needles.empty()) {
        return false;
    }
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        if (t->match_at(text, i)) {
            return true;
        }
    }
    return false;
}

std::size_t Redactor::partial_at_end(std::string_view text) const {
    const auto t = table();
    const std::size_t most = std::min(text.size(), t->longest == 0 ? 0 : t->longest - 1);
    for (std::size_t k = most; k > 0; --k) {
        const std::string_view tail = text.substr(text.size() - k);
        if (!t->first[static_cast<unsigned char>(tail[0])]) {
            continue;
        }
        for (const auto& n : t->needles) {
            if (n.text.size() > k && n.text.compare(0, k, tail) == 0) {
                return k;
            }
        }
    }
    return 0;
}

bool Redactor::knows(std::string_view value) const {
    const auto t = table();
    return std::any_of(t->secrets.begin(), t->secrets.end(),
                       [&](const Secret& s) { return s.value == value; });
}

bool Redactor::empty() const {
    return table()->secrets.empty();
}

}  // namespace sota::core
