// The HTML reader behind parse_html (core/quality/article.hpp).

#include <cctype>
#include <set>

#include "core/pipeline/html_outline.hpp"
#include "core/quality/article.hpp"
#include "core/quality/inline_markup.hpp"
#include "core/text.hpp"

namespace sota::core::quality {
namespace {

std::string collapse_space(std::string_view text) {
    std::string out;
    bool space = false;
    for (const char c : text) {
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

bool is_block_tag(const std::string& name) {
    static const std::set<std::string> tags = {
        "p",     "div",    "section", "article", "main",       "header",  "footer",   "nav",
        "aside", "ul",     "ol",      "dl",      "dt",         "dd",      "table",    "thead",
        "tbody", "tfoot",  "tr",      "figure",  "figcaption", "form",    "hr",       "body",
        "html",  "center", "address", "details", "summary",    "caption", "fieldset", "menu"};
    return tags.count(name) > 0;
}

/// Elements whose content is not prose.
bool is_skipped(const std::string& name) {
    static const std::set<std::string> tags = {"script",   "style",  "template", "svg",
                                               "noscript", "code",   "pre",      "math",
                                               "textarea", "iframe", "object",   "select"};
    return tags.count(name) > 0;
}

std::size_t skip_element(std::string_view html, std::size_t pos, const std::string& name) {
    const std::string close = "</" + name;
    int depth = 1;
    std::size_t p = pos;
    while (p < html.size()) {
        const auto found = html.find('<', p);
        if (found == std::string_view::npos) {
            return html.size();
        }
        const std::string head = to_lower(html.substr(found, close.size() + 1));
        if (head.starts_with(close) && (head.size() == close.size() ||
                                        !std::isalnum(static_cast<unsigned char>(head.back())))) {
            if (--depth == 0) {
                const auto end = html.find('>', found);
                return end == std::string_view::npos ? html.size() : end + 1;
            }
        } else if (head.starts_with("<" + name) && name != "pre" && name != "code") {
            ++depth;
        }
        p = found + 1;
    }
    return html.size();
}

class HtmlReader {
  public:
    explicit HtmlReader(ArticleView& view) : m_view(view) {}

    void read(std::string_view html) {
        std::size_t pos = 0;
        while (pos < html.size()) {
            if (html[pos] != '<' || pos + 1 >= html.size() ||
                !(std::isalpha(static_cast<unsigned char>(html[pos + 1])) || html[pos + 1] == '/' ||
                  html[pos + 1] == '!')) {
                const auto next = html.find('<', pos + 1);
                const auto chunk = html.substr(
                    pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
                (m_in_title ? m_title : m_buffer) += chunk;
                pos = next == std::string_view::npos ? html.size() : next;
                continue;
            }
            HtmlTag tag;
            pos = read_html_tag(html, pos, tag);
            if (tag.name.empty() || tag.name == "!--" || tag.name[0] == '!') {
                continue;
            }
            if (!tag.closing && is_skipped(tag.name)) {
                m_buffer += ' ';
                pos = skip_element(html, pos, tag.name);
                continue;
            }
            element(tag);
        }
        flush();
        m_view.html_title = trim(collapse_space(pipeline::decode_entities(m_title)));
    }

  private:
    void element(const HtmlTag& tag) {
        const std::string& n = tag.name;
        if (n == "title") {
            m_in_title = !tag.closing;
        } else if (n == "meta" &&
                   to_lower(html_attribute(tag.attributes, "name")) == "description") {
            m_view.html_description = trim(html_attribute(tag.attributes, "content"));
        } else if (n == "a") {
            if (!tag.closing) {
                m_anchors.push_back({html_attribute(tag.attributes, "href"),
                                     rel_nofollow(tag.attributes), m_buffer.size()});
            } else if (!m_anchors.empty()) {
                const auto a = m_anchors.back();
                m_anchors.pop_back();
                const std::string text =
                    a.start <= m_buffer.size()
                        ? collapse_space(pipeline::decode_entities(m_buffer.substr(a.start)))
                        : std::string();
                m_view.links.push_back({trim(text), a.url, a.nofollow});
            }
        } else if (n == "img") {
            m_view.images.push_back({html_attribute(tag.attributes, "alt"),
                                     html_attribute(tag.attributes, "src"), false});
        } else if (n == "br") {
            m_buffer += ' ';
        } else if (n.size() == 2 && n[0] == 'h' && n[1] >= '1' && n[1] <= '6') {
            flush();
            m_heading = tag.closing ? 0 : n[1] - '0';
        } else if (n == "li") {
            flush();
            m_list_depth += tag.closing ? -1 : 1;
            m_list_depth = std::max(m_list_depth, 0);
        } else if (n == "blockquote") {
            flush();
            m_quote_depth += tag.closing ? -1 : 1;
            m_quote_depth = std::max(m_quote_depth, 0);
        } else if (n == "td" || n == "th") {
            flush();
            m_in_cell = !tag.closing;
        } else if (is_block_tag(n)) {
            flush();
        }
    }

    BlockKind kind() const {
        if (m_heading) {
            return BlockKind::heading;
        }
        if (m_in_cell) {
            return BlockKind::table_cell;
        }
        if (m_quote_depth > 0) {
            return BlockKind::quote;
        }
        return m_list_depth > 0 ? BlockKind::list_item : BlockKind::paragraph;
    }

    void flush() {
        std::string text = trim(collapse_space(pipeline::decode_entities(m_buffer)));
        if (!text.empty()) {
            m_view.blocks.push_back({kind(), m_heading, std::move(text)});
        }
        m_buffer.clear();
        for (auto& a : m_anchors) {
            a.start = 0;
        }
    }

    struct OpenAnchor {
        std::string url;
        bool nofollow = false;
        std::size_t start = 0;
    };
    ArticleView& m_view;
    std::string m_buffer;
    std::string m_title;
    std::vector<OpenAnchor> m_anchors;
    int m_heading = 0;
    int m_list_depth = 0;
    int m_quote_depth = 0;
    bool m_in_cell = false;
    bool m_in_title = false;
};

}  // namespace

ArticleView parse_html(std::string_view html) {
    ArticleView view;
    HtmlReader(view).read(html);
    finish_view(view);
    return view;
}

}  // namespace sota::core::quality
