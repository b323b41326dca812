#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sota::core {

/// robots.txt rules (RFC 9309): the group whose user-agent matches our product token (else the
/// `*` group) applies; among its Allow/Disallow rules the longest matching path wins, Allow on a
/// tie; `*` matches any run of characters and a trailing `$` anchors the end.
class RobotsRules {
  public:
    /// Parses a robots.txt body for the given product token (e.g. "sota").
    static RobotsRules parse(std::string_view text, std::string_view product_token);

    /// Rules that allow everything (no robots.txt, or 4xx).
    static RobotsRules allow_all() { return {}; }

    /// Rules that allow nothing (robots.txt unreachable: 5xx or network error).
    static RobotsRules disallow_all();

    /// Whether a path (with its query) may be fetched.
    bool allowed(std::string_view path) const;

  private:
    struct Rule {
        bool allow;
        std::string pattern;
    };
    std::vector<Rule> m_rules;
};

/// Whether a robots.txt path pattern matches a path.
bool robots_pattern_match(std::string_view pattern, std::string_view path);

}  // namespace sota::core
