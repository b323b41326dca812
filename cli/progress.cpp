#include "cli/progress.hpp"

#include <algorithm>
#include <cmath>

namespace sota::cli {

using core::pipeline::Event;
using core::pipeline::EventType;
using nlohmann::json;

std::string format_elapsed(std::int64_t ms) {
    char buf[32];
    if (ms < 60'000) {
        std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
    } else {
        std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                      static_cast<long long>((ms / 1000) % 60));
    }
    return buf;
}

namespace {

std::string money(double usd) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "$%.4f", usd);
    return buf;
}

std::string describe(const Event& e) {
    const json& d = e.data;
    switch (e.type) {
        case EventType::status_change: {
            std::string text = "job " + e.job_id + " " + d.value("state", "");
            if (d.contains("error")) {
                text += ": " + d["error"].value("message", "");
            }
            return text;
        }
        case EventType::step_started:
            return "step " + std::to_string(d.value("index", 0)) + "/" +
                   std::to_string(d.value("total", 0)) + " " + e.step + " started";
        case EventType::step_restored:
            return "step " + std::to_string(d.value("index", 0)) + "/" +
                   std::to_string(d.value("total", 0)) + " " + e.step +
                   " restored from its checkpoint";
        case EventType::progress_update:
            return e.step + ": " + d.value("detail", "");
        case EventType::step_completed: {
            const json u = d.value("usage", json::object());
            return e.step + " done in " + format_elapsed(d.value("duration_ms", 0)) + " (" +
                   std::to_string(u.value("input_tokens", 0) + u.value("output_tokens", 0)) +
                   " tokens, " + money(u.value("cost_usd", 0.0)) + ")";
        }
        case EventType::step_failed:
            return e.step + " failed: " + d.value("error", json::object()).value("message", "");
        case EventType::retry:
            return e.step + ": retry " + std::to_string(d.value("attempt", 0)) + " in " +
                   format_elapsed(d.value("delay_ms", 0)) + " (" + d.value("reason", "") + ")";
        case EventType::log:
            return (e.step.empty() ? "" : e.step + ": ") + d.value("text", "");
        case EventType::error:
            return "error: " + d.value("message", "");
        case EventType::result_ready:
            return "result ready: " + d.value("directory", "") + " (score " +
                   std::to_string(d.value("score", 0)) + "/100)";
    }
    return "";
}

}  // namespace

void PlainProgress::on_event(const Event& event) {
    const std::string line = describe(event);
    std::lock_guard lock(m_mutex);
    std::fprintf(m_out, "%s\n", line.c_str());
    std::fflush(m_out);
}

void NdjsonReporter::on_event(const Event& event) {
    const std::string line = core::pipeline::to_json(event).dump();
    std::lock_guard lock(m_mutex);
    std::fprintf(m_out, "%s\n", line.c_str());
    std::fflush(m_out);
}

TtyProgress::TtyProgress(std::FILE* out, bool color, const core::pipeline::Workflow& workflow)
    : m_out(out), m_color(color), m_start(std::chrono::steady_clock::now()) {
    for (const auto& s : workflow.steps) {
        Row r;
        r.id = s.id;
        r.weight = std::max<double>(1.0, static_cast<double>(s.timeout.count()));
        m_rows.push_back(std::move(r));
    }
    m_ticker = std::thread([this] {
        std::unique_lock lock(m_mutex);
        while (!m_stop) {
            draw_locked();
            m_cv.wait_for(lock, std::chrono::milliseconds(200));
        }
    });
}

TtyProgress::~TtyProgress() {
    finish();
}

void TtyProgress::finish() {
    {
        std::lock_guard lock(m_mutex);
        if (m_stop) {
            return;
        }
        m_stop = true;
        draw_locked();
    }
    m_cv.notify_all();
    if (m_ticker.joinable()) {
        m_ticker.join();
    }
}

TtyProgress::Row* TtyProgress::row(const std::string& id) {
    for (auto& r : m_rows) {
        if (r.id == id) {
            return &r;
        }
    }
    return nullptr;
}

void TtyProgress::on_event(const Event& event) {
    std::lock_guard lock(m_mutex);
    Row* r = row(event.step);
    const json& d = event.data;
    auto take_usage = [&](const json& u) {
        if (r && u.is_object()) {
            r->tokens = u.value("input_tokens", 0) + u.value("output_tokens", 0);
            r->cost = u.value("cost_usd", 0.0);
            r->retries = u.value("retries", 0);
        }
    };
    switch (event.type) {
        case EventType::step_started:
            if (r) {
                r->state = "running";
                r->started = std::chrono::steady_clock::now();
            }
            break;
        case EventType::step_restored:
            if (r) {
                r->state = "restored";
                r->detail = "from checkpoint";
                take_usage(d.value("usage", json::object()));
            }
            break;
        case EventType::progress_update:
            take_usage(d);
            if (r) {
                r->detail = d.value("detail", "");
            }
            break;
        case EventType::step_completed:
            if (r) {
                r->state = "done";
                r->elapsed_ms = d.value("duration_ms", 0);
                take_usage(d.value("usage", json::object()));
            }
            break;
        case EventType::step_failed:
            if (r) {
                r->state = "failed";
                r->elapsed_ms = d.value("duration_ms", 0);
                r->detail = d.value("error", json::object()).value("message", "");
            }
            break;
        case EventType::retry:
            if (r) {
                ++r->retries;
                r->detail = "retrying (" + d.value("reason", "") + ")";
            }
            break;
        case EventType::log:
            if (d.value("level", "") != "info") {
                m_messages.push_back(describe(event));
            }
            break;
        default:
            break;
    }
    draw_locked();
}

void TtyProgress::draw_locked() {
    const auto now = std::chrono::steady_clock::now();
    std::string out;
    if (m_drawn > 0) {
        out += "\x1b[" + std::to_string(m_drawn) + "F";  // to the block's first line
    }
    for (const auto& m : m_messages) {
        out += "\x1b[2K" + (m_color ? "\x1b[33m" + m + "\x1b[0m" : m) + "\n";
    }
    m_messages.clear();
    static const char* spinner[] = {"|", "/", "-", "\\"};
    ++m_frame;
    double done_weight = 0, total_weight = 0, run_weight = 0;
    std::int64_t tokens = 0;
    double cost = 0;
    for (const auto& r : m_rows) {
        total_weight += r.weight;
        if (r.state == "done" || r.state == "restored") {
            done_weight += r.weight;
        }
        if (r.state == "done") {
            run_weight += r.weight;
        }
        tokens += r.tokens;
        cost += r.cost;
    }
    for (const auto& r : m_rows) {
        std::string mark = " ";
        const char* colour = "";
        std::int64_t elapsed = r.elapsed_ms;
        if (r.state == "running") {
            mark = spinner[m_frame % 4];
            colour = "\x1b[36m";
            elapsed =
                std::chrono::duration_cast<std::chrono::milliseconds>(now - r.started).count();
        } else if (r.state == "done") {
            mark = "\xE2\x9C\x93";  // check mark
            colour = "\x1b[32m";
        } else if (r.state == "restored") {
            mark = "\xE2\x86\xBA";  // anticlockwise arrow
            colour = "\x1b[32m";
        } else if (r.state == "failed") {
            mark = "\xE2\x9C\x97";  // ballot x
            colour = "\x1b[31m";
        } else {
            mark = ".";
        }
        char line[512];
        std::snprintf(line, sizeof line, " %s %-18s %-9s %7s %8lld tok %9s %s", mark.c_str(),
                      r.id.c_str(), r.state.c_str(),
                      r.state == "pending" ? "" : format_elapsed(elapsed).c_str(),
                      static_cast<long long>(r.tokens), money(r.cost).c_str(),
                      r.retries ? (std::to_string(r.retries) + " retries").c_str() : "");
        std::string text = line;
        if (!r.detail.empty()) {
            text += "  " + r.detail.substr(0, 60);
        }
        out += "\x1b[2K" + (m_color && *colour ? colour + text + "\x1b[0m" : text) + "\n";
    }
    const double fraction = total_weight > 0 ? done_weight / total_weight : 0;
    const int width = 30;
    const int filled = static_cast<int>(std::lround(fraction * width));
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - m_start).count();
    std::string eta = "--";
    if (run_weight > 0 && fraction < 1) {
        const double remaining = total_weight - done_weight;
        eta = format_elapsed(
            static_cast<std::int64_t>(static_cast<double>(elapsed) * remaining / run_weight));
    } else if (fraction >= 1) {
        eta = "0.0s";
    }
    char summary[256];
    std::snprintf(summary, sizeof summary, " [%s%s] %3d%%  %s elapsed  ETA %s  %lld tokens  %s",
                  std::string(static_cast<std::size_t>(filled), '#').c_str(),
                  std::string(static_cast<std::size_t>(width - filled), '-').c_str(),
                  static_cast<int>(std::lround(fraction * 100)), format_elapsed(elapsed).c_str(),
                  eta.c_str(), static_cast<long long>(tokens), money(cost).c_str());
    out += std::string("\x1b[2K") + summary + "\n";
    m_drawn = static_cast<int>(m_rows.size()) + 1;
    std::fputs(out.c_str(), m_out);
    std::fflush(m_out);
}

}  // namespace sota::cli
