#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota run`.
struct RunOptions {
    std::string keyword;
    std::string mode = "generate";
    std::string workflow;
    std::string model;
    std::string out;
    std::string publish;
    std::string url;
    std::optional<std::int64_t> post_id;
    std::string file;
    std::string site_pages;
    std::vector<std::string> fields;  ///< NAME=VALUE for prompt templates
    std::string resume;
    bool json = false;
};

/// Adds `run`.
void setup_run(CLI::App& parent, CommandTable& table);

/// Runs one job inline: creates it (or resumes one), shows progress, writes the article
/// directory. Exit 0 when it completed, 130 when interrupted (resumable), else the error's code.
int run_run(const RunOptions& options, Context& ctx);

}  // namespace sota::cli
