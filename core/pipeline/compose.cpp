#include "core/pipeline/compose.hpp"

#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "core/quality/text_stats.hpp"
#include "core/text.hpp"

namespace sota::core::pipeline {

using nlohmann::json;

namespace {

const std::set<std::string>& stop_words() {
    static const std::set<std::string> words = {
        "a",    "an",    "and",   "are",  "as",    "at",    "be",   "but",  "by",   "can",  "do",
        "for",  "from",  "has",   "have", "how",   "i",     "if",   "in",   "into", "is",   "it",
        "its",  "more",  "most",  "not",  "of",    "on",    "or",   "our",  "so",   "than", "that",
        "the",  "their", "them",  "then", "there", "these", "they", "this", "to",   "was",  "we",
        "what", "when",  "which", "who",  "why",   "will",  "with", "you",  "your", "best", "vs",
        "also", "just",  "all",   "any",  "one",   "every", "each", "some", "very", "much"};
    return words;
}

bool word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80;
}

bool inside_link(const std::string& line, std::size_t pos) {
    int depth = 0;
    for (std::size_t i = 0; i < pos; ++i) {
        if (line[i] == '[') {
            ++depth;
        } else if (line[i] == ']') {
            depth = std::max(0, depth - 1);
        }
    }
    if (depth > 0) {
        return true;
    }
    const auto open = line.rfind("](", pos);
    if (open != std::string::npos) {
        const auto close = line.find(')', open);
        return close == std::string::npos || close >= pos;
    }
    return false;
}

bool body_line(const std::string& line) {
    const std::string t = trim(line);
    return !t.empty() && t[0] != '#' && t.rfind("```", 0) != 0 && t[0] != '|' && t[0] != '<';
}

}  // namespace

std::vector<std::string> content_terms(std::string_view text) {
    std::vector<std::string> terms;
    for (auto& w : quality::split_words(text)) {
        std::string lower = to_lower(w);
        if (lower.size() < 2 || stop_words().count(lower)) {
            continue;
        }
        if (lower.size() > 3 && lower.back() == 's' && lower[lower.size() - 2] != 's') {
            lower.pop_back();
        }
        terms.push_back(std::move(lower));
    }
    return terms;
}

double similarity(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::map<std::string, std::pair<double, double>> counts;
    for (const auto& t : a) {
        counts[t].first += 1;
    }
    for (const auto& t : b) {
        counts[t].second += 1;
    }
    double dot = 0, na = 0, nb = 0;
    for (const auto& [t, c] : counts) {
        dot += c.first * c.second;
        na += c.first * c.first;
        nb += c.second * c.second;
    }
    return na == 0 || nb == 0 ? 0.0 : dot / (std::sqrt(na) * std::sqrt(nb));
}

std::vector<std::string> body_paragraphs(std::string_view markdown) {
    std::vector<std::string> out;
    bool in_code = false;
    bool in_references = false;
    std::size_t pos = 0;
    while (pos < markdown.size()) {
        auto end = markdown.find('\n', pos);
        if (end == std::string_view::npos) {
            end = markdown.size();
        }
        const std::string line(markdown.substr(pos, end - pos));
        pos = end + 1;
        const std::string t = trim(line);
        if (t.rfind("```", 0) == 0) {
            in_code = !in_code;
            continue;
        }
        if (t.rfind("## ", 0) == 0) {
            in_references = to_lower(t) == "## references" || to_lower(t) == "## sources";
        }
        if (!in_code && !in_references && body_line(line)) {
            out.push_back(line);
        }
    }
    return out;
}

bool insert_link(std::string& markdown, const std::string& anchor, const std::string& url) {
    if (anchor.empty()) {
        return false;
    }
    const std::string lower_anchor = to_lower(anchor);
    bool in_code = false;
    std::size_t pos = 0;
    while (pos < markdown.size()) {
        auto end = markdown.find('\n', pos);
        if (end == std::string::npos) {
            end = markdown.size();
        }
        const std::string line = markdown.substr(pos, end - pos);
        const std::string t = trim(line);
        if (t.rfind("```", 0) == 0) {
            in_code = !in_code;
        } else if (!in_code && body_line(line)) {
            const std::string lower = to_lower(line);
            std::size_t at = 0;
            while ((at = lower.find(lower_anchor, at)) != std::string::npos) {
                const std::size_t after = at + lower_anchor.size();
                const bool bounded = (at == 0 || !word_char(lower[at - 1])) &&
                                     (after >= lower.size() || !word_char(lower[after]));
                if (bounded && !inside_link(line, at)) {
                    const std::string original = line.substr(at, lower_anchor.size());
                    markdown.replace(pos + at, lower_anchor.size(),
                                     "[" + original + "](" + url + ")");
                    return true;
                }
                at = after;
            }
        }
        pos = end + 1;
    }
    return false;
}

std::string compose_markdown(const json& fixed_draft, const json& references, const json& links) {
    std::string markdown = fixed_draft.is_object() ? fixed_draft.value("markdown", "") : "";
    if (links.is_object() && links.contains("links")) {
        for (const auto& link : links["links"]) {
            insert_link(markdown, link.value("anchor", ""), link.value("url", ""));
        }
    }
    if (references.is_object() && references.contains("sources") &&
        !references["sources"].empty()) {
        std::string list;
        for (const auto& source : references["sources"]) {
            const std::string n = std::to_string(source.value("n", 0));
            const std::string url = source.value("url", "");
            const std::string sentence = source.value("sentence", "");
            if (!sentence.empty()) {
                const auto at = markdown.find(sentence);
                if (at != std::string::npos) {
                    markdown.insert(at + sentence.size(), " [[" + n + "]](" + url + ")");
                }
            }
            std::string title = source.value("title", url);
            for (auto& c : title) {
                if (c == '[' || c == ']') {
                    c = ' ';
                }
            }
            list += n + ". [" + trim(title) + "](" + url + ")";
            const std::string host = source.value("host", "");
            list += host.empty() ? "\n" : " \xE2\x80\x94 " + host + "\n";
        }
        while (!markdown.empty() && markdown.back() == '\n') {
            markdown.pop_back();
        }
        markdown += "\n\n## References\n\n" + list;
    }
    return markdown;
}

std::string html_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string html_document(const json& meta, const std::string& body_html) {
    const std::string title = meta.value("meta_title", meta.value("title", ""));
    json graph = json::array();
    graph.push_back({{"@type", meta.value("schema_type", "Article")},
                     {"headline", meta.value("title", title)},
                     {"description", meta.value("meta_description", "")},
                     {"keywords", meta.value("keyword", "")}});
    if (meta.contains("faq") && meta["faq"].is_array() && !meta["faq"].empty()) {
        json questions = json::array();
        for (const auto& item : meta["faq"]) {
            questions.push_back(
                {{"@type", "Question"},
                 {"name", item.value("q", "")},
                 {"acceptedAnswer", {{"@type", "Answer"}, {"text", item.value("a", "")}}}});
        }
        graph.push_back({{"@type", "FAQPage"}, {"mainEntity", questions}});
    }
    const json ld = {{"@context", "https://schema.org"}, {"@graph", graph}};
    std::string ld_text = ld.dump(2);
    // "</" cannot appear inside a script element.
    for (std::size_t at = 0; (at = ld_text.find("</", at)) != std::string::npos; at += 3) {
        ld_text.replace(at, 2, "<\\/");
    }
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
           html_escape(title) + "</title>\n<meta name=\"description\" content=\"" +
           html_escape(meta.value("meta_description", "")) +
           "\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<script type=\"application/ld+json\">\n" +
           ld_text + "\n</script>\n</head>\n<body>\n<article>\n" + body_html +
           "</article>\n</body>\n</html>\n";
}

}  // namespace sota::core::pipeline
