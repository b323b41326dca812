#pragma once

#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/pipeline/events.hpp"
#include "core/pipeline/workflow.hpp"

namespace sota::cli {

/// A block of lines on a terminal redrawn in place a few times a second, with messages that
/// scroll above it. Subclasses say what the block holds; they must call finish() in their
/// destructor. Thread-safe.
class LiveBlock : public core::pipeline::Reporter {
  public:
    /// Draws the final state and stops redrawing.
    void finish();

  protected:
    LiveBlock(std::FILE* out, bool color);
    ~LiveBlock() override;
    /// Starts the redrawing thread (call once the subclass is built).
    void start_ticker();
    /// The block's lines, with the lock held.
    virtual std::vector<std::string> lines_locked(core::SteadyTime now) = 0;
    /// Draws messages and the block now; the lock must be held.
    void draw_locked();
    /// Adds a line to print above the block; the lock must be held.
    void message_locked(std::string text) { m_messages.push_back(std::move(text)); }
    /// `text` in an ANSI colour ("\x1b[32m"), if colour is on.
    std::string paint(const char* colour, const std::string& text) const;
    /// "[#####-----]".
    static std::string bar(double fraction, int width);

    std::mutex m_mutex;
    core::SteadyTime m_start;
    int m_frame = 0;

  private:
    std::FILE* m_out;
    bool m_color;
    std::condition_variable m_cv;
    std::vector<std::string> m_messages;
    int m_drawn = 0;  // lines of the block on screen
    bool m_stop = false;
    std::thread m_ticker;
};

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
    std::vector<std::string> lines_locked(core::SteadyTime now) override;
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
    std::vector<std::string> lines_locked(core::SteadyTime now) override;

    std::size_t m_total;
    std::size_t m_done = 0;
    std::size_t m_failed = 0;
    std::int64_t m_tokens = 0;
    double m_cost = 0;
    std::map<std::string, Active> m_active;  // by job id
};

/// An event as PlainProgress writes it, without a newline ("step 2/8 gap_analysis started").
std::string describe_event(const core::pipeline::Event& event);

/// One plain line per event, for pipes, logs and cron. Thread-safe.
class PlainProgress final : public core::pipeline::Reporter {
  public:
    explicit PlainProgress(std::FILE* out) : m_out(out) {}
    void on_event(const core::pipeline::Event& event) override;

  private:
    std::FILE* m_out;
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
