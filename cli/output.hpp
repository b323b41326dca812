#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"

namespace sota::cli {

/// Prints an error for a human on stderr ("sota: error: ..."), redacting nothing: messages are
/// built without secret values. Goes through the logger when one is installed.
void print_error(const core::Error& error);

/// Prints the error (see print_error) and returns the exit code for its kind.
int report_error(const core::Error& error);

/// Prints rows as aligned columns on stdout; the first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace sota::cli
