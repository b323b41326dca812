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

/// Live progress on a terminal: one line per step (state, elapsed time, retries, tokens, cost,
/// what it is doing) and an overall bar with an ETA, redrawn in place a few times a second.
/// Warnings scroll above the block. Thread-safe.
class TtyProgress final : public core::pipeline::Reporter {
  public:
    TtyProgress(std::FILE* out, bool color, const core::pipeline::Workflow& workflow);
    ~TtyProgress() override;
    void on_event(const core::pipeline::Event& event) override;
    /// Draws the final state and stops redrawing.
    void finish();

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
    void draw_locked();
    Row* row(const std::string& id);

    std::FILE* m_out;
    bool m_color;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<Row> m_rows;
    std::vector<std::string> m_messages;  // printed above the block at the next draw
    int m_drawn = 0;                      // lines of the block on screen
    bool m_stop = false;
    core::SteadyTime m_start;
    int m_frame = 0;
    std::thread m_ticker;
};

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
