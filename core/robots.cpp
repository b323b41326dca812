#include "core/robots.hpp"

#include <algorithm>
#include <cctype>
#include "core/text.hpp"

namespace sota::core {
namespace {

bool match_from(std::string_view pattern, std::string_view path) {
    if (pattern.empty()) {
        return true;  // a prefix match: the rest of the path is free
    }
    if (pattern == "$") {
        return path.empty();
    }
    if (pattern.front() == '*') {
        for (std::size_t i = 0; i <= path.size(); ++i) {
            if (match_from(pattern.substr(1), path.substr(i))) {
                return true;
            }
        }
        return false;
    }
    return !path.empty() && pattern.front() == path.front() &&
           match_from(pattern.substr(1), path.substr(1));
}

}  // namespace

bool robots_pattern_match(std::string_view pattern, std::string_view path) {
    return match_from(pattern, path);
}

RobotsRules RobotsRules::disallow_all() {
    RobotsRules r;
    r.m_rules.push_back({false, "/"});
    return r;
}

RobotsRules RobotsRules::parse(std::string_view text, std::string_view product_token) {
    struct Group {
        std::vector<std::string> agents;
        std::vector<Rule> rules;
    };
    std::vector<Group> groups;
    bool last_was_agent = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (const auto hash = line.find('#'); hash != std::string_view::npos) {
            line = line.substr(0, hash);
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        const std::string key = to_lower(trim(line.substr(0, colon)));
        const std::string value = trim(line.substr(colon + 1));
        if (key == "user-agent") {
            if (!last_was_agent || groups.empty()) {
                groups.emplace_back();
            }
            groups.back().agents.push_back(to_lower(value));
            last_was_agent = true;
        } else if (key == "allow" || key == "disallow") {
            last_was_agent = false;
            if (groups.empty()) {
                continue;  // rules before any user-agent line belong to no group
            }
            if (!value.empty()) {
                groups.back().rules.push_back({key == "allow", value});
            }
        } else {
            last_was_agent = false;  // sitemap, crawl-delay, ...: end the user-agent run
        }
    }
    const std::string token = to_lower(product_token);
    RobotsRules rules;
    bool matched = false;
    for (const auto& g : groups) {
        if (std::find(g.agents.begin(), g.agents.end(), token) != g.agents.end()) {
            rules.m_rules.insert(rules.m_rules.end(), g.rules.begin(), g.rules.end());
            matched = true;
        }
    }
    if (!matched) {
        for (const auto& g : groups) {
            if (std::find(g.agents.begin(), g.agents.end(), "*") != g.agents.end()) {
                rules.m_rules.insert(rules.m_rules.end(), g.rules.begin(), g.rules.end());
            }
        }
    }
    return rules;
}

bool RobotsRules::allowed(std::string_view path) const {
    if (path == "/robots.txt") {
        return true;
    }
    const Rule* best = nullptr;
    for (const auto& rule : m_rules) {
        if (!robots_pattern_match(rule.pattern, path)) {
            continue;
        }
        if (!best || rule.pattern.size() > best->pattern.size() ||
            (rule.pattern.size() == best->pattern.size() && rule.allow)) {
            best = &rule;
        }
    }
    return !best || best->allow;
}

}  // namespace sota::core
