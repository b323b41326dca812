#include "tests/support/terminal.hpp"

// GCC 12 at -O2 reports a bogus -Wrestrict inside std::string assignment here (GCC bug 105651).
#pragma GCC diagnostic ignored "-Wrestrict"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>

namespace sota::test {

Screen::Screen(int columns, int rows) : m_columns(columns), m_height(rows) {}

int Screen::top() const {
    return std::max(0, static_cast<int>(m_rows.size()) - m_height);
}

void Screen::line_feed() {
    m_pending_wrap = false;
    m_erased = false;
    ++m_row;
    if (m_row >= static_cast<int>(m_rows.size())) {
        m_rows.emplace_back();
    }
}

void Screen::put(const std::string& character) {
    if (m_pending_wrap) {
        (m_settling ? m_resize_wraps : m_wraps) += m_erased ? 1 : 0;
        const bool erased = m_erased;
        line_feed();
        m_erased = erased;
        m_column = 0;
        row().continued = true;
    }
    auto& cells = row().cells;
    if (static_cast<int>(cells.size()) <= m_column) {
        cells.resize(static_cast<std::size_t>(m_column) + 1, " ");
    }
    cells[static_cast<std::size_t>(m_column)] = character;
    if (m_column + 1 >= m_columns) {
        m_pending_wrap = true;  // as xterm: the wrap happens at the next character
    } else {
        ++m_column;
    }
}

void Screen::csi(const std::string& params, char final) {
    std::vector<int> n;
    std::string digits;
    for (char c : params + ";") {
        if (c == ';') {
            n.push_back(digits.empty() ? 0 : std::stoi(digits));
            digits.clear();
        } else if (c >= '0' && c <= '9') {
            digits += c;
        }
    }
    const int count = std::max(1, n.empty() ? 1 : n[0]);
    const int arg = n.empty() ? 0 : n[0];
    m_pending_wrap = false;
    auto& cells = row().cells;
    switch (final) {
        case 'A':
            m_row = std::max(top(), m_row - count);
            break;
        case 'F':
            m_row = std::max(top(), m_row - count);
            m_column = 0;
            break;
        case 'B':
        case 'E':
            for (int i = 0; i < count; ++i) {
                line_feed();
            }
            if (final == 'E') {
                m_column = 0;
            }
            break;
        case 'C':
            m_column = std::min(m_columns - 1, m_column + count);
            break;
        case 'D':
            m_column = std::max(0, m_column - count);
            break;
        case 'G':
            m_column = std::clamp(count - 1, 0, m_columns - 1);
            break;
        case 'K':
            if (arg == 0) {
                if (static_cast<int>(cells.size()) > m_column) {
                    cells.resize(static_cast<std::size_t>(m_column));
                }
            } else if (arg == 1) {
                for (int i = 0; i <= m_column && i < static_cast<int>(cells.size()); ++i) {
                    cells[static_cast<std::size_t>(i)] = " ";
                }
            } else {
                cells.clear();
                row().continued = false;  // a row erased whole is a line of its own again
                m_erased = true;
            }
            break;
        case 'J':
            if (arg == 0) {
                if (static_cast<int>(cells.size()) > m_column) {
                    cells.resize(static_cast<std::size_t>(m_column));
                }
                if (m_column == 0) {
                    row().continued = false;
                }
                for (std::size_t r = static_cast<std::size_t>(m_row) + 1; r < m_rows.size(); ++r) {
                    m_rows[r] = Row{};
                }
            } else if (arg == 2) {
                for (std::size_t r = static_cast<std::size_t>(top()); r < m_rows.size(); ++r) {
                    m_rows[r] = Row{};
                }
            }
            break;
        default:
            break;  // colours and modes
    }
}

void Screen::write(std::string_view bytes) {
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (m_in_escape) {
            m_escape += ch;
            if (m_escape.size() == 1 && ch != '[') {
                m_in_escape = false;  // a two-byte escape
            } else if (m_escape.size() > 1 && c >= 0x40 && c <= 0x7e) {
                csi(m_escape.substr(1, m_escape.size() - 2), ch);
                m_in_escape = false;
            }
            continue;
        }
        if (!m_utf8.empty() && (c & 0xC0) == 0x80) {
            m_utf8 += ch;
            const auto lead = static_cast<unsigned char>(m_utf8[0]);
            const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (m_utf8.size() == length) {
                put(m_utf8);
                m_utf8.clear();
            }
            continue;
        }
        m_utf8.clear();
        if (c == 0x1b) {
            m_in_escape = true;
            m_escape.clear();
        } else if (c == '\r') {
            m_column = 0;
            m_pending_wrap = false;
        } else if (c == '\n') {
            line_feed();
        } else if (c == '\b') {
            m_column = std::max(0, m_column - 1);
            m_pending_wrap = false;
        } else if (c >= 0xC0) {
            m_utf8 = std::string(1, ch);
        } else if (c >= 0x20 && c < 0x7f) {
            put(std::string(1, ch));
        }
    }
}

void Screen::resize(int columns) {
    // The rows as lines (a wrapped line is one), and where the cursor is in them.
    std::vector<std::vector<std::string>> lines;
    std::size_t cursor_line = 0, cursor_offset = 0;
    for (std::size_t r = 0; r < m_rows.size(); ++r) {
        if (!m_rows[r].continued || lines.empty()) {
            lines.emplace_back();
        }
        auto& line = lines.back();
        if (static_cast<int>(r) == m_row) {
            cursor_line = lines.size() - 1;
            cursor_offset = line.size() + static_cast<std::size_t>(m_column);
        }
        const bool next_continues = r + 1 < m_rows.size() && m_rows[r + 1].continued;
        auto cells = m_rows[r].cells;
        if (next_continues) {
            cells.resize(static_cast<std::size_t>(m_columns), " ");
        }
        line.insert(line.end(), cells.begin(), cells.end());
    }
    m_columns = columns;
    std::vector<Row> rows;
    for (std::size_t l = 0; l < lines.size(); ++l) {
        const auto& line = lines[l];
        const std::size_t first = rows.size();
        const auto width = static_cast<std::size_t>(columns);
        for (std::size_t at = 0; at == 0 || at < line.size(); at += width) {
            Row row;
            row.continued = at > 0;
            row.cells.assign(
                line.begin() + static_cast<std::ptrdiff_t>(std::min(at, line.size())),
                line.begin() + static_cast<std::ptrdiff_t>(std::min(at + width, line.size())));
            rows.push_back(std::move(row));
        }
        if (l == cursor_line) {
            m_row =
                static_cast<int>(first + std::min(cursor_offset / width, rows.size() - first - 1));
            m_column = static_cast<int>(std::min(
                cursor_offset - (static_cast<std::size_t>(m_row) - first) * width, width - 1));
        }
    }
    m_rows = std::move(rows);
    m_pending_wrap = false;
}

std::vector<std::string> Screen::lines() const {
    std::vector<std::string> out;
    for (const auto& row : m_rows) {
        std::string text;
        for (const auto& cell : row.cells) {
            text += cell;
        }
        text.erase(text.find_last_not_of(' ') + 1);
        out.push_back(std::move(text));
    }
    while (!out.empty() && out.back().empty()) {
        out.pop_back();
    }
    return out;
}

std::vector<std::string> Screen::wrapped_lines() const {
    std::vector<std::string> out;
    for (std::size_t r = 1; r < m_rows.size(); ++r) {
        if (!m_rows[r].continued) {
            continue;
        }
        if (r == 1 || !m_rows[r - 1].continued) {
            out.emplace_back();
            for (const auto& cell : m_rows[r - 1].cells) {
                out.back() += cell;
            }
        }
        for (const auto& cell : m_rows[r].cells) {
            out.back() += cell;
        }
    }
    return out;
}

namespace {

/// Where the second frame that begins at or after `from` begins (the end of `out` if none).
std::size_t second_frame_after(std::string_view out, std::size_t from) {
    int frames = 0;
    for (std::size_t at = out.find("\x1b[", from); at != std::string_view::npos;
         at = out.find("\x1b[", at + 1)) {
        std::size_t end = at + 2;
        while (end < out.size() && out[end] >= '0' && out[end] <= '9') {
            ++end;
        }
        if (end > at + 2 && end < out.size() && out[end] == 'F' && ++frames == 2) {
            return at;
        }
    }
    return out.size();
}

}  // namespace

Screen TerminalRun::screen(int rows) const {
    Screen screen(columns, rows);
    const std::string_view out(result.out);
    std::size_t at = 0;
    for (std::size_t i = 0; i < resizes.size(); ++i) {
        const auto [offset, width] = resizes[i];
        screen.write(out.substr(at, std::max(offset, at) - at));
        screen.resize(width);
        at = std::max(offset, at);
        const std::size_t next = i + 1 < resizes.size() ? resizes[i + 1].first : out.size();
        const std::size_t settled = std::max(at, std::min(second_frame_after(out, at), next));
        screen.settling(true);
        screen.write(out.substr(at, settled - at));
        screen.settling(false);
        at = settled;
    }
    screen.write(out.substr(at));
    return screen;
}

namespace {

class PtyControl final : public TerminalControl {
  public:
    PtyControl(int master, TerminalRun& run) : m_master(master), m_run(run) {}
    void resize(int columns) override {
        winsize size{};
        size.ws_row = 40;
        size.ws_col = static_cast<unsigned short>(columns);
        // What the program wrote before now, still in the terminal's buffer, was laid out at
        // the old width: read it first, as a terminal that keeps up with its program would.
        char buf[8192];
        for (ssize_t r; (r = ::read(m_master, buf, sizeof buf)) > 0;) {
            m_run.result.out.append(buf, static_cast<std::size_t>(r));
        }
        m_run.resizes.emplace_back(m_run.result.out.size(), columns);
        ::ioctl(m_master, TIOCSWINSZ, &size);
    }
    void type(const std::string& keys) override {
        (void)!::write(m_master, keys.data(), keys.size());
    }

  private:
    int m_master;
    TerminalRun& m_run;
};

}  // namespace

TerminalRun run_in_terminal(
    const ProcessSpec& spec, int columns,
    const std::function<void(const std::string& out, TerminalControl& terminal)>& watch) {
    ExecArgs exec(spec);
    TerminalRun run;
    run.columns = columns;
    int master = -1;
    winsize size{};
    size.ws_row = 40;
    size.ws_col = static_cast<unsigned short>(columns);
    const pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
    if (pid < 0) {
        throw std::runtime_error("forkpty failed");
    }
    if (pid == 0) {
        if (spec.cwd && ::chdir(spec.cwd->c_str()) != 0) {
            ::_exit(127);
        }
        ::execve(exec.argv()[0], exec.argv(), exec.envp());
        ::_exit(127);
    }
    ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    PtyControl control(master, run);
    const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            run.result.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd fd{master, POLLIN, 0};
        if (::poll(&fd, 1, static_cast<int>(std::min<long>(left.count(), 200))) < 0 &&
            errno != EINTR) {
            break;
        }
        char buf[8192];
        const ssize_t r = ::read(master, buf, sizeof buf);
        if (r > 0) {
            run.result.out.append(buf, static_cast<std::size_t>(r));
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
            break;  // EIO: the program and its children closed the terminal
        }
        if (watch) {
            watch(run.result.out, control);
        }
    }
    ::close(master);
    int status = 0;
    ::waitpid(pid, &status, 0);
    run.result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return run;
}

int step_rows(const std::vector<std::string>& lines, const std::string& step) {
    int n = 0;
    for (const auto& line : lines) {
        // " ✓ blueprint  done ..." : one blank, one mark (a character of 1-3 bytes), one blank.
        if (line.size() < 4 || line[0] != ' ') {
            continue;
        }
        std::size_t at = 2;
        while (at < line.size() && (static_cast<unsigned char>(line[at]) & 0xC0) == 0x80) {
            ++at;
        }
        if (at >= line.size() || line[at] != ' ' || line[1] == ' ') {
            continue;
        }
        const std::string rest = line.substr(at + 1);
        if (rest.rfind(step, 0) == 0 && (rest.size() == step.size() || rest[step.size()] == ' ' ||
                                         rest.compare(step.size(), 3, "\xE2\x80\xA6") == 0)) {
            ++n;
        }
    }
    return n;
}

}  // namespace sota::test
