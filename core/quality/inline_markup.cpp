#include "core/quality/inline_markup.hpp"

#include <cctype>

#include "core/pipeline/html_outline.hpp"
#include "core/text.hpp"

namespace sota::core::quality {
namespace {

bool alnum_at(std::string_view t, std::size_t i) {
    return i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) ||
                            static_cast<unsigned char>(t[i]) >= 0x80);
}

// The position of the ']' closing the '[' at `open`, or npos.
std::size_t closing_bracket(std::string_view t, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < t.size(); ++i) {
        if (t[i] == '\\') {
            ++i;
        } else if (t[i] == '`') {
            const auto end = t.find('`', i + 1);
            if (end == std::string_view::npos) {
                return std::string_view::npos;
            }
            i = end;
        } else if (t[i] == '[') {
            ++depth;
        } else if (t[i] == ']' && --depth == 0) {
            return i;
        }
    }
    return std::string_view::npos;
}

std::size_t closing_paren(std::string_view t, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < t.size(); ++i) {
        if (t[i] == '\\') {
            ++i;
        } else if (t[i] == '(') {
            ++depth;
        } else if (t[i] == ')' && --depth == 0) {
            return i;
        }
    }
    return std::string_view::npos;
}

std::string destination_url(std::string_view inside) {
    std::string d = trim(inside);
    if (!d.empty() && d.front() == '<') {
        const auto close = d.find('>');
        return d.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    }
    return d.substr(0, d.find_first_of(" \t\n"));
}

bool autolink(std::string_view t, std::size_t pos, std::string& url, std::size_t& end) {
    const auto close = t.find('>', pos);
    if (close == std::string_view::npos) {
        return false;
    }
    const std::string_view inside = t.substr(pos + 1, close - pos - 1);
    const auto colon = inside.find(':');
    const bool scheme = colon != std::string_view::npos && colon >= 2 &&
                        std::isalpha(static_cast<unsigned char>(inside[0]));
    const bool email = inside.find('@') != std::string_view::npos;
    if ((!scheme && !email) || inside.find_first_of(" \t\n<") != std::string_view::npos) {
        return false;
    }
    url = scheme ? std::string(inside) : "mailto:" + std::string(inside);
    end = close + 1;
    return true;
}

}  // namespace

std::size_t read_html_tag(std::string_view html, std::size_t pos, HtmlTag& tag) {
    tag = HtmlTag{};
    if (html.compare(pos, 4, "<!--") == 0) {
        const auto end = html.find("-->", pos + 4);
        tag.name = "!--";
        return end == std::string_view::npos ? html.size() : end + 3;
    }
    // The closing '>' outside quoted attribute values.
    char quote = 0;
    std::size_t end = pos + 1;
    for (; end < html.size(); ++end) {
        const char c = html[end];
        if (quote) {
            quote = c == quote ? 0 : quote;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '>') {
            break;
        }
    }
    std::string_view inner = html.substr(pos + 1, std::min(end, html.size()) - pos - 1);
    if (!inner.empty() && inner[0] == '/') {
        tag.closing = true;
        inner.remove_prefix(1);
    }
    std::size_t n = 0;
    while (n < inner.size() && (std::isalnum(static_cast<unsigned char>(inner[n])) ||
                                inner[n] == '!' || inner[n] == '-')) {
        ++n;
    }
    tag.name = to_lower(inner.substr(0, n));
    tag.attributes = std::string(inner.substr(n));
    return std::min(end + 1, html.size());
}

std::string html_attribute(std::string_view attributes, std::string_view name) {
    const std::string lower = to_lower(attributes);
    std::size_t pos = 0;
    while ((pos = lower.find(name, pos)) != std::string::npos) {
        const bool boundary = pos == 0 || std::isspace(static_cast<unsigned char>(lower[pos - 1]));
        std::size_t p = pos + name.size();
        while (p < lower.size() && std::isspace(static_cast<unsigned char>(lower[p]))) {
            ++p;
        }
        if (boundary && p < lower.size() && lower[p] == '=') {
            ++p;
            while (p < lower.size() && std::isspace(static_cast<unsigned char>(lower[p]))) {
                ++p;
            }
            if (p < lower.size() && (lower[p] == '"' || lower[p] == '\'')) {
                const auto close = lower.find(lower[p], p + 1);
                return pipeline::decode_entities(attributes.substr(
                    p + 1, close == std::string::npos ? std::string::npos : close - p - 1));
            }
            const auto close = lower.find_first_of(" \t\n/>", p);
            return pipeline::decode_entities(attributes.substr(p, close - p));
        }
        pos += name.size();
    }
    return "";
}

bool rel_nofollow(std::string_view attributes) {
    return to_lower(html_attribute(attributes, "rel")).find("nofollow") != std::string::npos;
}

std::string InlineReader::read(std::string_view t) {
    std::string out;
    struct OpenAnchor {
        std::string url;
        bool nofollow = false;
        std::size_t start = 0;
    };
    std::vector<OpenAnchor> anchors;
    for (std::size_t i = 0; i < t.size();) {
        const char c = t[i];
        if (c == '\\' && i + 1 < t.size() && std::ispunct(static_cast<unsigned char>(t[i + 1]))) {
            out += t[i + 1];
            i += 2;
            continue;
        }
        if (c == '`') {
            // A code span: the same number of backticks closes it. Not prose.
            const std::size_t run = t.find_first_not_of('`', i) == std::string_view::npos
                                        ? t.size() - i
                                        : t.find_first_not_of('`', i) - i;
            const std::string fence(run, '`');
            std::size_t close = t.find(fence, i + run);
            while (close != std::string_view::npos && close + run < t.size() &&
                   t[close + run] == '`') {
                close = t.find(fence, close + run + 1);
            }
            i = close == std::string_view::npos ? i + run : close + run;
            out += ' ';
            continue;
        }
        const bool image = c == '!' && i + 1 < t.size() && t[i + 1] == '[';
        if (c == '[' || image) {
            const std::size_t open = image ? i + 1 : i;
            const auto close = closing_bracket(t, open);
            if (close != std::string_view::npos) {
                const std::string_view label = t.substr(open + 1, close - open - 1);
                std::string url;
                std::size_t after = close + 1;
                bool found = false;
                if (after < t.size() && t[after] == '(') {
                    const auto end = closing_paren(t, after);
                    if (end != std::string_view::npos) {
                        url = destination_url(t.substr(after + 1, end - after - 1));
                        after = end + 1;
                        found = true;
                    }
                } else {
                    std::string id = to_lower(label);
                    if (after < t.size() && t[after] == '[') {
                        const auto end = t.find(']', after);
                        if (end != std::string_view::npos) {
                            if (end > after + 1) {
                                id = to_lower(t.substr(after + 1, end - after - 1));
                            }
                            after = end + 1;
                        }
                    }
                    if (const auto it = m_definitions.find(id); it != m_definitions.end()) {
                        url = it->second;
                        found = true;
                    }
                }
                if (found) {
                    std::vector<Link> ignored;
                    if (image) {
                        InlineReader alt(m_definitions, ignored, ignored);
                        m_images.push_back({trim(alt.read(label)), url, false});
                    } else {
                        const std::string text = read(label);
                        m_links.push_back({trim(text), url, false});
                        out += text;
                    }
                    i = after;
                    continue;
                }
            }
        }
        if (c == '<') {
            std::string url;
            std::size_t end = 0;
            if (autolink(t, i, url, end)) {
                m_links.push_back({url.starts_with("mailto:") ? url.substr(7) : url, url, false});
                out += m_links.back().text;
                i = end;
                continue;
            }
            if (i + 1 < t.size() && (std::isalpha(static_cast<unsigned char>(t[i + 1])) ||
                                     t[i + 1] == '/' || t[i + 1] == '!')) {
                HtmlTag tag;
                const std::size_t next = read_html_tag(t, i, tag);
                if (tag.name == "a" && !tag.closing) {
                    anchors.push_back({html_attribute(tag.attributes, "href"),
                                       rel_nofollow(tag.attributes), out.size()});
                } else if (tag.name == "a" && !anchors.empty()) {
                    const auto a = anchors.back();
                    anchors.pop_back();
                    m_links.push_back(
                        {trim(pipeline::decode_entities(out.substr(a.start))), a.url, a.nofollow});
                } else if (tag.name == "img") {
                    m_images.push_back({html_attribute(tag.attributes, "alt"),
                                        html_attribute(tag.attributes, "src"), false});
                } else if (tag.name == "code" && !tag.closing) {
                    const auto close = to_lower(t).find("</code", next);
                    i = close == std::string::npos ? t.size() : t.find('>', close) + 1;
                    out += ' ';
                    continue;
                } else if (tag.name == "br") {
                    out += ' ';
                }
                i = next;
                continue;
            }
        }
        if (c == '*' || c == '~') {
            const bool spaced =
                (i == 0 || t[i - 1] == ' ') && (i + 1 >= t.size() || t[i + 1] == ' ');
            if (!spaced) {
                ++i;
                continue;
            }
        }
        if (c == '_' && !(i > 0 && alnum_at(t, i - 1) && alnum_at(t, i + 1))) {
            ++i;
            continue;
        }
        out += c == '\n' ? ' ' : c;
        ++i;
    }
    return pipeline::decode_entities(out);
}

}  // namespace sota::core::quality
