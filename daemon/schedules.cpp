#include "daemon/schedules.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string_view>
#include <thread>

#include "adapters/private_files.hpp"
#include "adapters/time_zone.hpp"
#include "core/pipeline/job.hpp"
#include "core/schedule/schedule.hpp"
#include "core/text.hpp"

extern char** environ;

namespace sota::daemon {

using core::schedule::Fire;
using core::schedule::Schedule;
using core::schedule::ScheduleRun;
using nlohmann::json;

namespace {

std::string new_schedule_id() {
    std::random_device random;
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(random()));
    return std::string("sch_") + hex;
}

int exit_code_of(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

/// The fields of /proc/PID/stat after the process name, the state first (so field 3 of
/// proc(5) is [0]); nullopt once the process is gone.
std::optional<std::vector<std::string>> stat_fields(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    // "pid (comm) state ppid ...": the name may hold spaces, so fields count from the last ')'.
    const auto paren = std::getline(file, stat) ? stat.rfind(')') : std::string::npos;
    if (paren == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream words(stat.substr(paren + 1));
    std::vector<std::string> fields;
    for (std::string word; words >> word;) {
        fields.push_back(word);
    }
    if (fields.empty() || fields[0].empty()) {
        return std::nullopt;
    }
    return fields;
}

/// Gone, or a zombie nobody has reaped yet.
bool has_ended(pid_t pid) {
    const auto fields = stat_fields(pid);
    return !fields || (*fields)[0][0] == 'Z';
}

/// When the process started, from its start time after boot (proc(5) field 22) and the boot
/// time; nullopt if either cannot be read.
std::optional<core::WallTime> start_time(const std::vector<std::string>& fields) try {
    if (fields.size() < 20) {
        return std::nullopt;
    }
    std::ifstream system_stat("/proc/stat");
    for (std::string line; std::getline(system_stat, line);) {
        if (line.rfind("btime ", 0) == 0) {
            const auto ticks = static_cast<double>(std::stoll(fields[19]));
            const auto since_boot = std::chrono::milliseconds(static_cast<std::int64_t>(
                ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK))));
            return core::WallTime(std::chrono::seconds(std::stoll(line.substr(6)))) + since_boot;
        }
    }
    return std::nullopt;
} catch (const std::exception&) {  // a number that does not parse: nothing is known
    return std::nullopt;
}

/// Whether the process of an interrupted run is still there: the pid leads its own process
/// group, runs the `sota` program, and started when the run did (a pid can be reused).
bool still_running(const ScheduleRun& run, const std::string& program) {
    if (run.pid <= 0) {
        return false;
    }
    const auto pid = static_cast<pid_t>(run.pid);
    if (::getpgid(pid) != pid) {
        return false;
    }
    std::error_code error;
    if (!std::filesystem::equivalent("/proc/" + std::to_string(pid) + "/exe", program, error)) {
        return false;
    }
    const auto fields = stat_fields(pid);
    if (!fields || (*fields)[0][0] == 'Z') {
        return false;
    }
    const auto started = start_time(*fields);
    return started && std::chrono::abs(*started - run.started_at) < std::chrono::seconds(10);
}

/// Ends a run's process group (SIGTERM, then SIGKILL after 5 s); true once it is gone.
bool stop_group(pid_t pid) {
    ::kill(-pid, SIGTERM);
    for (int i = 0; i < 100; ++i) {
        if (has_ended(pid)) {
            return true;
        }
        if (i == 50) {
            ::kill(-pid, SIGKILL);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

}  // namespace

ScheduleKeeper::ScheduleKeeper(adapters::SqliteStore& store, Options options)
    : m_store(store), m_options(std::move(options)) {}

ScheduleKeeper::~ScheduleKeeper() {
    stop();
}

void ScheduleKeeper::set_default_missed(core::schedule::Missed missed) {
    std::lock_guard lock(m_mutex);
    m_options.missed = missed;
}

void ScheduleKeeper::start() {
    (void)adapters::ensure_private_dir(m_options.log_dir);
    auto interrupted = m_store.interrupt_schedule_runs(std::chrono::system_clock::now());
    if (!interrupted.empty()) {
        spdlog::warn("{} schedule run(s) were going when sotad last stopped; marked interrupted",
                     interrupted.size());
    }
    m_thread = std::thread([this, interrupted = std::move(interrupted)] {
        // A sotad that was killed left its runs going: they are stopped before anything new
        // starts, so a schedule never has two runs at once.
        for (const auto& run : interrupted) {
            if (!still_running(run, m_options.sota_program)) {
                continue;
            }
            const bool gone = stop_group(static_cast<pid_t>(run.pid));
            spdlog::warn("schedule {}: run {} (pid {}) was still going after its sotad ended; {}",
                         run.schedule_id, run.id, run.pid,
                         gone ? "stopped it" : "it does not stop, even on SIGKILL");
        }
        loop();
    });
}

void ScheduleKeeper::stop() {
    {
        std::lock_guard lock(m_mutex);
        if (m_stop && !m_thread.joinable()) {
            return;
        }
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
    std::lock_guard lock(m_mutex);
    for (auto& [id, r] : m_running) {
        spdlog::info("schedule {}: stopping run {} (pid {})", id, r.id, r.pid);
        ::kill(static_cast<pid_t>(-r.pid), SIGTERM);
    }
    const auto deadline = std::chrono::steady_clock::now() + m_options.stop_grace;
    while (!m_running.empty()) {
        for (auto it = m_running.begin(); it != m_running.end();) {
            int status = 0;
            const bool late = std::chrono::steady_clock::now() > deadline;
            if (late) {
                ::kill(static_cast<pid_t>(-it->second.pid), SIGKILL);
            }
            if (::waitpid(static_cast<pid_t>(it->second.pid), &status, late ? 0 : WNOHANG) == 0) {
                ++it;
                continue;
            }
            auto& run = it->second;
            run.outcome = "interrupted";
            run.exit_code = exit_code_of(status);
            run.ended_at = std::chrono::system_clock::now();
            m_store.update_schedule_run(run);
            it = m_running.erase(it);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void ScheduleKeeper::loop() {
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        try {
            reap();
            tick(std::chrono::system_clock::now());
        } catch (const std::exception& e) {
            spdlog::error("schedules: {}", e.what());
        }
        m_wake.wait_for(lock, m_options.tick, [this] { return m_stop; });
    }
}

const core::schedule::TimeZone& ScheduleKeeper::zone(const std::string& name) {
    auto& slot = m_zones[name];
    if (!slot) {
        auto loaded = adapters::load_time_zone(name);
        slot = loaded ? std::move(*loaded) : std::make_unique<core::schedule::UtcZone>();
    }
    return *slot;
}

void ScheduleKeeper::tick(core::WallTime now) {
    for (auto schedule : m_store.schedules()) {
        if (schedule.paused || now < schedule.next_run_at) {
            continue;
        }
        auto cron = core::schedule::CronExpr::parse(schedule.cron);
        if (!cron) {  // only a hand-edited database gets here
            spdlog::error("schedule {}: {}; trying again tomorrow", schedule.id,
                          cron.error().message);
            schedule.next_run_at = now + std::chrono::hours(24);
            (void)m_store.update_schedule(schedule);
            continue;
        }
        const auto d = core::schedule::decide(schedule, *cron, zone(schedule.tz), now,
                                              m_running.count(schedule.id) > 0);
        schedule.next_run_at = d.next_run_at;
        if (auto ok = m_store.update_schedule(schedule); !ok) {
            spdlog::error("schedule {}: {}", schedule.id, ok.error().message);
            continue;
        }
        const std::string when = core::iso8601_utc(d.scheduled_for);
        if (d.fire == Fire::run) {
            if (auto run = launch(schedule, d.trigger, d.scheduled_for); !run) {
                spdlog::error("schedule {}: {}", schedule.id, run.error().message);
            }
            continue;
        }
        ScheduleRun skipped;
        skipped.schedule_id = schedule.id;
        skipped.trigger = d.trigger;
        skipped.scheduled_for = d.scheduled_for;
        skipped.started_at = now;
        skipped.ended_at = now;
        if (d.fire == Fire::skip_busy) {
            skipped.outcome = "skipped_busy";
            spdlog::warn(
                "schedule {}: the run due {} is skipped: the previous run (pid {}) is "
                "still going",
                schedule.id, when, m_running[schedule.id].pid);
        } else {
            skipped.outcome = "skipped_missed";
            spdlog::info(
                "schedule {}: the run due {} was missed while sotad was down; skipped "
                "(missed = skip)",
                schedule.id, when);
        }
        m_store.add_schedule_run(skipped);
    }
}

void ScheduleKeeper::reap() {
    for (auto it = m_running.begin(); it != m_running.end();) {
        int status = 0;
        const pid_t done = ::waitpid(static_cast<pid_t>(it->second.pid), &status, WNOHANG);
        if (done == 0) {
            ++it;
            continue;
        }
        auto& run = it->second;
        run.exit_code = done < 0 ? 1 : exit_code_of(status);
        run.outcome = run.exit_code == 0 ? "succeeded" : "failed";
        run.ended_at = std::chrono::system_clock::now();
        if (!run.batch_id.empty() && m_store.batch_jobs(run.batch_id).empty()) {
            run.batch_id.clear();  // it queued nothing
        }
        m_store.update_schedule_run(run);
        spdlog::info("schedule {}: run {} {} (exit {}); log {}", run.schedule_id, run.id,
                     run.outcome, run.exit_code, run.log);
        it = m_running.erase(it);
    }
}

core::Expected<ScheduleRun> ScheduleKeeper::launch(const Schedule& schedule,
                                                   const std::string& trigger,
                                                   core::WallTime scheduled_for) {
    ScheduleRun run;
    run.schedule_id = schedule.id;
    run.trigger = trigger;
    run.scheduled_for = scheduled_for;
    run.started_at = std::chrono::system_clock::now();
    run.outcome = "running";
    run.batch_id = core::pipeline::new_batch_id(run.started_at);
    run.id = m_store.add_schedule_run(run);
    run.log = (m_options.log_dir / (schedule.id + "-" + std::to_string(run.id) + ".log")).string();

    const int log = ::open(run.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log < 0) {
        run.outcome = "failed";
        run.exit_code = 1;
        run.ended_at = run.started_at;
        m_store.update_schedule_run(run);
        return core::fail(core::ErrorKind::io, "schedule.log", "cannot write " + run.log);
    }
    const std::string header = "# " + core::iso8601_utc(run.started_at) + " schedule " +
                               schedule.id + " run " + std::to_string(run.id) + " (" + trigger +
                               "): " + core::schedule::command_line(schedule.command) + "\n";
    (void)!::write(log, header.data(), header.size());

    std::vector<std::string> words = {m_options.sota_program};
    words.insert(words.end(), schedule.command.begin(), schedule.command.end());
    std::vector<char*> argv;
    for (auto& w : words) {
        argv.push_back(w.data());
    }
    argv.push_back(nullptr);

    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&files, log, 1);
    posix_spawn_file_actions_adddup2(&files, log, 2);
    if (!schedule.cwd.empty()) {  // relative paths in the command mean what they did when added
        posix_spawn_file_actions_addchdir_np(&files, schedule.cwd.c_str());
    }
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Its own process group, so stopping a run stops everything it started; and the signals
    // sotad blocks for its signal-waiting thread unblocked and at their defaults again.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) {
        sigaddset(&defaults, s);
    }
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    // sotad's environment, and the batch the run's jobs join.
    const std::string batch_variable = std::string(core::schedule::k_batch_id_variable) + "=";
    std::vector<std::string> env_words;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::string_view(*e).rfind(batch_variable, 0) != 0) {
            env_words.emplace_back(*e);
        }
    }
    env_words.push_back(batch_variable + run.batch_id);
    std::vector<char*> envp;
    for (auto& w : env_words) {
        envp.push_back(w.data());
    }
    envp.push_back(nullptr);
    const int failed = ::posix_spawn(&pid, argv[0], &files, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    ::close(log);
    if (failed != 0) {
        run.outcome = "failed";
        run.exit_code = 127;
        run.ended_at = std::chrono::system_clock::now();
        m_store.update_schedule_run(run);
        return core::fail(core::ErrorKind::io, "schedule.spawn",
                          "cannot start " + m_options.sota_program + ": " + std::strerror(failed));
    }
    run.pid = pid;
    m_store.update_schedule_run(run);
    m_running[schedule.id] = run;
    spdlog::info("schedule {}: run {} ({}) started, pid {}: {}", schedule.id, run.id, trigger, pid,
                 core::schedule::command_line(schedule.command));
    return run;
}

core::Expected<Schedule> ScheduleKeeper::find(const std::string& id_or_name) {
    auto schedule = m_store.find_schedule(id_or_name);
    if (!schedule) {
        return core::fail(core::ErrorKind::not_found, "schedule.not_found",
                          "no schedule " + id_or_name + " (see `sota schedule list`)");
    }
    return *schedule;
}

json ScheduleKeeper::view(const Schedule& schedule) {
    const auto last = m_store.schedule_runs(schedule.id, 1);
    return core::schedule::schedule_view(
        schedule, zone(schedule.tz),
        last.empty() ? std::nullopt : std::optional<ScheduleRun>(last.front()),
        m_running.count(schedule.id) > 0);
}

core::Expected<json> ScheduleKeeper::add(const json& body) {
    auto invalid = [](const std::string& message) {
        return core::fail(core::ErrorKind::usage, "request.invalid", message);
    };
    if (!body.is_object() || !body.contains("cron") || !body["cron"].is_string() ||
        !body.contains("command") || !body["command"].is_array()) {
        return invalid(
            "a schedule needs \"cron\" (a string) and \"command\" (the words after `sota`)");
    }
    Schedule s;
    s.id = new_schedule_id();
    s.cron = body["cron"].get<std::string>();
    for (const auto& word : body["command"]) {
        if (!word.is_string()) {
            return invalid("command: every word must be a string");
        }
        s.command.push_back(word.get<std::string>());
    }
    s.name = body.value("name", "");
    s.cwd = body.value("cwd", "");
    if (!s.cwd.empty() && (s.cwd.front() != '/' || !std::filesystem::is_directory(s.cwd))) {
        return invalid("cwd: an existing absolute directory, got '" + s.cwd + "'");
    }
    s.paused = body.value("paused", false);
    {
        std::lock_guard lock(m_mutex);
        s.missed = m_options.missed;
    }
    if (body.contains("missed")) {
        const auto missed = core::schedule::missed_from_string(body.value("missed", ""));
        if (!missed) {
            return invalid("missed: once or skip");
        }
        s.missed = *missed;
    }
    if (auto ok = core::schedule::check_schedule(s); !ok) {
        return core::fail(ok.error());
    }
    auto tz = adapters::load_time_zone(body.value("tz", ""));
    if (!tz) {
        return core::fail(tz.error());
    }
    s.tz = (*tz)->name();
    const auto cron = core::schedule::CronExpr::parse(s.cron);
    const auto now = std::chrono::system_clock::now();
    const auto next = cron->next(now, **tz);
    if (!next) {
        return invalid("cron: '" + s.cron + "' never runs in the next 10 years");
    }
    s.created_at = now;
    s.next_run_at = *next;
    std::lock_guard lock(m_mutex);
    m_zones.emplace(s.tz, std::move(*tz));
    if (auto ok = m_store.add_schedule(s); !ok) {
        return core::fail(ok.error());
    }
    spdlog::info("schedule {} added: {} {} in {}", s.id, s.cron,
                 core::schedule::command_line(s.command), s.tz);
    return view(s);
}

json ScheduleKeeper::list() {
    std::lock_guard lock(m_mutex);
    json out = json::array();
    for (const auto& s : m_store.schedules()) {
        out.push_back(view(s));
    }
    return {{"schedules", out}};
}

core::Expected<json> ScheduleKeeper::get(const std::string& id_or_name) {
    std::lock_guard lock(m_mutex);
    auto s = find(id_or_name);
    if (!s) {
        return core::fail(s.error());
    }
    json j = view(*s);
    j["runs"] = json::array();
    for (const auto& r : m_store.schedule_runs(s->id, 20)) {
        j["runs"].push_back(core::schedule::to_json(r));
    }
    return j;
}

core::Expected<json> ScheduleKeeper::remove(const std::string& id_or_name) {
    std::lock_guard lock(m_mutex);
    auto s = find(id_or_name);
    if (!s) {
        return core::fail(s.error());
    }
    json j = view(*s);
    m_store.remove_schedule(s->id);
    if (const auto it = m_running.find(s->id); it != m_running.end()) {
        spdlog::info("schedule {} removed; its run {} (pid {}) goes on to its end", s->id,
                     it->second.id, it->second.pid);
    } else {
        spdlog::info("schedule {} removed", s->id);
    }
    j["removed"] = true;
    return j;
}

core::Expected<json> ScheduleKeeper::set_paused(const std::string& id_or_name, bool paused) {
    std::lock_guard lock(m_mutex);
    auto s = find(id_or_name);
    if (!s) {
        return core::fail(s.error());
    }
    if (s->paused != paused) {
        s->paused = paused;
        if (!paused) {
            const auto cron = core::schedule::CronExpr::parse(s->cron);
            const auto now = std::chrono::system_clock::now();
            s->next_run_at = (cron ? cron->next(now, zone(s->tz)) : std::nullopt)
                                 .value_or(now + std::chrono::hours(24));
        }
        if (auto ok = m_store.update_schedule(*s); !ok) {
            return core::fail(ok.error());
        }
        spdlog::info("schedule {} {}", s->id, paused ? "paused" : "resumed");
    }
    return view(*s);
}

core::Expected<json> ScheduleKeeper::run_now(const std::string& id_or_name) {
    std::lock_guard lock(m_mutex);
    auto s = find(id_or_name);
    if (!s) {
        return core::fail(s.error());
    }
    reap();
    if (const auto it = m_running.find(s->id); it != m_running.end()) {
        return core::fail(core::ErrorKind::provider, "schedule.busy",
                          "schedule " + s->id + " is running (run " +
                              std::to_string(it->second.id) + ", pid " +
                              std::to_string(it->second.pid) + "); wait for it to end");
    }
    auto run = launch(*s, "manual", std::chrono::system_clock::now());
    if (!run) {
        return core::fail(run.error());
    }
    return core::schedule::to_json(*run);
}

}  // namespace sota::daemon
