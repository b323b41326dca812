#include "adapters/file_publisher.hpp"

#include <ctime>

#include "adapters/private_files.hpp"

namespace sota::adapters {

std::string yaml_quote(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out + "\"";
}

core::Expected<core::PublishResult> FilePublisher::publish(const core::Article& article) {
    if (article.slug.empty() || article.slug.find('/') != std::string::npos ||
        article.slug.front() == '.') {
        return core::fail(core::ErrorKind::usage, "publish.bad_slug",
                          "cannot write an article with slug '" + article.slug + "' to a file");
    }
    std::error_code ec;
    std::filesystem::create_directories(m_dir, ec);
    if (ec) {
        return core::fail(core::ErrorKind::io, "io.failed",
                          "cannot create " + m_dir.string() + ": " + ec.message());
    }
    const auto md_path = m_dir / (article.slug + ".md");
    const bool existed = std::filesystem::exists(md_path);
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string front = "---\n";
    front += "title: " + yaml_quote(article.title) + "\n";
    front += "slug: " + yaml_quote(article.slug) + "\n";
    front += "description: " + yaml_quote(article.meta_description) + "\n";
    if (!article.keyword.empty()) {
        front += "keyword: " + yaml_quote(article.keyword) + "\n";
    }
    front += std::string("date: ") + date + "\n";
    front += std::string("draft: ") + (article.status == "publish" ? "false" : "true") + "\n";
    for (const auto& [name, list] :
         {std::pair{"categories", &article.categories}, std::pair{"tags", &article.tags}}) {
        if (!list->empty()) {
            front += std::string(name) + ":\n";
            for (const auto& item : *list) {
                front += "  - " + yaml_quote(item) + "\n";
            }
        }
    }
    front += "---\n\n";
    auto md = write_file_atomically(md_path, front + article.markdown, 0644);
    if (!md) {
        return core::fail(md.error());
    }
    auto html = write_file_atomically(m_dir / (article.slug + ".html"), article.html, 0644);
    if (!html) {
        return core::fail(html.error());
    }
    return core::PublishResult{md_path.string(), std::nullopt, existed};
}

}  // namespace sota::adapters
