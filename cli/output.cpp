#include "cli/output.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <iostream>

namespace sota::cli {

namespace {

/// How errors are written, as the command's context set it.
struct ErrorOutput {
    bool json = false;
    std::shared_ptr<const core::Redactor> redactor;
};

ErrorOutput& error_output() {
    static ErrorOutput output;
    return output;
}

}  // namespace

void set_error_output(bool json, std::shared_ptr<const core::Redactor> redactor) {
    error_output() = ErrorOutput{json, std::move(redactor)};
}

void print_error(const core::Error& error) {
    const auto& output = error_output();
    if (output.json) {
        if (auto logger = spdlog::default_logger(); logger && logger->name() == "sota") {
            logger->error("{}", error.message);
            return;
        }
    }
    std::string line = "sota: error: " + error.message;
    if (output.redactor) {
        line = output.redactor->redact(line);
    }
    std::cerr << line << "\n";
}

int report_error(const core::Error& error) {
    print_error(error);
    return core::to_int(core::exit_code_for(error.kind));
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) {
                line += std::string(widths[i] - row[i].size() + 2, ' ');
            }
        }
        std::cout << line << "\n";
    }
}

}  // namespace sota::cli
