#include "core/pipeline/site_pages.hpp"

#include <cctype>

#include "core/pipeline/html_outline.hpp"
#include "core/text.hpp"

namespace sota::core::pipeline {

namespace {

/// Splits one CSV record (RFC 4180 quoting, no embedded newlines) into fields.
std::vector<std::string> split_csv_line(std::string_view line) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                fields.back().push_back('"');
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                fields.back().push_back(c);
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.emplace_back();
        } else {
            fields.back().push_back(c);
        }
    }
    for (auto& f : fields) {
        f = trim(f);
    }
    return fields;
}

}  // namespace

std::string title_from_url(const std::string& url) {
    std::string path = url;
    if (const auto q = path.find_first_of("?#"); q != std::string::npos) {
        path = path.substr(0, q);
    }
    path = without_trailing_slashes(path);
    std::string last = path.substr(path.rfind('/') + 1);
    if (const auto dot = last.rfind('.'); dot != std::string::npos && dot > 0) {
        last = last.substr(0, dot);
    }
    for (auto& c : last) {
        if (c == '-' || c == '_') {
            c = ' ';
        }
    }
    last = trim(last);
    if (!last.empty()) {
        last[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(last[0])));
    }
    return last;
}

Expected<std::vector<SitePage>> parse_site_pages(std::string_view text, const std::string& source) {
    std::vector<SitePage> pages;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") {
        text.remove_prefix(3);
    }
    int url_col = -1, title_col = -1, description_col = -1;
    bool header_seen = false;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string line = trim(text.substr(pos, end - pos));
        pos = end + 1;
        ++line_no;
        if (line.empty() || line[0] == '#') {
            continue;
        }
        if (!header_seen) {
            header_seen = true;
            const auto fields = split_csv_line(line);
            for (std::size_t i = 0; i < fields.size(); ++i) {
                const std::string name = to_lower(fields[i]);
                if (name == "url" || name == "link" || name == "loc") {
                    url_col = static_cast<int>(i);
                } else if (name == "title") {
                    title_col = static_cast<int>(i);
                } else if (name == "description") {
                    description_col = static_cast<int>(i);
                }
            }
            if (url_col >= 0) {
                continue;  // a CSV header
            }
            if (fields.size() > 1 && !is_http_url(fields[0])) {
                return fail(ErrorKind::usage, "site_pages.invalid",
                            source +
                                ":1: a CSV of site pages needs a header with a 'url' column "
                                "(and optionally title, description)");
            }
        }
        SitePage page;
        if (url_col >= 0) {
            const auto fields = split_csv_line(line);
            auto at = [&](int col) {
                return col >= 0 && static_cast<std::size_t>(col) < fields.size()
                           ? fields[static_cast<std::size_t>(col)]
                           : std::string();
            };
            page.url = at(url_col);
            page.title = at(title_col);
            page.description = at(description_col);
        } else {
            page.url = line;
        }
        if (!is_http_url(page.url)) {
            return fail(ErrorKind::usage, "site_pages.invalid",
                        source + ":" + std::to_string(line_no) + ": '" + page.url +
                            "' is not an http(s) URL");
        }
        if (page.title.empty()) {
            page.title = title_from_url(page.url);
        }
        pages.push_back(std::move(page));
    }
    return pages;
}

SitemapEntries parse_sitemap(std::string_view xml) {
    SitemapEntries entries;
    entries.is_index = xml.find("<sitemapindex") != std::string_view::npos;
    std::size_t pos = 0;
    while ((pos = xml.find("<loc>", pos)) != std::string_view::npos) {
        const auto end = xml.find("</loc>", pos);
        if (end == std::string_view::npos) {
            break;
        }
        std::string loc = trim(xml.substr(pos + 5, end - pos - 5));
        if (loc.rfind("<![CDATA[", 0) == 0 && loc.size() >= 12) {
            loc = loc.substr(9, loc.size() - 12);
        }
        entries.locations.push_back(decode_entities(loc));
        pos = end + 6;
    }
    return entries;
}

Expected<std::vector<SitePage>> load_sitemap(WebFetcher& web, const std::string& url,
                                             std::size_t limit) {
    auto page = web.fetch(url);
    if (!page) {
        return fail(page.error());
    }
    auto entries = parse_sitemap(page->text);
    std::vector<std::string> locations;
    if (entries.is_index) {
        for (const auto& child : entries.locations) {
            auto sub = web.fetch(child);
            if (!sub) {
                continue;  // one broken child sitemap should not lose the rest
            }
            for (auto& loc : parse_sitemap(sub->text).locations) {
                locations.push_back(std::move(loc));
            }
            if (locations.size() >= limit) {
                break;
            }
        }
    } else {
        locations = std::move(entries.locations);
    }
    std::vector<SitePage> pages;
    for (const auto& loc : locations) {
        if (pages.size() >= limit) {
            break;
        }
        if (is_http_url(loc)) {
            pages.push_back({loc, title_from_url(loc), ""});
        }
    }
    return pages;
}

Expected<std::vector<SitePage>> load_wordpress_pages(WordPressClient& wp, std::size_t limit) {
    std::vector<SitePage> pages;
    for (const char* collection : {"posts", "pages"}) {
        WpListQuery query;
        query.collection = collection;
        query.max_pages = static_cast<int>((limit + 99) / 100);
        auto posts = wp.list(query);
        if (!posts) {
            return fail(posts.error());
        }
        for (const auto& p : *posts) {
            if (pages.size() >= limit) {
                break;
            }
            pages.push_back({p.link, decode_entities(p.title), ""});
        }
    }
    return pages;
}

}  // namespace sota::core::pipeline
