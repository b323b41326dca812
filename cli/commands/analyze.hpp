#pragma once

#include <optional>
#include <string>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota analyze`.
struct AnalyzeOptions {
    std::string input;  ///< a file, an http(s) URL, or "-" for stdin
    std::string keyword;
    std::string title;
    std::string meta;
    std::string slug;
    std::string site;  ///< links to this site count as internal (default: wordpress.url)
    std::string synonyms;
    bool cornerstone = false;
    bool json = false;
    std::string format = "text";  ///< text, json or html
    std::optional<int> min_score;
};

/// Adds `analyze`.
void setup_analyze(CLI::App& parent, CommandTable& table);

/// Scores a Markdown or HTML article with no API key (and no network unless a URL is given):
/// Yoast's SEO and readability assessments, sota's own checks and the editor checks. Exit 0,
/// 4 when --min-score is given and the score is below it, 2 for bad input.
int run_analyze(const AnalyzeOptions& options, Context& ctx);

}  // namespace sota::cli
