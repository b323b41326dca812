#include "core/pipeline/html_outline.hpp"

#include <cctype>
#include <set>

#include "core/quality/text_stats.hpp"
#include "core/text.hpp"

namespace sota::core::pipeline {

namespace {

void append_utf8(std::string& out, unsigned long cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x110000) {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string collapse_space(std::string_view text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = !out.empty();
        } else {
            if (space) {
                out.push_back(' ');
                space = false;
            }
            out.push_back(c);
        }
    }
    return out;
}

/// One tag: its lower-case name, whether it closes, and its raw attribute text.
struct Tag {
    std::string name;
    bool closing = false;
    std::string attributes;
};

/// Reads the tag starting at html[pos] == '<'; returns the position after it.
std::size_t read_tag(std::string_view html, std::size_t pos, Tag& tag) {
    if (html.compare(pos, 4, "<!--") == 0) {
        const auto end = html.find("-->", pos + 4);
        tag = Tag{"!--", false, ""};
        return end == std::string_view::npos ? html.size() : end + 3;
    }
    const auto end = html.find('>', pos);
    if (end == std::string_view::npos) {
        tag = Tag{};
        return html.size();
    }
    std::string_view inner = html.substr(pos + 1, end - pos - 1);
    tag = Tag{};
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
    return end + 1;
}

std::string attribute(const std::string& attributes, const std::string& name) {
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
                const char quote = lower[p];
                const auto close = lower.find(quote, p + 1);
                return decode_entities(attributes.substr(p + 1, close - p - 1));
            }
            const auto close = lower.find_first_of(" \t\n/>", p);
            return decode_entities(attributes.substr(p, close - p));
        }
        pos += name.size();
    }
    return "";
}

const std::set<std::string>& skipped_tags() {
    static const std::set<std::string> tags = {"script", "style",    "nav",  "header", "footer",
                                               "aside",  "noscript", "form", "svg",    "template"};
    return tags;
}

/// Skips to the end of a raw-text element such as <script>.
std::size_t skip_element(std::string_view html, std::size_t pos, const std::string& name) {
    const std::string close = "</" + name;
    std::size_t p = pos;
    while (p < html.size()) {
        const auto found = html.find('<', p);
        if (found == std::string_view::npos) {
            return html.size();
        }
        if (to_lower(html.substr(found, close.size())) == close) {
            const auto end = html.find('>', found);
            return end == std::string_view::npos ? html.size() : end + 1;
        }
        p = found + 1;
    }
    return html.size();
}

}  // namespace

std::string decode_entities(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out.push_back(text[i]);
            continue;
        }
        const auto semi = text.find(';', i);
        if (semi == std::string_view::npos || semi - i > 10) {
            out.push_back('&');
            continue;
        }
        const std::string name(text.substr(i + 1, semi - i - 1));
        if (name == "amp") {
            out.push_back('&');
        } else if (name == "lt") {
            out.push_back('<');
        } else if (name == "gt") {
            out.push_back('>');
        } else if (name == "quot") {
            out.push_back('"');
        } else if (name == "apos" || name == "#39") {
            out.push_back('\'');
        } else if (name == "nbsp") {
            out.push_back(' ');
        } else if (name == "mdash") {
            out += "\u2014";
        } else if (name == "ndash") {
            out += "\u2013";
        } else if (!name.empty() && name[0] == '#') {
            try {
                const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
                append_utf8(out, std::stoul(name.substr(hex ? 2 : 1), nullptr, hex ? 16 : 10));
            } catch (const std::exception&) {
                out += "&" + name + ";";
            }
        } else {
            out += "&" + name + ";";
        }
        i = semi;
    }
    return out;
}

PageOutline outline_html(std::string_view html) {
    PageOutline page;
    std::string text;  // visible text
    std::string heading;
    int heading_level = 0;
    bool in_title = false;
    std::size_t pos = 0;
    while (pos < html.size()) {
        if (html[pos] != '<') {
            const auto next = html.find('<', pos);
            const auto chunk =
                html.substr(pos, next == std::string_view::npos ? html.size() - pos : next - pos);
            if (in_title) {
                page.title += chunk;
            } else {
                text += chunk;
                text.push_back(' ');
                if (heading_level) {
                    heading += chunk;
                }
            }
            pos = next == std::string_view::npos ? html.size() : next;
            continue;
        }
        Tag tag;
        pos = read_tag(html, pos, tag);
        if (!tag.closing && skipped_tags().count(tag.name)) {
            pos = skip_element(html, pos, tag.name);
            continue;
        }
        if (tag.name == "title") {
            in_title = !tag.closing;
        } else if (tag.name == "meta" &&
                   to_lower(attribute(tag.attributes, "name")) == "description") {
            page.description = attribute(tag.attributes, "content");
        } else if (tag.name.size() == 2 && tag.name[0] == 'h' && tag.name[1] >= '1' &&
                   tag.name[1] <= '3') {
            if (!tag.closing) {
                heading_level = tag.name[1] - '0';
                heading.clear();
            } else if (heading_level) {
                const std::string clean = collapse_space(decode_entities(heading));
                if (!clean.empty()) {
                    page.headings.push_back({heading_level, clean});
                }
                heading_level = 0;
            }
        }
    }
    page.title = collapse_space(decode_entities(page.title));
    page.word_count = static_cast<int>(quality::split_words(decode_entities(text)).size());
    return page;
}

std::string html_to_markdown(std::string_view html) {
    std::string out;
    std::string line;
    std::vector<std::string> link_stack;
    auto flush = [&](const std::string& prefix = "") {
        const std::string clean = collapse_space(decode_entities(line));
        if (!clean.empty()) {
            out += prefix + clean + "\n\n";
        }
        line.clear();
    };
    std::string pending_prefix;
    std::size_t pos = 0;
    while (pos < html.size()) {
        if (html[pos] != '<') {
            const auto next = html.find('<', pos);
            line +=
                html.substr(pos, next == std::string_view::npos ? html.size() - pos : next - pos);
            pos = next == std::string_view::npos ? html.size() : next;
            continue;
        }
        Tag tag;
        pos = read_tag(html, pos, tag);
        if (!tag.closing && (skipped_tags().count(tag.name) || tag.name == "title")) {
            pos = skip_element(html, pos, tag.name);
            continue;
        }
        const std::string& n = tag.name;
        if (n.size() == 2 && n[0] == 'h' && n[1] >= '1' && n[1] <= '6') {
            if (!tag.closing) {
                flush(pending_prefix);
                pending_prefix = std::string(static_cast<std::size_t>(n[1] - '0'), '#') + " ";
            } else {
                flush(pending_prefix);
                pending_prefix.clear();
            }
        } else if (n == "p" || n == "div" || n == "section" || n == "article" || n == "br" ||
                   n == "ul" || n == "ol" || n == "table" || n == "tr" || n == "blockquote") {
            flush(pending_prefix);
            pending_prefix.clear();
        } else if (n == "li") {
            flush(pending_prefix);
            pending_prefix = tag.closing ? "" : "- ";
        } else if (n == "a") {
            if (!tag.closing) {
                link_stack.push_back(attribute(tag.attributes, "href"));
                line += "[";
            } else if (!link_stack.empty()) {
                line += "](" + link_stack.back() + ")";
                link_stack.pop_back();
            }
        } else if (n == "strong" || n == "b") {
            line += "**";
        } else if (n == "em" || n == "i") {
            line += "*";
        }
    }
    flush(pending_prefix);
    // List items were separated by blank lines; keep lists tight.
    std::string tight;
    std::size_t p = 0;
    while (p < out.size()) {
        const auto end = out.find('\n', p);
        const std::string l = out.substr(p, end - p);
        tight += l + "\n";
        p = end + 1;
        if (l.rfind("- ", 0) == 0 && p < out.size() && out[p] == '\n' &&
            out.compare(p + 1, 2, "- ") == 0) {
            ++p;
        }
    }
    return trim(tight) + "\n";
}

}  // namespace sota::core::pipeline
