#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/process.hpp"

namespace sota::test {

/// A terminal's screen, fed what a program wrote: printable text (UTF-8, one column a
/// character) with wrapping at the right edge, CR, LF, BS, and the CSI sequences progress
/// output uses (cursor up/down/left/right, previous/next line, column, erase in line, erase in
/// display; colours are ignored). Rows that scroll off the top are kept. A resize reflows
/// lines as most terminals do today (a line broken by wrapping is joined and broken again at
/// the new width).
class Screen {
  public:
    Screen(int columns, int rows);
    void write(std::string_view bytes);
    void resize(int columns);
    /// While a resize settles (see TerminalRun::screen), lines past the edge are counted
    /// apart, in resize_wraps().
    void settling(bool on) { m_settling = on; }

    /// Every row, scrolled off or not, without trailing blanks; empty rows at the end dropped.
    std::vector<std::string> lines() const;
    /// How many times a line drawn in place (one that began by erasing its row, as a live
    /// block's lines and the messages above it do) went past the right edge: a line wider
    /// than the terminal, which breaks the redraw.
    int wraps() const { return m_wraps; }
    int resize_wraps() const { return m_resize_wraps; }
    /// Every line that went past the right edge (the rows it took, joined), drawn in place or
    /// printed once (a long path, say, which the terminal wraps).
    std::vector<std::string> wrapped_lines() const;
    int columns() const { return m_columns; }

  private:
    struct Row {
        std::vector<std::string> cells;  // one UTF-8 character each
        bool continued = false;          // text wrapped into it from the row above
    };
    void put(const std::string& character);
    void csi(const std::string& params, char final);
    void line_feed();
    int top() const;
    Row& row() { return m_rows[static_cast<std::size_t>(m_row)]; }

    int m_columns;
    int m_height;
    std::vector<Row> m_rows{Row{}};
    int m_row = 0;
    int m_column = 0;
    bool m_pending_wrap = false;
    bool m_erased = false;  // the row being written began by erasing it
    int m_wraps = 0;
    int m_resize_wraps = 0;
    bool m_settling = false;
    std::string m_utf8;  // a character's bytes so far
    std::string m_escape;
    bool m_in_escape = false;
};

/// What a program run in a terminal wrote, and when the terminal was resized.
struct TerminalRun {
    ProcessResult result;                              ///< stdout and stderr together in `out`
    int columns = 0;                                   ///< the width it started with
    std::vector<std::pair<std::size_t, int>> resizes;  ///< (bytes of `out` before, new width)
    /// The screen after replaying `out` with the resizes where they happened. A program
    /// learns of a resize only when SIGWINCH reaches it: a frame it was writing then, or had
    /// already laid out at the old width, is drawn at the new one. Lines of those frames that
    /// go past the edge count in resize_wraps(), not wraps(); from the second frame begun after
    /// the resize (a frame begins by moving the cursor up, ESC [ n F) every line counts.
    Screen screen(int rows = 40) const;
};

/// What a test may do to the terminal while the program runs.
class TerminalControl {
  public:
    /// Resizes the terminal (the program gets SIGWINCH).
    virtual void resize(int columns) = 0;
    /// Types `keys` (a "\x03" is Ctrl-C: the terminal sends SIGINT and echoes ^C).
    virtual void type(const std::string& keys) = 0;
    virtual ~TerminalControl() = default;
};

/// Runs `spec` (its `pty` and `during` ignored) on a pseudo-terminal `columns` wide and 40
/// rows high. `watch` is called with everything written so far each time more arrives.
TerminalRun run_in_terminal(
    const ProcessSpec& spec, int columns,
    const std::function<void(const std::string& out, TerminalControl& terminal)>& watch = nullptr);

/// How many lines of `lines` are a progress row of `step`: a mark, then the step's name.
int step_rows(const std::vector<std::string>& lines, const std::string& step);

}  // namespace sota::test
