#include "cli/commands/daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/daemon_client.hpp"
#include "adapters/environment.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/exit_codes.hpp"

namespace sota::cli {

using nlohmann::json;

namespace {

/// The daemon's pid if it answers on its socket.
std::optional<int> running_pid(Context& ctx) {
    adapters::DaemonClient client(ctx.paths().socket_file());
    auto health = client.call("GET", "/v1/health", "", {}, std::chrono::seconds(3));
    if (!health || health->status != 200) {
        return std::nullopt;
    }
    return json::parse(health->body, nullptr, false).value("pid", 0);
}

/// sotad beside this sota (installed, or the build tree's daemon/), else the one on PATH.
std::string sotad_path() {
    return adapters::sibling_program("sotad", "daemon");
}

int run_stop(Context& ctx) {
    const auto pid = running_pid(ctx);
    if (!pid || *pid <= 0) {
        std::fprintf(stderr, "sotad is not running\n");
        return 0;
    }
    ::kill(*pid, SIGTERM);
    for (int i = 0; i < 300; ++i) {  // 30 s for running jobs to stop at a checkpoint
        if (::kill(*pid, 0) != 0) {
            std::fprintf(stderr, "sotad (pid %d) stopped\n", *pid);
            return 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::fprintf(stderr, "sotad (pid %d) did not stop within 30 s\n", *pid);
    return core::to_int(core::ExitCode::job_failed);
}

int run_daemon_status(Context& ctx, bool as_json) {
    const auto pid = running_pid(ctx);
    const std::string socket = ctx.paths().socket_file().string();
    if (as_json) {
        json doc = {{"running", pid.has_value()}, {"socket", socket}};
        doc["pid"] = pid ? json(*pid) : json();
        std::printf("%s\n", doc.dump(2).c_str());
    }
    if (!pid) {
        print_error(adapters::daemon_unreachable(ctx.paths().socket_file(), "not answering"));
        return core::to_int(core::ExitCode::daemon_unreachable);
    }
    if (!as_json) {
        std::printf("sotad is running, pid %d, socket %s\n", *pid, socket.c_str());
    }
    return 0;
}

}  // namespace

core::Status start_daemon(Context& ctx, bool quiet) {
    if (const auto pid = running_pid(ctx)) {
        if (!quiet) {
            std::fprintf(stderr, "sotad is already running (pid %d)\n", *pid);
        }
        return {};
    }
    // sotad detaches by itself and exits once it answers (0) or failed to start; its error, if
    // any, goes to our stderr.
    const std::string program = sotad_path();
    const pid_t child = ::fork();
    if (child < 0) {
        return core::fail(core::ErrorKind::io, "daemon.start", "cannot fork to start sotad");
    }
    if (child == 0) {
        const int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::execlp(program.c_str(), program.c_str(), static_cast<char*>(nullptr));
        std::fprintf(stderr, "sota: cannot run %s: %s\n", program.c_str(), std::strerror(errno));
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const auto pid = code == 0 ? running_pid(ctx) : std::nullopt;
    if (!pid) {
        return core::fail(adapters::daemon_unreachable(
            ctx.paths().socket_file(), program + " did not start (exit " + std::to_string(code) +
                                           "); see the message above or " +
                                           ctx.paths().daemon_log_file().string()));
    }
    if (!quiet) {
        std::fprintf(stderr, "sotad started (pid %d), logging to %s\n", *pid,
                     ctx.paths().daemon_log_file().c_str());
    }
    return {};
}

void setup_daemon(CLI::App& parent, CommandTable& table) {
    auto* daemon = parent.add_subcommand("daemon", "Start, stop and check sotad");
    daemon->require_subcommand(1);
    auto* start = daemon->add_subcommand("start", "Start sotad in the background");
    table.add(start, [](Context* ctx) {
        auto ok = start_daemon(*ctx, false);
        if (!ok) {
            print_error(ok.error());
            return core::to_int(core::ExitCode::daemon_unreachable);
        }
        return 0;
    });
    auto* stop = daemon->add_subcommand("stop", "Stop sotad; running jobs go back to the queue");
    table.add(stop, [](Context* ctx) { return run_stop(*ctx); });
    auto* status = daemon->add_subcommand("status", "Whether sotad runs, and its pid");
    auto status_json = std::make_shared<bool>(false);
    status->add_flag("--json", *status_json, "Print one JSON document: running, pid, socket");
    table.add(status,
              [status_json](Context* ctx) { return run_daemon_status(*ctx, *status_json); });
    auto* restart = daemon->add_subcommand("restart", "Stop sotad, then start it");
    table.add(restart, [](Context* ctx) {
        if (const int stopped = run_stop(*ctx); stopped != 0) {
            return stopped;
        }
        auto ok = start_daemon(*ctx, false);
        if (!ok) {
            print_error(ok.error());
            return core::to_int(core::ExitCode::daemon_unreachable);
        }
        return 0;
    });
}

}  // namespace sota::cli
