#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/redactor.hpp"

namespace sota::cli {

/// Prints an error for a human on stderr, always as one line "sota: error: MESSAGE" (no log
/// timestamp or level), with known secret values masked; with --log-format json, as a JSON log
/// line through the logger instead.
void print_error(const core::Error& error);

/// How print_error writes from now on: as JSON log lines, and which secrets it masks. Set once
/// a command's configuration is loaded, before any thread starts.
void set_error_output(bool json, std::shared_ptr<const core::Redactor> redactor);

/// Prints the error (see print_error) and returns the exit code for its kind.
int report_error(const core::Error& error);

/// Prints rows as aligned columns on stdout; the first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace sota::cli
