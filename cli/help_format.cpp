#include "cli/help_format.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace sota::cli {
namespace {

constexpr std::size_t k_min_width = 40;

/// Where a line's text starts for its continuation lines: after an option's name column (the
/// first run of two spaces or more after some text), else its own indent.
std::size_t continuation_indent(const std::string& line, std::size_t width) {
    const std::size_t lead = line.find_first_not_of(' ');
    std::size_t indent = lead == std::string::npos ? 0 : lead;
    const std::size_t gap = line.find("  ", indent);
    if (gap != std::string::npos) {
        const std::size_t text = line.find_first_not_of(' ', gap);
        if (text != std::string::npos) {
            indent = text;
        }
    }
    // A column too far right leaves no room: continue a little under the line's start instead.
    return indent + 20 > width ? std::min<std::size_t>(lead + 4, width / 2) : indent;
}

void wrap_line(const std::string& line, std::size_t width, std::string& out) {
    if (line.size() <= width) {
        out += line;
        out += '\n';
        return;
    }
    const std::string pad(continuation_indent(line, width), ' ');
    std::string rest = line;
    bool first = true;
    while (true) {
        const std::size_t start = first ? 0 : pad.size();
        if (rest.size() <= width) {
            out += rest;
            out += '\n';
            return;
        }
        // The last space that keeps the line within the width, past the indent.
        std::size_t cut = rest.rfind(' ', width);
        const std::size_t text_start = rest.find_first_not_of(' ', start);
        if (cut == std::string::npos || text_start == std::string::npos || cut <= text_start) {
            cut = rest.find(' ', width);  // a word longer than the room stays whole
            if (cut == std::string::npos) {
                out += rest;
                out += '\n';
                return;
            }
        }
        std::string head = rest.substr(0, cut);
        head.erase(head.find_last_not_of(' ') + 1);
        out += head;
        out += '\n';
        const std::size_t next = rest.find_first_not_of(' ', cut);
        if (next == std::string::npos) {
            return;
        }
        rest = pad + rest.substr(next);
        first = false;
    }
}

class WrappingFormatter final : public CLI::Formatter {
  public:
    std::string make_help(const CLI::App* app, std::string name,
                          CLI::AppFormatMode mode) const override {
        return wrap_help(CLI::Formatter::make_help(app, std::move(name), mode), help_width());
    }
};

}  // namespace

std::size_t help_width() {
    winsize size{};
    if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 &&
        size.ws_col > 0) {
        return std::max<std::size_t>(size.ws_col, k_min_width);
    }
    if (const char* columns = std::getenv("COLUMNS")) {
        char* end = nullptr;
        const long n = std::strtol(columns, &end, 10);
        if (end != columns && *end == '\0' && n > 0) {
            return std::max<std::size_t>(static_cast<std::size_t>(n), k_min_width);
        }
    }
    return 80;
}

std::string wrap_help(const std::string& text, std::size_t width) {
    std::string out;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        wrap_line(line, std::max(width, k_min_width), out);
    }
    if (!text.empty() && text.back() != '\n' && !out.empty()) {
        out.pop_back();
    }
    return out;
}

std::shared_ptr<CLI::FormatterBase> make_help_formatter() {
    return std::make_shared<WrappingFormatter>();
}

}  // namespace sota::cli
