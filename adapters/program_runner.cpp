#include "adapters/program_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/fiber.hpp"

extern char** environ;

namespace sota::adapters {

namespace {

constexpr std::size_t k_max_output = 16U << 20;

void close_fd(int& fd) {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

}  // namespace

core::Expected<core::pipeline::ProgramResult> PosixProgramRunner::run(
    const std::vector<std::string>& argv, const std::string& input, core::Millis timeout,
    core::CancelToken cancel) {
    auto result = core::run_blocking<core::Expected<core::pipeline::ProgramResult>>(
        [&] { return run_here(argv, input, timeout, cancel); });
    if (result && m_redactor) {
        m_redactor->mask_known(result->out);
        result->err = m_redactor->redact(result->err);
    }
    return result;
}

core::Expected<core::pipeline::ProgramResult> PosixProgramRunner::run_here(
    const std::vector<std::string>& argv, const std::string& input, core::Millis timeout,
    core::CancelToken cancel) {
    if (argv.empty()) {
        return core::fail(core::ErrorKind::usage, "program.start",
                          "a program step needs a command");
    }
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
        ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        return core::fail(core::ErrorKind::io, "program.start",
                          std::string("cannot make pipes: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Its own process group, so a kill reaches what it starts too.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    int fds[3] = {in_pipe[1], out_pipe[0], err_pipe[0]};
    if (rc != 0) {
        for (int& fd : fds) {
            close_fd(fd);
        }
        return core::fail(core::ErrorKind::usage, "program.start",
                          "cannot run '" + argv[0] + "': " + std::strerror(rc) +
                              "; check the step's command in the workflow file");
    }
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    core::pipeline::ProgramResult result;
    std::size_t written = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string stop;
    if (input.empty()) {
        close_fd(fds[0]);
    }
    while (fds[1] >= 0 || fds[2] >= 0) {
        if (cancel.cancelled()) {
            stop = "cancelled";
        } else if (std::chrono::steady_clock::now() >= deadline) {
            stop = "timeout";
        }
        if (!stop.empty()) {
            break;
        }
        pollfd pfds[3];
        int n = 0;
        int which[3];
        for (int i = 0; i < 3; ++i) {
            if (fds[i] >= 0) {
                pfds[n] = {fds[i], static_cast<short>(i == 0 ? POLLOUT : POLLIN), 0};
                which[n++] = i;
            }
        }
        if (::poll(pfds, static_cast<nfds_t>(n), 50) < 0 && errno != EINTR) {
            break;
        }
        for (int k = 0; k < n; ++k) {
            const int i = which[k];
            if (pfds[k].revents == 0) {
                continue;
            }
            if (i == 0) {
                const ssize_t w = ::write(fds[0], input.data() + written, input.size() - written);
                if (w > 0) {
                    written += static_cast<std::size_t>(w);
                }
                if (w < 0 && errno != EAGAIN) {
                    close_fd(fds[0]);  // the program does not read its input: fine
                } else if (written == input.size()) {
                    close_fd(fds[0]);
                }
                continue;
            }
            char buf[65536];
            const ssize_t r = ::read(fds[i], buf, sizeof buf);
            if (r <= 0) {
                close_fd(fds[i]);
                continue;
            }
            std::string& into = i == 1 ? result.out : result.err;
            if (into.size() < k_max_output) {
                into.append(buf, static_cast<std::size_t>(r));
            }
        }
    }
    for (int& fd : fds) {
        close_fd(fd);
    }
    int status = 0;
    if (!stop.empty()) {
        ::kill(-pid, SIGTERM);
        for (int i = 0; i < 20 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) {
            ::usleep(50'000);
        }
        if (::waitpid(pid, &status, WNOHANG) == 0) {
            ::kill(-pid, SIGKILL);
            ::waitpid(pid, &status, 0);
        }
        if (stop == "cancelled") {
            return core::fail(core::ErrorKind::cancelled, "program.cancelled",
                              "'" + argv[0] + "' was stopped");
        }
        return core::fail(core::ErrorKind::network, "program.timeout",
                          "'" + argv[0] + "' did not finish within " +
                              std::to_string(timeout.count() / 1000) +
                              " s; raise the step's timeout in the workflow file",
                          true);
    }
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

}  // namespace sota::adapters
