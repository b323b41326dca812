#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace CLI {
class FormatterBase;
}

namespace sota::cli {

/// The width help text is wrapped at: the terminal's (stdout), else $COLUMNS, else 80; at least
/// 40.
std::size_t help_width();

/// Wraps each line of CLI11's help text longer than `width` at spaces. A continued line is
/// indented to where its text began: an option's description under its description column, a
/// paragraph under its own indent. A single word longer than the room is left whole.
std::string wrap_help(const std::string& text, std::size_t width);

/// CLI11's help formatter, with its output wrapped at help_width(). Set on the root command
/// before subcommands are added (each copies its parent's formatter).
std::shared_ptr<CLI::FormatterBase> make_help_formatter();

}  // namespace sota::cli
