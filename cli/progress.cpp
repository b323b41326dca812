#include "cli/progress.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <limits>

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

std::size_t display_width(std::string_view text) {
    std::size_t width = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == 0x1b) {
            // CSI: ESC [ parameters, then one final byte in @..~
            ++i;
            if (i < text.size() && text[i] == '[') {
                while (i + 1 < text.size() && !(text[i + 1] >= '@' && text[i + 1] <= '~')) {
                    ++i;
                }
                ++i;
            }
            continue;
        }
        width += (c & 0xC0) != 0x80 && c >= 0x20 ? 1 : 0;
    }
    return width;
}

std::string fit_width(const std::string& text, std::size_t width) {
    if (display_width(text) <= width) {
        return text;
    }
    if (width == 0) {
        return "";
    }
    std::string out;
    std::size_t used = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if ((c & 0xC0) != 0x80 && c >= 0x20) {
            if (used + 1 == width) {
                break;
            }
            ++used;
        }
        if (c >= 0x20 || (c & 0x80)) {
            out += text[i];
        }
    }
    return out + "\xE2\x80\xA6";  // horizontal ellipsis
}

std::vector<std::string> wrap_width(const std::string& text, std::size_t width,
                                    std::size_t indent) {
    std::vector<std::string> lines;
    width = std::max<std::size_t>(width, indent + 8);
    std::string rest = text;
    std::string lead;
    while (display_width(lead + rest) > width) {
        // The longest head of `rest` that fits, broken at its last space if it has one.
        const std::size_t room = width - display_width(lead);
        std::size_t cut = 0, columns = 0, last_space = 0;
        while (cut < rest.size()) {
            std::size_t next = cut + 1;
            while (next < rest.size() && (static_cast<unsigned char>(rest[next]) & 0xC0) == 0x80) {
                ++next;
            }
            if (columns + 1 > room) {
                break;
            }
            if (rest[cut] == ' ') {
                last_space = cut;
            }
            ++columns;
            cut = next;
        }
        if (last_space > 0) {
            cut = last_space;
        }
        lines.push_back(lead + rest.substr(0, cut));
        rest = rest.substr(cut);
        rest.erase(0, rest.find_first_not_of(' '));
        lead = std::string(indent, ' ');
    }
    lines.push_back(lead + rest);
    return lines;
}

int terminal_columns(int fd) {
    winsize size{};
    if (::isatty(fd) && ::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
        return size.ws_col;
    }
    return 0;
}

namespace {

/// Parts of a line, each with how much it matters: when the line is too wide, the parts that
/// matter least go first (all of one level at once), in place, so the columns keep their order.
struct Part {
    std::string text;
    int keep = 0;
};

std::string fit_parts(const std::vector<Part>& parts, std::size_t width) {
    std::vector<int> levels;
    for (const auto& p : parts) {
        levels.push_back(p.keep);
    }
    std::sort(levels.begin(), levels.end());
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    std::string line;
    for (std::size_t drop = 0; drop <= levels.size(); ++drop) {
        const int floor = drop == 0 ? std::numeric_limits<int>::min() : levels[drop - 1] + 1;
        line.clear();
        for (const auto& p : parts) {
            if (p.keep >= floor) {
                line += p.text;
            }
        }
        if (display_width(line) <= width || drop + 1 >= levels.size()) {
            break;
        }
    }
    return fit_width(line, width);
}

/// `text` padded with spaces to `width` columns (or cut to them).
std::string pad(const std::string& text, std::size_t width) {
    const std::string cut = fit_width(text, width);
    return cut + std::string(width - std::min(width, display_width(cut)), ' ');
}

/// `text` right-aligned in `width` columns.
std::string pad_left(const std::string& text, std::size_t width) {
    return std::string(width - std::min(width, display_width(text)), ' ') + text;
}

// The pipe the SIGWINCH handler writes to: the live block's (one at a time).
std::atomic<int> g_winch_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_winch(int) {
    const int saved = errno;
    const int fd = g_winch_fd.load();
    if (fd >= 0) {
        const char c = 'w';
        (void)!::write(fd, &c, 1);
    }
    errno = saved;
}

std::string money(double usd) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "$%.4f", usd);
    return buf;
}

/// "[#####-----]", `width` columns between the brackets.
std::string progress_bar(double fraction, std::size_t width) {
    width = std::max<std::size_t>(width, 1);
    const auto filled = static_cast<std::size_t>(std::clamp(
        std::lround(fraction * static_cast<double>(width)), 0L, static_cast<long>(width)));
    return "[" + std::string(filled, '#') + std::string(width - filled, '-') + "]";
}

/// " [####----] " and `parts`: the bar takes what the parts leave, up to 30 columns; parts go
/// (least kept first) while the bar would be narrower than 10.
std::string summary_line(double fraction, std::vector<Part> parts, std::size_t width) {
    constexpr std::size_t k_full = 30, k_least = 10;
    while (true) {
        std::string rest;
        for (const auto& p : parts) {
            rest += p.text;
        }
        const std::size_t used = display_width(rest) + 3;  // " [" and "]"
        if (used + k_least <= width || parts.size() <= 1) {
            const std::size_t room = width > used ? width - used : 1;
            return fit_width(" " + progress_bar(fraction, std::min(k_full, room)) + rest, width);
        }
        const auto least =
            std::min_element(parts.begin(), parts.end(),
                             [](const Part& a, const Part& b) { return a.keep < b.keep; });
        parts.erase(least);
    }
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
    if (m_summary_follows && event.type == EventType::log && event.data.is_object() &&
        event.data.value("publish", false)) {
        return;
    }
    const std::string line = describe(event);
    std::lock_guard lock(m_mutex);
    // On a terminal, a line is broken where the terminal would otherwise wrap it mid-word.
    const int columns = terminal_columns(::fileno(m_out));
    if (columns > 0) {
        for (const auto& part : wrap_width(line, static_cast<std::size_t>(columns - 1))) {
            std::fprintf(m_out, "%s\n", part.c_str());
        }
    } else {
        std::fprintf(m_out, "%s\n", line.c_str());
    }
    std::fflush(m_out);
}

void NdjsonReporter::on_event(const Event& event) {
    const std::string line = core::pipeline::to_json(event).dump();
    std::lock_guard lock(m_mutex);
    std::fprintf(m_out, "%s\n", line.c_str());
    std::fflush(m_out);
}

LiveBlock::LiveBlock(std::FILE* out, bool color)
    : m_start(std::chrono::steady_clock::now()), m_out(out), m_color(color) {
    if (::pipe2(m_wake, O_CLOEXEC | O_NONBLOCK) == 0) {
        g_winch_fd = m_wake[1];
        struct sigaction sa {};
        sa.sa_handler = on_winch;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGWINCH, &sa, &m_old_winch);
    }
}

LiveBlock::~LiveBlock() {
    if (m_wake[0] >= 0) {
        ::sigaction(SIGWINCH, &m_old_winch, nullptr);
        g_winch_fd = -1;
        ::close(m_wake[0]);
        ::close(m_wake[1]);
    }
}

void LiveBlock::start_ticker() {
    m_ticker = std::thread([this] {
        while (true) {
            {
                std::lock_guard lock(m_mutex);
                if (m_stop) {
                    return;
                }
                draw_locked();
            }
            // Until the next frame, a resize (SIGWINCH) or finish().
            pollfd wake{m_wake[0], POLLIN, 0};
            if (::poll(&wake, 1, 200) > 0) {
                char drain[64];
                while (::read(m_wake[0], drain, sizeof drain) > 0) {
                }
            }
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
    if (m_wake[1] >= 0) {
        const char c = 'f';
        (void)!::write(m_wake[1], &c, 1);
    }
    if (m_ticker.joinable()) {
        m_ticker.join();
    }
}

void LiveBlock::note(const std::string& text) {
    std::lock_guard lock(m_mutex);
    message_locked(text);
    draw_locked();
}

std::string LiveBlock::paint(const char* colour, const std::string& text) const {
    return m_color && *colour ? colour + text + "\x1b[0m" : text;
}

int LiveBlock::columns() const {
    const int columns = terminal_columns(::fileno(m_out));
    return columns > 0 ? columns : 80;
}

void LiveBlock::draw_locked() {
    const auto now = std::chrono::steady_clock::now();
    const int columns = this->columns();
    // One column is left free: some terminals wrap as soon as the last column is written.
    const auto width = static_cast<std::size_t>(std::max(columns - 1, 10));
    std::string out;
    if (!m_drawn.empty()) {
        // Back to the block's first line. After a resize a terminal that reflows its lines may
        // have broken the block's lines in several; count the rows each takes now.
        std::size_t rows = m_drawn.size();
        if (columns != m_width) {
            rows = 0;
            for (const std::size_t w : m_drawn) {
                rows += std::max<std::size_t>(1, (w + static_cast<std::size_t>(columns) - 1) /
                                                     static_cast<std::size_t>(columns));
            }
        }
        out += "\x1b[" + std::to_string(rows) + "F";
        if (columns != m_width) {
            out += "\x1b[J";  // whatever the resize left below
        }
    }
    for (const auto& m : m_messages) {
        for (const auto& part : wrap_width(m.text, width)) {
            out += "\x1b[2K" + paint(m.colour, part) + "\n";
        }
    }
    m_messages.clear();
    ++m_frame;
    const auto lines = lines_locked(now, static_cast<int>(width));
    const std::size_t before = m_drawn.size();
    m_drawn.clear();
    for (const auto& line : lines) {
        const std::string text = fit_width(line.text, width);
        m_drawn.push_back(display_width(text));
        out += "\x1b[2K" + paint(line.colour, text) + "\n";
    }
    if (lines.size() < before) {
        out += "\x1b[J";  // lines left over from a taller block
    }
    m_width = columns;
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
                message_locked(describe(event), "\x1b[33m");
            }
            break;
        default:
            break;
    }
    draw_locked();
}

std::vector<LiveBlock::Line> TtyProgress::lines_locked(core::SteadyTime now, int width) {
    static const char* spinner[] = {"|", "/", "-", "\\"};
    const auto columns = static_cast<std::size_t>(width);
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
    // The step's name keeps at least half the line.
    const std::size_t id_width = std::min<std::size_t>(18, std::max<std::size_t>(columns / 2, 8));
    std::vector<Line> lines;
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
        // Narrow terminals keep the step, its state and time; then tokens, cost, retries and
        // what it is doing, as they fit.
        std::vector<Part> parts = {
            {" " + mark + " " + pad(r.id, id_width), 9},
            {" " + pad(r.state, 8), 8},
            {" " + pad_left(r.state == "pending" ? "" : format_elapsed(elapsed), 7), 7},
            {" " + pad_left(std::to_string(r.tokens), 8) + " tok", 4},
            {" " + pad_left(money(r.cost), 9), 3},
        };
        if (r.retries) {
            parts.push_back({" " + std::to_string(r.retries) + " retries", 5});
        }
        std::string line = fit_parts(parts, columns);
        // What the step is doing is cut rather than dropped once the columns before it fit.
        if (!r.detail.empty() && display_width(line) + 8 <= columns) {
            line = fit_width(line + "  " + r.detail, columns);
        }
        lines.push_back({line, colour});
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
    char percent[16];
    std::snprintf(percent, sizeof percent, " %3d%%", static_cast<int>(std::lround(fraction * 100)));
    lines.push_back({summary_line(fraction,
                                  {{percent, 9},
                                   {"  " + format_elapsed(elapsed) + " elapsed", 5},
                                   {"  ETA " + eta, 7},
                                   {"  " + std::to_string(tokens) + " tokens", 3},
                                   {"  " + money(cost), 2}},
                                  columns),
                     ""});
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
    message_locked(std::string(ok ? "\xE2\x9C\x93 " : "\xE2\x9C\x97 ") + line,
                   ok ? "\x1b[32m" : "\x1b[31m");
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

std::vector<LiveBlock::Line> BatchProgress::lines_locked(core::SteadyTime now, int width) {
    const auto columns = static_cast<std::size_t>(width);
    // The keyword gets what the step and its time leave, between 8 and 32 columns.
    const std::size_t keyword_width =
        std::clamp<std::size_t>(columns > 32 ? columns - 32 : 8, 8, 32);
    std::vector<Line> lines;
    for (const auto& [id, a] : m_active) {
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(now - a.started).count();
        std::vector<Part> parts = {
            {"   " + pad(a.keyword, keyword_width), 9},
            {" step " + std::to_string(a.index) + "/" + std::to_string(a.total), 7},
            {" " + pad(a.step, 12), 8},
            {" " + pad_left(format_elapsed(ms), 7), 6},
        };
        std::string line = fit_parts(parts, columns);
        if (!a.detail.empty() && display_width(line) + 8 <= columns) {
            line = fit_width(line + "  " + a.detail, columns);
        }
        lines.push_back({line, "\x1b[36m"});
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
    const std::string done = " " + std::to_string(m_done) + "/" + std::to_string(m_total) +
                             " done, " + std::to_string(m_failed) + " failed";
    lines.push_back({summary_line(fraction,
                                  {{done, 9},
                                   {", " + std::to_string(m_active.size()) + " running", 6},
                                   {"  " + format_elapsed(elapsed) + " elapsed", 4},
                                   {"  ETA " + eta, 5},
                                   {"  " + std::to_string(m_tokens) + " tokens", 3},
                                   {"  " + money(m_cost), 2}},
                                  columns),
                     ""});
    return lines;
}

}  // namespace sota::cli
