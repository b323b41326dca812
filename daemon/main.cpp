// sotad: the job daemon. Holds the per-user lock, serves the API on the Unix socket, and runs
// queued jobs until SIGTERM or SIGINT, which drain it.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "adapters/environment.hpp"
#include "adapters/job_runner.hpp"
#include "adapters/private_files.hpp"
#include "adapters/services.hpp"
#include "adapters/sqlite_store.hpp"
#include "cli/context.hpp"
#include "core/config_schema.hpp"
#include "core/exit_codes.hpp"
#include "core/pipeline/parking.hpp"
#include "core/version.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/schedules.hpp"
#include "daemon/server.hpp"
#include "daemon/service_notify.hpp"

namespace {

int exit_with(const sota::core::Error& error) {
    std::fprintf(stderr, "sotad: %s\n", error.message.c_str());
    return sota::core::to_int(sota::core::exit_code_for(error.kind));
}

/// Logs the job events a running job emits (the store keeps them; this is the daemon's log).
/// Failed steps and errors at info; finished steps only at debug: a line for every step of
/// every job made the daemon's log grow by the batch times eight (about 6 % of the daemon's CPU
/// with a fast model), and `sota logs JOBID` has every event anyway.
class LogReporter final : public sota::core::pipeline::Reporter {
  public:
    void on_event(const sota::core::pipeline::Event& e) override {
        if (wants(e.type)) {
            using sota::core::pipeline::EventType;
            spdlog::log(
                e.type == EventType::step_completed ? spdlog::level::debug : spdlog::level::info,
                "job {} {} {}", e.job_id, sota::core::pipeline::to_string(e.type), e.step);
        }
    }
    bool wants(sota::core::pipeline::EventType type) const override {
        using sota::core::pipeline::EventType;
        return (type == EventType::step_completed && spdlog::should_log(spdlog::level::debug)) ||
               type == EventType::step_failed || type == EventType::error;
    }
};

/// The keys a reload applies in place; any other change needs a restart.
const std::vector<std::string> k_live_keys = {"daemon.workers", "daemon.priority_share",
                                              "log.level", "schedule.missed"};

std::map<std::string, std::string> config_texts(const sota::core::Config& config) {
    std::map<std::string, std::string> texts;
    for (const auto& e : config.entries()) {
        texts[std::string(e.spec->name)] = config.text(e.spec->name);
    }
    return texts;
}

/// SIGHUP: reads the configuration files and environment again. Workers, the priority share,
/// the log level and schedule.missed change in place; other changed keys are named, with the
/// restart that applies them. A broken file changes nothing.
void reload(std::map<std::string, std::string>& applied, bool workers_from_flag,
            sota::daemon::Scheduler& scheduler, sota::daemon::ScheduleKeeper& schedules) {
    auto ctx = sota::cli::Context::load({}, sota::adapters::snapshot_environment());
    if (!ctx) {
        spdlog::error("SIGHUP: the configuration was not reloaded: {}", ctx.error().message);
        return;
    }
    const auto& config = ctx->config();
    const auto texts = config_texts(config);
    std::vector<std::string> later;
    for (const auto& [key, text] : texts) {
        const auto was = applied.find(key);
        if (was == applied.end() || was->second == text) {
            continue;
        }
        const bool live =
            std::find(k_live_keys.begin(), k_live_keys.end(), key) != k_live_keys.end();
        spdlog::info("SIGHUP: {} = {} (was {}){}", key, text, was->second,
                     live ? "" : "; applies after `sota daemon restart`");
        if (!live) {
            later.push_back(key);
        }
    }
    const int workers =
        workers_from_flag
            ? scheduler.workers()
            : static_cast<int>(config.get(sota::core::Key<std::int64_t>{"daemon.workers"}));
    const double share = config.get(sota::core::Key<double>{"daemon.priority_share"});
    scheduler.resize(workers, static_cast<int>(share * workers));
    spdlog::set_level(spdlog::level::from_str(config.get(sota::core::keys::log_level)));
    schedules.set_default_missed(sota::core::schedule::missed_from_string(
                                     config.get(sota::core::Key<std::string>{"schedule.missed"}))
                                     .value_or(sota::core::schedule::Missed::once));
    for (const auto& key : k_live_keys) {
        applied[key] = texts.at(key);
    }
    spdlog::info(
        "SIGHUP: configuration reloaded: {} worker(s){}", workers,
        later.empty() ? "" : "; " + std::to_string(later.size()) + " change(s) wait for a restart");
}

/// Without --foreground sotad detaches: the process started returns once the daemon answers
/// (exit 0) or failed to start (its exit code), and the daemon runs on with no terminal.
class Detacher {
  public:
    /// Forks twice; only the detached grandchild returns. The first process waits for it.
    void detach() {
        int fds[2];
        if (::pipe(fds) != 0) {
            return;  // run undetached rather than not at all
        }
        const pid_t child = ::fork();
        if (child < 0) {
            ::close(fds[0]);
            ::close(fds[1]);
            return;
        }
        if (child > 0) {
            ::close(fds[1]);
            ::waitpid(child, nullptr, 0);
            unsigned char code = 1;
            const bool told = ::read(fds[0], &code, 1) == 1;
            if (!told) {
                std::fprintf(stderr, "sotad: the daemon stopped while starting\n");
            }
            std::_Exit(code);
        }
        ::close(fds[0]);
        ::setsid();
        if (::fork() != 0) {
            std::_Exit(0);
        }
        m_fd = fds[1];
    }

    /// Tells the first process how the start went (once); on success the terminal is let go.
    void report(int code) {
        if (m_fd < 0) {
            return;
        }
        const auto byte = static_cast<unsigned char>(code);
        (void)!::write(m_fd, &byte, 1);
        ::close(m_fd);
        m_fd = -1;
        if (code == 0) {
            const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
            ::dup2(null, 0);
            ::dup2(null, 1);
            ::close(null);
        }
    }

  private:
    int m_fd = -1;
};

int serve(bool foreground, std::string socket_path, int workers, Detacher& detacher,
          const sota::daemon::ServiceNotifier& notifier);

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("sotad: the sota job daemon", "sotad");
    app.set_version_flag("--version", std::string("sotad ") + sota::core::k_version);
    bool foreground = false;
    std::string socket_path;
    int workers = 0;
    app.add_flag("--foreground", foreground,
                 "Stay attached and log to stderr (for service managers and terminals); without it "
                 "sotad detaches once it answers");
    app.add_option("--socket", socket_path, "Listen here instead of the runtime dir's sotad.sock");
    app.add_option("--workers", workers, "Jobs to run at once (default: daemon.workers)");
    CLI11_PARSE(app, argc, argv);
    const auto notifier = sota::daemon::ServiceNotifier::from_environment();
    Detacher detacher;
    if (!foreground) {
        detacher.detach();
    }
    const int code = serve(foreground, socket_path, workers, detacher, notifier);
    detacher.report(code);
    return code;
}

namespace {

/// Raises the soft limit on open files to the hard one: each connection is a descriptor, and
/// daemon.max_connections is meant to be reachable (the usual soft limit is 1024).
void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
            spdlog::warn("cannot raise the open-file limit: {}", std::strerror(errno));
        }
    }
}

int serve(bool foreground, std::string socket_path, int workers, Detacher& detacher,
          const sota::daemon::ServiceNotifier& notifier) {
    // Signals are taken by the main thread only; block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) {
        sigaddset(&signals, s);
    }
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto ctx = sota::cli::Context::load({}, sota::adapters::snapshot_environment());
    if (!ctx) {
        return exit_with(ctx.error());
    }
    const auto& paths = ctx->paths();
    if (auto ok = sota::adapters::ensure_private_dir(paths.runtime_dir); !ok) {
        return exit_with(ok.error());
    }
    if (auto ok = sota::adapters::ensure_private_dir(paths.state_dir); !ok) {
        return exit_with(ok.error());
    }
    // One daemon per user.
    const auto lock_file = paths.runtime_dir / "sotad.lock";
    const int lock = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || ::flock(lock, LOCK_EX | LOCK_NB) != 0) {
        std::fprintf(stderr, "sotad: another sotad is already running for this user (lock %s)\n",
                     lock_file.c_str());
        return sota::core::to_int(sota::core::ExitCode::job_failed);
    }
    if (::ftruncate(lock, 0) == 0) {
        const std::string pid = std::to_string(::getpid()) + "\n";
        (void)!::write(lock, pid.data(), pid.size());
    }
    auto services = ctx->services(true);
    if (!services) {
        return exit_with(services.error());
    }
    auto& store = (*services)->store();
    sota::adapters::JobRunner runner(**services, ctx->config(), paths);
    runner.set_parking(sota::core::pipeline::park_policy(ctx->config()));
    LogReporter log;
    const bool workers_from_flag = workers > 0;
    auto applied = config_texts(ctx->config());
    if (workers <= 0) {
        workers =
            static_cast<int>(ctx->config().get(sota::core::Key<std::int64_t>{"daemon.workers"}));
    }
    const double share = ctx->config().get(sota::core::Key<double>{"daemon.priority_share"});
    const int reserved = static_cast<int>(share * workers);
    sota::daemon::Scheduler scheduler(runner, store, workers, log, reserved);
    sota::daemon::ScheduleKeeper::Options schedule_options;
    schedule_options.sota_program = sota::adapters::sibling_program("sota", "cli");
    schedule_options.log_dir = paths.state_dir / "schedule-runs";
    schedule_options.missed =
        sota::core::schedule::missed_from_string(
            ctx->config().get(sota::core::Key<std::string>{"schedule.missed"}))
            .value_or(sota::core::schedule::Missed::once);
    sota::daemon::ScheduleKeeper schedules(store, schedule_options);
    sota::daemon::ApiServer server(runner, store, scheduler, &schedules);
    const std::filesystem::path socket =
        socket_path.empty() ? paths.socket_file() : std::filesystem::path(socket_path);
    raise_descriptor_limit();
    if (auto ok = server.start(socket, sota::daemon::server_limits(ctx->config())); !ok) {
        return exit_with(ok.error());
    }
    if (!foreground) {
        const auto log_file = paths.daemon_log_file();
        if (!std::freopen(log_file.c_str(), "a", stderr)) {
            return exit_with(
                {sota::core::ErrorKind::io, "daemon.log", "cannot open " + log_file.string()});
        }
    }
    scheduler.start();
    schedules.start();
    spdlog::info(
        "sotad {} listening on {} with {} worker(s) ({} kept for the priority queue), "
        "pid {}",
        sota::core::k_version, socket.string(), workers, reserved, ::getpid());
    detacher.report(0);
    notifier.notify("READY=1\nMAINPID=" + std::to_string(::getpid()) + "\nSTATUS=listening on " +
                    socket.string() + " with " + std::to_string(workers) + " worker(s)");

    // Between signals, every daemon.housekeeping: deferred posts, the cache, its counts.
    const auto every =
        ctx->config().get(sota::core::Key<sota::core::Millis>{"daemon.housekeeping"});
    timespec interval{static_cast<time_t>(every.count() / 1000),
                      static_cast<long>(every.count() % 1000) * 1'000'000L};
    while (true) {
        const int sig = sigtimedwait(&signals, nullptr, &interval);
        if (sig < 0) {
            try {
                runner.drain_publish_queue();
                (*services)->flush_cache_counts();
                if (const auto pruned = store.cache_prune(std::chrono::system_clock::now());
                    pruned > 0) {
                    spdlog::info("cache: {} expired entries pruned", pruned);
                }
            } catch (const std::exception& e) {
                spdlog::error("housekeeping: {}", e.what());
            }
            continue;
        }
        if (sig == SIGHUP) {
            notifier.notify("RELOADING=1");
            reload(applied, workers_from_flag, scheduler, schedules);
            notifier.notify("READY=1");
            continue;
        }
        break;
    }
    spdlog::info("draining: no new jobs; running jobs stop at a checkpoint and are requeued");
    notifier.notify("STOPPING=1\nSTATUS=draining: running jobs stop at a checkpoint");
    server.refuse_new_jobs();
    schedules.stop();
    scheduler.drain();
    server.stop();
    spdlog::info("sotad stopped");
    return 0;
}

}  // namespace
