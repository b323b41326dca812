#pragma once

// Private to core/quality: the inline layer shared by the Markdown and HTML readers.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/quality/article.hpp"

namespace sota::core::quality {

/// One HTML tag: its lower-case name, whether it closes, and its raw attribute text.
struct HtmlTag {
    std::string name;
    bool closing = false;
    std::string attributes;
};

/// Reads the tag starting at text[pos] == '<' (a comment is the tag "!--"); returns the
/// position after it.
std::size_t read_html_tag(std::string_view text, std::size_t pos, HtmlTag& tag);

/// An attribute's decoded value ("" if absent).
std::string html_attribute(std::string_view attributes, std::string_view name);

/// True for rel values that hold "nofollow".
bool rel_nofollow(std::string_view attributes);

/// Turns Markdown inline markup into plain text, collecting links and images: code spans are
/// dropped (not prose), [text](url), [text][id], ![alt](src), <https://autolinks> and inline
/// <a>/<img> tags are read, emphasis markers and backslash escapes removed, entities decoded,
/// line breaks turned into spaces.
class InlineReader {
  public:
    InlineReader(const std::map<std::string, std::string>& definitions, std::vector<Link>& links,
                 std::vector<Link>& images)
        : m_definitions(definitions), m_links(links), m_images(images) {}

    std::string read(std::string_view text);

  private:
    const std::map<std::string, std::string>& m_definitions;
    std::vector<Link>& m_links;
    std::vector<Link>& m_images;
};

/// Fills headings, paragraphs and plain_text from the blocks.
void finish_view(ArticleView& view);

}  // namespace sota::core::quality
