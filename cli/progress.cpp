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

std::string describe_event(const Event& event) {
    return describe(event);
}

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

LiveBlock::LiveBlock(std::FILE* out, bool color)
    : m_start(std::chrono::steady_clock::now()), m_out(out), m_color(color) {}

LiveBlock::~LiveBlock() = default;

void LiveBlock::start_ticker() {
    m_ticker = std::thread([this] {
        std::unique_lock lock(m_mutex);
        while (!m_stop) {
            draw_locked();
            m_cv.wait_for(lock, std::chrono::milliseconds(200));
        }
    });
}

void LiveBlock::finish() {
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

std::string LiveBlock::paint(const char* colour, const std::string& text) const {
    return m_color && *colour ? colour + text + "\x1b[0m" : text;
}

std::string LiveBlock::bar(double fraction, int width) {
    const int filled = std::clamp(static_cast<int>(std::lround(fraction * width)), 0, width);
    return "[" + std::string(static_cast<std::size_t>(filled), '#') +
           std::string(static_cast<std::size_t>(width - filled), '-') + "]";
}

void LiveBlock::draw_locked() {
    const auto now = std::chrono::steady_clock::now();
    std::string out;
    if (m_drawn > 0) {
        out += "\x1b[" + std::to_string(m_drawn) + "F";  // to the block's first line
    }
    for (const auto& m : m_messages) {
        out += "\x1b[2K" + m + "\n";
    }
    m_messages.clear();
    ++m_frame;
    const auto lines = lines_locked(now);
    for (const auto& line : lines) {
        out += "\x1b[2K" + line + "\n";
    }
    // Lines left over from a taller block are cleared.
    for (int i = static_cast<int>(lines.size()); i < m_drawn; ++i) {
        out += "\x1b[2K\n";
    }
    m_drawn = std::max(m_drawn, static_cast<int>(lines.size()));
    std::fputs(out.c_str(), m_out);
    std::fflush(m_out);
}

TtyProgress::TtyProgress(std::FILE* out, bool color, const core::pipeline::Workflow& workflow)
    : LiveBlock(out, color) {
    for (const auto& s : workflow.steps) {
        Row r;
        r.id = s.id;
        r.weight = std::max<double>(1.0, static_cast<double>(s.timeout.count()));
        m_rows.push_back(std::move(r));
    }
    start_ticker();
}

TtyProgress::~TtyProgress() {
    finish();
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
                message_locked(paint("\x1b[33m", describe(event)));
            }
            break;
        default:
            break;
    }
    draw_locked();
}

std::vector<std::string> TtyProgress::lines_locked(core::SteadyTime now) {
    static const char* spinner[] = {"|", "/", "-", "\\"};
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
    std::vector<std::string> lines;
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
        lines.push_back(paint(colour, text));
    }
    const double fraction = total_weight > 0 ? done_weight / total_weight : 0;
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
    std::snprintf(summary, sizeof summary, " %s %3d%%  %s elapsed  ETA %s  %lld tokens  %s",
                  bar(fraction, 30).c_str(), static_cast<int>(std::lround(fraction * 100)),
                  format_elapsed(elapsed).c_str(), eta.c_str(), static_cast<long long>(tokens),
                  money(cost).c_str());
    lines.emplace_back(summary);
    return lines;
}

BatchProgress::BatchProgress(std::FILE* out, bool color, std::size_t total)
    : LiveBlock(out, color), m_total(total) {
    start_ticker();
}

BatchProgress::~BatchProgress() {
    finish();
}

void BatchProgress::job_started(const std::string& job_id, const std::string& keyword) {
    std::lock_guard lock(m_mutex);
    Active a;
    a.keyword = keyword;
    a.started = std::chrono::steady_clock::now();
    m_active[job_id] = std::move(a);
}

void BatchProgress::job_ended(const std::string& job_id, const std::string& line, bool ok,
                              std::int64_t tokens, double cost) {
    std::lock_guard lock(m_mutex);
    m_active.erase(job_id);
    ++m_done;
    m_failed += ok ? 0 : 1;
    m_tokens += tokens;
    m_cost += cost;
    message_locked(paint(ok ? "\x1b[32m" : "\x1b[31m",
                         std::string(ok ? "\xE2\x9C\x93 " : "\xE2\x9C\x97 ") + line));
    draw_locked();
}

void BatchProgress::on_event(const Event& event) {
    std::lock_guard lock(m_mutex);
    const auto it = m_active.find(event.job_id);
    if (it == m_active.end()) {
        return;
    }
    Active& a = it->second;
    const json& d = event.data;
    switch (event.type) {
        case EventType::step_started:
        case EventType::step_restored:
            a.step = event.step;
            a.index = d.value("index", 0);
            a.total = d.value("total", 0);
            a.detail.clear();
            break;
        case EventType::progress_update:
            a.detail = d.value("detail", "");
            break;
        case EventType::retry:
            a.detail = "retrying (" + d.value("reason", "") + ")";
            break;
        default:
            break;
    }
}

std::vector<std::string> BatchProgress::lines_locked(core::SteadyTime now) {
    std::vector<std::string> lines;
    for (const auto& [id, a] : m_active) {
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(now - a.started).count();
        char line[512];
        std::snprintf(line, sizeof line, "   %-32.32s step %d/%d %-12s %7s  %s", a.keyword.c_str(),
                      a.index, a.total, a.step.c_str(), format_elapsed(ms).c_str(),
                      a.detail.substr(0, 50).c_str());
        lines.push_back(paint("\x1b[36m", line));
    }
    const double fraction =
        m_total > 0 ? static_cast<double>(m_done) / static_cast<double>(m_total) : 1.0;
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - m_start).count();
    std::string eta = "--";
    if (m_done > 0 && m_done < m_total) {
        eta = format_elapsed(static_cast<std::int64_t>(static_cast<double>(elapsed) *
                                                       static_cast<double>(m_total - m_done) /
                                                       static_cast<double>(m_done)));
    }
    char summary[256];
    std::snprintf(summary, sizeof summary,
                  " %s %zu/%zu done, %zu failed, %zu running  %s elapsed  ETA %s  %lld tokens  %s",
                  bar(fraction, 30).c_str(), m_done, m_total, m_failed, m_active.size(),
                  format_elapsed(elapsed).c_str(), eta.c_str(), static_cast<long long>(m_tokens),
                  money(m_cost).c_str());
    lines.emplace_back(summary);
    return lines;
}

}  // namespace sota::cli
