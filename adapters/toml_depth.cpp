#include "adapters/toml_depth.hpp"

#include <algorithm>
#include <cctype>

namespace sota::adapters {

std::size_t toml_depth(std::string_view text, std::size_t limit) {
    std::size_t deepest = 0;
    std::size_t header = 0;    // depth of the current [table] or [[array]]
    std::size_t dots = 0;      // dotted-key parts in this statement
    std::size_t brackets = 0;  // open [ and { in this statement
    std::size_t statement = 0;
    bool in_header = false, at_line_start = true;
    const auto digit = [&](std::size_t i) {
        return i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]));
    };
    for (std::size_t i = 0; i < text.size() && deepest <= limit; ++i) {
        const char c = text[i];
        if (c == '#') {
            i = std::min(text.find('\n', i), text.size()) - 1;
            continue;
        }
        if (c == '"' || c == '\'') {
            const bool multi = text.substr(i, 3) == std::string_view(c == '"' ? "\"\"\"" : "'''");
            const std::string_view close = multi ? text.substr(i, 3) : text.substr(i, 1);
            std::size_t j = i + close.size();
            while (j < text.size() && text.substr(j, close.size()) != close) {
                j += (c == '"' && text[j] == '\\') ? 2 : 1;
            }
            i = std::min(j + close.size(), text.size()) - 1;
            at_line_start = false;
            continue;
        }
        if (c == '\n') {
            if (in_header) {
                header = dots + 1;
                in_header = false;
            }
            if (brackets == 0) {
                dots = 0;
                statement = 0;
            }
            at_line_start = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            continue;
        }
        if (at_line_start && brackets == 0 && c == '[') {
            in_header = true;
            dots = 0;
            at_line_start = false;
            if (i + 1 < text.size() && text[i + 1] == '[') {
                ++i;
            }
            continue;
        }
        at_line_start = false;
        if (in_header) {
            if (c == '.') {
                ++dots;
            } else if (c == ']') {
                header = dots + 1;
                in_header = false;
                dots = 0;
            }
            continue;
        }
        if (c == '.' && !(i > 0 && digit(i - 1) && digit(i + 1))) {
            ++dots;
        } else if (c == '[' || c == '{') {
            ++brackets;
            statement = std::max(statement, brackets);
        } else if ((c == ']' || c == '}') && brackets > 0) {
            --brackets;
        }
        deepest = std::max(deepest, header + dots + 1 + statement);
    }
    return deepest;
}

}  // namespace sota::adapters
