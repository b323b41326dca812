#include "core/quality/article.hpp"

#include <cctype>
#include <map>

#include "core/quality/inline_markup.hpp"
#include "core/text.hpp"

namespace sota::core::quality {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

std::size_t indent_of(std::string_view line) {
    std::size_t n = 0;
    for (const char c : line) {
        if (c == ' ') {
            ++n;
        } else if (c == '\t') {
            n += 4;
        } else {
            break;
        }
    }
    return n;
}

// "- x", "* x", "+ x", "1. x", "1) x": the item's text after the marker, or npos.
std::size_t list_marker_end(std::string_view t) {
    if (t.size() >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && is_space(t[1])) {
        return 2;
    }
    std::size_t d = 0;
    while (d < t.size() && d < 9 && std::isdigit(static_cast<unsigned char>(t[d]))) {
        ++d;
    }
    if (d > 0 && d + 1 < t.size() && (t[d] == '.' || t[d] == ')') && is_space(t[d + 1])) {
        return d + 2;
    }
    return std::string_view::npos;
}

// "---", "***", "___" (spaces allowed between).
bool is_rule(std::string_view t) {
    if (t.size() < 3 || (t[0] != '-' && t[0] != '*' && t[0] != '_')) {
        return false;
    }
    int n = 0;
    for (const char c : t) {
        if (c == t[0]) {
            ++n;
        } else if (!is_space(c)) {
            return false;
        }
    }
    return n >= 3;
}

bool all_of_char(std::string_view t, char c) {
    return !t.empty() && t.find_first_not_of(c) == std::string_view::npos;
}

bool is_table_separator(std::string_view t) {
    return t.find('-') != std::string_view::npos &&
           t.find_first_not_of("|-: \t") == std::string_view::npos;
}

// "[id]: url" link definitions; fills id and url.
bool link_definition(std::string_view t, std::string& id, std::string& url) {
    if (t.empty() || t[0] != '[') {
        return false;
    }
    const auto close = t.find("]:");
    if (close == std::string_view::npos || close < 2) {
        return false;
    }
    id = to_lower(t.substr(1, close - 1));
    std::string rest = trim(t.substr(close + 2));
    if (!rest.empty() && rest.front() == '<') {
        rest = rest.substr(1, rest.find('>') - 1);
    }
    url = rest.substr(0, rest.find_first_of(" \t"));
    return !url.empty();
}

const char* raw_html_block(std::string_view t) {
    for (const char* tag : {"script", "style", "pre", "textarea"}) {
        const std::string open = std::string("<") + tag;
        if (to_lower(t.substr(0, open.size())) == open &&
            (t.size() == open.size() || t[open.size()] == '>' || is_space(t[open.size()]))) {
            return tag;
        }
    }
    return nullptr;
}

std::vector<std::string> table_cells(std::string_view row) {
    std::vector<std::string> cells;
    std::string t = trim(row);
    if (!t.empty() && t.front() == '|') {
        t.erase(0, 1);
    }
    if (!t.empty() && t.back() == '|' && (t.size() < 2 || t[t.size() - 2] != '\\')) {
        t.pop_back();
    }
    std::string cell;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '\\' && i + 1 < t.size() && t[i + 1] == '|') {
            cell += '|';
            ++i;
        } else if (t[i] == '|') {
            cells.push_back(cell);
            cell.clear();
        } else {
            cell += t[i];
        }
    }
    cells.push_back(cell);
    return cells;
}

/// Builds the blocks of a Markdown article line by line.
class MarkdownReader {
  public:
    explicit MarkdownReader(InlineReader& inline_reader, ArticleView& view)
        : m_inline(inline_reader), m_view(view) {}

    void line(std::string_view line, std::string_view next_line) {
        const std::string t = trim(line);
        if (m_raw_tag) {
            if (to_lower(t).find(std::string("</") + m_raw_tag) != std::string::npos) {
                m_raw_tag = nullptr;
            }
            return;
        }
        if (!m_fence.empty()) {
            if (t.rfind(m_fence, 0) == 0 &&
                trim(std::string_view(t).substr(m_fence.size())).empty()) {
                m_fence.clear();
            }
            return;
        }
        if (t.rfind("```", 0) == 0 || t.rfind("~~~", 0) == 0) {
            flush();
            const std::size_t n = t.find_first_not_of(t[0]);
            m_fence = t.substr(0, n == std::string::npos ? t.size() : n);
            return;
        }
        if (t.empty()) {
            flush();
            m_in_table = false;
            m_blank_before = true;
            return;
        }
        const std::size_t indent = indent_of(line);
        const bool blank_before = m_blank_before;
        m_blank_before = false;
        // An indented code block: four spaces after a blank line, outside a list.
        if (indent >= 4 && m_buffer.empty() && !m_in_list && (blank_before || m_in_code)) {
            m_in_code = true;
            return;
        }
        m_in_code = false;
        if (const char* tag = raw_html_block(t)) {
            flush();
            if (to_lower(t).find(std::string("</") + tag) == std::string::npos) {
                m_raw_tag = tag;
            }
            return;
        }
        if (m_kind == BlockKind::paragraph && !m_buffer.empty() &&
            m_buffer.find('\n') == m_buffer.npos &&
            (all_of_char(t, '=') || (t.size() >= 2 && all_of_char(t, '-')))) {
            heading(t[0] == '=' ? 1 : 2, m_buffer);
            m_buffer.clear();
            return;
        }
        if (is_rule(t)) {
            flush();
            return;
        }
        if (t.front() == '#') {
            std::size_t level = t.find_first_not_of('#');
            if (level != std::string::npos && level <= 6 && is_space(t[level])) {
                flush();
                std::string text = trim(std::string_view(t).substr(level));
                while (!text.empty() && text.back() == '#') {
                    text.pop_back();  // closing hashes
                }
                heading(static_cast<int>(level), text);
                return;
            }
        }
        std::string id, url;
        if (indent < 4 && link_definition(t, id, url)) {
            flush();
            return;
        }
        if (t.find('|') != std::string::npos &&
            (m_in_table || (t.front() == '|' && is_table_separator(trim(next_line))) ||
             is_table_separator(trim(next_line)))) {
            flush();
            m_in_table = true;
            if (!is_table_separator(t)) {
                for (const auto& cell : table_cells(t)) {
                    m_kind = BlockKind::table_cell;
                    m_buffer = cell;
                    flush();
                }
            }
            return;
        }
        if (t.front() == '>') {
            std::string_view q = t;
            while (!q.empty() && (q.front() == '>' || is_space(q.front()))) {
                q.remove_prefix(1);
            }
            if (m_kind != BlockKind::quote) {
                flush();
            }
            m_kind = BlockKind::quote;
            if (q.empty()) {
                flush();
                m_kind = BlockKind::quote;
            } else {
                append(q);
            }
            return;
        }
        if (const auto marker = list_marker_end(t); marker != std::string_view::npos) {
            flush();
            m_in_list = true;
            m_kind = BlockKind::list_item;
            append(std::string_view(t).substr(marker));
            return;
        }
        if (indent == 0) {
            m_in_list = m_in_list && !blank_before;
        }
        if (m_kind == BlockKind::quote || (m_kind == BlockKind::list_item && blank_before)) {
            flush();
        }
        append(t);
    }

    void flush() {
        std::string text = trim(m_inline.read(m_buffer));
        if (!text.empty()) {
            m_view.blocks.push_back({m_kind, 0, std::move(text)});
        }
        m_buffer.clear();
        m_kind = BlockKind::paragraph;
    }

  private:
    void append(std::string_view text) {
        if (!m_buffer.empty()) {
            m_buffer += '\n';
        }
        m_buffer += text;
    }

    void heading(int level, std::string_view raw) {
        std::string text = trim(m_inline.read(raw));
        if (!text.empty()) {
            m_view.blocks.push_back({BlockKind::heading, level, std::move(text)});
        }
        m_kind = BlockKind::paragraph;
    }

    InlineReader& m_inline;
    ArticleView& m_view;
    std::string m_buffer;
    BlockKind m_kind = BlockKind::paragraph;
    std::string m_fence;
    const char* m_raw_tag = nullptr;
    bool m_blank_before = true;
    bool m_in_list = false;
    bool m_in_code = false;
    bool m_in_table = false;
};

std::string front_value(std::string_view raw) {
    std::string v = trim(raw);
    if (v.size() >= 2 &&
        ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\''))) {
        v = v.substr(1, v.size() - 2);
    }
    if (v.size() >= 2 && v.front() == '[' && v.back() == ']') {
        std::string list;
        for (char c : v.substr(1, v.size() - 2)) {
            if (c != '"' && c != '\'') {
                list += c;
            }
        }
        v = trim(list);
    }
    return v;
}

}  // namespace

void finish_view(ArticleView& view) {
    for (const auto& b : view.blocks) {
        if (b.kind == BlockKind::heading) {
            view.headings.push_back({b.level, b.text});
            view.plain_text += b.text + ".\n\n";
        } else {
            view.paragraphs.push_back(b.text);
            view.plain_text += b.text + "\n\n";
        }
    }
}

ArticleView parse_markdown(std::string_view markdown) {
    const FrontMatter front = split_front_matter(markdown);
    const std::string_view text = front.body;
    ArticleView view;
    // Link definitions first: a reference link may come before its definition.
    std::map<std::string, std::string> definitions;
    std::vector<std::string_view> lines;
    for (std::size_t pos = 0; pos <= text.size();) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        lines.push_back(text.substr(pos, end - pos));
        std::string id, url;
        if (link_definition(trim(lines.back()), id, url)) {
            definitions.emplace(id, url);
        }
        pos = end + 1;
    }
    InlineReader inline_reader(definitions, view.links, view.images);
    MarkdownReader reader(inline_reader, view);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        reader.line(lines[i], i + 1 < lines.size() ? lines[i + 1] : std::string_view());
    }
    reader.flush();
    finish_view(view);
    return view;
}

bool looks_like_html(std::string_view text) {
    const std::string head = to_lower(text.substr(0, 4096));
    const auto first = head.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && head.compare(first, 1, "<") == 0 &&
        head.compare(first, 4, "<!--") != 0) {
        return true;
    }
    return head.find("<html") != std::string::npos || head.find("<body") != std::string::npos ||
           head.find("<p>") != std::string::npos;
}

std::string url_host(std::string_view url) {
    const auto scheme = url.find("://");
    std::string_view host;
    if (scheme != std::string_view::npos) {
        host = url.substr(scheme + 3);
    } else if (url.starts_with("//")) {
        host = url.substr(2);
    } else {
        return "";
    }
    host = host.substr(0, host.find_first_of("/?#"));
    if (const auto at = host.rfind('@'); at != std::string_view::npos) {
        host = host.substr(at + 1);
    }
    host = host.substr(0, host.find(':'));
    std::string h = to_lower(host);
    if (h.rfind("www.", 0) == 0) {
        h.erase(0, 4);
    }
    return h;
}

LinkKind link_kind(std::string_view url, std::string_view site_host) {
    const std::string u = to_lower(trim(url));
    if (u.empty() || u.front() == '#' || u.starts_with("mailto:") || u.starts_with("tel:") ||
        u.starts_with("javascript:") || u.starts_with("data:")) {
        return LinkKind::other;
    }
    const std::string host = url_host(u);
    const bool has_scheme = u.find("://") != std::string::npos || u.starts_with("//");
    if (!has_scheme) {
        return u.find(':') != std::string::npos && u.find(':') < u.find('/') ? LinkKind::other
                                                                             : LinkKind::internal;
    }
    std::string site = to_lower(site_host);
    if (site.rfind("www.", 0) == 0) {
        site.erase(0, 4);
    }
    if (!site.empty() && (host == site || host.ends_with("." + site))) {
        return LinkKind::internal;
    }
    return LinkKind::outbound;
}

FrontMatter split_front_matter(std::string_view text) {
    FrontMatter fm;
    fm.body = std::string(text);
    if (text.starts_with("\xEF\xBB\xBF")) {
        text.remove_prefix(3);
        fm.body = std::string(text);
    }
    if (!(text.starts_with("---\n") || text.starts_with("---\r\n"))) {
        return fm;
    }
    std::size_t pos = text.find('\n') + 1;
    std::vector<std::pair<std::string, std::string>> fields;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const std::string line = trim(text.substr(pos, end - pos));
        pos = end + 1;
        if (line == "---" || line == "...") {
            fm.present = true;
            fm.body = std::string(text.substr(std::min(pos, text.size())));
            break;
        }
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
            fields.emplace_back(to_lower(trim(line.substr(0, colon))),
                                front_value(std::string_view(line).substr(colon + 1)));
        }
    }
    if (!fm.present) {
        fm.body = std::string(text);
        return fm;
    }
    auto pick = [&](std::string& into, std::initializer_list<const char*> names) {
        for (const char* name : names) {
            for (const auto& [key, value] : fields) {
                if (key == name && !value.empty()) {
                    into = value;
                    return;
                }
            }
        }
    };
    pick(fm.title, {"seo_title", "meta_title", "title"});
    pick(fm.description, {"meta_description", "description", "meta", "excerpt", "summary"});
    pick(fm.slug, {"slug", "permalink", "url"});
    pick(fm.keyword, {"keyphrase", "focus_keyphrase", "keyword", "focus_keyword"});
    pick(fm.synonyms, {"synonyms", "keyphrase_synonyms"});
    while (!fm.slug.empty() && fm.slug.back() == '/') {
        fm.slug.pop_back();
    }
    if (const auto slash = fm.slug.rfind('/'); slash != std::string::npos) {
        fm.slug.erase(0, slash + 1);
    }
    return fm;
}

}  // namespace sota::core::quality
