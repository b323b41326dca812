#pragma once

#include <csignal>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/pipeline/events.hpp"
#include "core/pipeline/workflow.hpp"

namespace sota::cli {

/// A block of lines on a terminal redrawn in place a few times a second, with messages that
/// scroll above it. No line it writes is wider than the terminal: the width is read
/// (TIOCGWINSZ) at each redraw, a SIGWINCH redraws at once, the block's columns are dropped or
/// cut to fit, and messages are wrapped. Subclasses say what the block holds; they must call
/// finish() in their destructor. Thread-safe; one block at a time per process.
class LiveBlock : public core::pipeline::Reporter {
  public:
    /// Draws the final state and stops redrawing.
    void finish();
    /// Prints `text` above the block (wrapped to the terminal's width) and redraws.
    void note(const std::string& text);

  protected:
    /// One line of the block: its text and an ANSI colour ("" for none).
    struct Line {
        std::string text;
        const char* colour = "";
    };

    LiveBlock(std::FILE* out, bool color);
    ~LiveBlock() override;
    /// Starts the redrawing thread (call once the subclass is built).
    void start_ticker();
    /// The block's lines for a terminal `width` columns wide, with the lock held; a line wider
    /// than `width` is cut.
    virtual std::vector<Line> lines_locked(core::SteadyTime now, int width) = 0;
    /// Draws messages and the block now; the lock must be held.
    void draw_locked();
    /// Adds a line to print above the block; the lock must be held.
    void message_locked(std::string text, const char* colour = "") {
        m_messages.push_back({std::move(text), colour});
    }

    std::mutex m_mutex;
    core::SteadyTime m_start;
    int m_frame = 0;

  private:
    std::string paint(const char* colour, const std::string& text) const;
    int columns() const;

    std::FILE* m_out;
    bool m_color;
    std::vector<Line> m_messages;
    std::vector<std::size_t> m_drawn;  // the block's lines on screen: their widths
    int m_width = 0;                   // the terminal's width when they were drawn
    bool m_stop = false;
    int m_wake[2] = {-1, -1};  // a pipe: SIGWINCH and finish() wake the ticker
    struct sigaction m_old_winch {};
    std::thread m_ticker;
};

/// Columns `text` takes on a terminal (one per UTF-8 character; escape sequences take none).
std::size_t display_width(std::string_view text);

/// `text` cut to at most `width` columns, ending in "…" when cut.
std::string fit_width(const std::string& text, std::size_t width);

/// `text` broken into lines of at most `width` columns, at spaces where it can; lines after
/// the first are indented by `indent` spaces.
std::vector<std::string> wrap_width(const std::string& text, std::size_t width,
                                    std::size_t indent = 2);

/// The terminal's width in columns if `fd` is a terminal that says it, else 0.
int terminal_columns(int fd);

/// Live progress of one job on a terminal: one line per step (state, elapsed time, retries,
/// tokens, cost, what it is doing) and an overall bar with an ETA. Warnings scroll above.
class TtyProgress final : public LiveBlock {
  public:
    TtyProgress(std::FILE* out, bool color, const core::pipeline::Workflow& workflow);
    ~TtyProgress() override;
    void on_event(const core::pipeline::Event& event) override;

  private:
    struct Row {
        std::string id;
        double weight = 1;  // the step's timeout: a rough share of the whole job's time
        std::string state = "pending";
        core::SteadyTime started;
        std::int64_t elapsed_ms = 0;
        std::int64_t tokens = 0;
        double cost = 0;
        int retries = 0;
        std::string detail;
    };
    std::vector<Line> lines_locked(core::SteadyTime now, int width) override;
    Row* row(const std::string& id);

    std::vector<Row> m_rows;
};

/// Live progress of an inline batch on a terminal: an overall bar (done of all, failed,
/// tokens, cost, ETA) and one line per job running (its keyword, step and what it is doing).
/// Each finished job scrolls above the block as one line.
class BatchProgress final : public LiveBlock {
  public:
    BatchProgress(std::FILE* out, bool color, std::size_t total);
    ~BatchProgress() override;
    void on_event(const core::pipeline::Event& event) override;
    void job_started(const std::string& job_id, const std::string& keyword);
    void job_ended(const std::string& job_id, const std::string& line, bool ok, std::int64_t tokens,
                   double cost);

  private:
    struct Active {
        std::string keyword;
        std::string step;
        int index = 0;
        int total = 0;
        core::SteadyTime started;
        std::string detail;
    };
    std::vector<Line> lines_locked(core::SteadyTime now, int width) override;

    std::size_t m_total;
    std::size_t m_done = 0;
    std::size_t m_failed = 0;
    std::int64_t m_tokens = 0;
    double m_cost = 0;
    std::map<std::string, Active> m_active;  // by job id
};

/// An event as PlainProgress writes it, without a newline ("step 2/8 gap_analysis started").
std::string describe_event(const core::pipeline::Event& event);

/// One plain line per event, for pipes, logs and cron; on a terminal, long lines are wrapped to
/// its width. Thread-safe.
class PlainProgress final : public core::pipeline::Reporter {
  public:
    /// `summary_follows`: the command prints what publishing did once, at the end (`sota
    /// run`), so the job log's lines about it (marked "publish") are not printed as they come.
    explicit PlainProgress(std::FILE* out, bool summary_follows = false)
        : m_out(out), m_summary_follows(summary_follows) {}
    void on_event(const core::pipeline::Event& event) override;

  private:
    std::FILE* m_out;
    bool m_summary_follows;
    std::mutex m_mutex;
};

/// Each event as one JSON object per line (--json). Thread-safe.
class NdjsonReporter final : public core::pipeline::Reporter {
  public:
    explicit NdjsonReporter(std::FILE* out) : m_out(out) {}
    void on_event(const core::pipeline::Event& event) override;

  private:
    std::FILE* m_out;
    std::mutex m_mutex;
};

/// "1m05s", "12.3s".
std::string format_elapsed(std::int64_t ms);

}  // namespace sota::cli
