#include "core/quality/article.hpp"

#include "core/text.hpp"

namespace sota::core::quality {
namespace {

// Removes emphasis and turns [text](url) / ![alt](url) into their text, collecting them.
std::string strip_inline(std::string_view line, std::vector<Link>& links,
                         std::vector<Link>& images) {
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const bool image = line[i] == '!' && i + 1 < line.size() && line[i + 1] == '[';
        if (line[i] == '[' || image) {
            const std::size_t open = image ? i + 1 : i;
            const auto close = line.find(']', open);
            if (close != std::string_view::npos && close + 1 < line.size() &&
                line[close + 1] == '(') {
                const auto end = line.find(')', close + 2);
                if (end != std::string_view::npos) {
                    Link link{std::string(line.substr(open + 1, close - open - 1)),
                              std::string(line.substr(close + 2, end - close - 2))};
                    if (const auto space = link.url.find(' '); space != std::string::npos) {
                        link.url.erase(space);  // drop a "title"
                    }
                    (image ? images : links).push_back(link);
                    if (!image) {
                        out += link.text;
                    }
                    i = end;
                    continue;
                }
            }
        }
        if (line[i] == '*' || line[i] == '_' || line[i] == '`') {
            continue;
        }
        out += line[i];
    }
    return out;
}

}  // namespace

std::string url_host(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return "";
    }
    auto host = url.substr(scheme + 3);
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

ArticleView parse_markdown(std::string_view markdown) {
    ArticleView view;
    std::string paragraph;
    bool in_code = false;
    auto flush = [&] {
        const std::string text = trim(paragraph);
        if (!text.empty()) {
            view.paragraphs.push_back(text);
            view.plain_text += text + "\n\n";
        }
        paragraph.clear();
    };
    std::size_t pos = 0;
    while (pos <= markdown.size()) {
        auto end = markdown.find('\n', pos);
        if (end == std::string_view::npos) {
            end = markdown.size();
        }
        std::string_view line = markdown.substr(pos, end - pos);
        pos = end + 1;
        const std::string t = trim(line);
        if (t.rfind("```", 0) == 0 || t.rfind("~~~", 0) == 0) {
            flush();
            in_code = !in_code;
            continue;
        }
        if (in_code) {
            continue;
        }
        if (t.empty()) {
            flush();
            continue;
        }
        if (t.front() == '#') {
            flush();
            int level = 0;
            while (level < static_cast<int>(t.size()) &&
                   t[static_cast<std::size_t>(level)] == '#') {
                ++level;
            }
            if (level <= 6 && static_cast<std::size_t>(level) < t.size() &&
                t[static_cast<std::size_t>(level)] == ' ') {
                std::vector<Link> ignored_images;
                const std::string text = trim(strip_inline(
                    t.substr(static_cast<std::size_t>(level)), view.links, ignored_images));
                view.headings.push_back({level, text});
                view.plain_text += text + ".\n\n";
                continue;
            }
        }
        const bool list_item =
            t.rfind("- ", 0) == 0 || t.rfind("* ", 0) == 0 ||
            (t.size() > 2 && std::isdigit(static_cast<unsigned char>(t[0])) && t.find(". ") < 4);
        if (list_item) {
            flush();
            paragraph = strip_inline(t.substr(t.find(' ') + 1), view.links, view.images);
            flush();
            continue;
        }
        if (t.front() == '|' || t.rfind("<script", 0) == 0) {
            flush();  // tables and JSON-LD blocks are not prose
            continue;
        }
        paragraph += (paragraph.empty() ? "" : " ") + strip_inline(t, view.links, view.images);
        if (t.front() == '>') {
            paragraph.erase(0, paragraph.find_first_not_of("> "));
        }
    }
    flush();
    return view;
}

}  // namespace sota::core::quality
