#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace sota::test {
namespace {

void set_nonblocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

}  // namespace

std::map<std::string, std::string> clean_env(const std::string& home) {
    const char* path = std::getenv("PATH");
    return {{"PATH", path ? path : "/usr/bin:/bin"}, {"HOME", home}, {"LANG", "C.UTF-8"}};
}

ExecArgs::ExecArgs(const ProcessSpec& spec) {
    m_strings = spec.argv;
    for (const auto& [k, v] : spec.env) {
        m_strings.push_back(k + "=" + v);
    }
    for (std::size_t i = 0; i < m_strings.size(); ++i) {
        (i < spec.argv.size() ? m_argv : m_envp).push_back(m_strings[i].data());
    }
    m_argv.push_back(nullptr);
    m_envp.push_back(nullptr);
}

ProcessResult run_process(const ProcessSpec& spec) {
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
        ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    ExecArgs exec(spec);

    int master = -1;
    winsize size{};
    size.ws_row = 40;
    size.ws_col = 120;
    const pid_t pid = spec.pty ? ::forkpty(&master, nullptr, nullptr, &size) : ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        if (!spec.pty) {
            ::dup2(in_pipe[0], 0);
            ::dup2(out_pipe[1], 1);
            ::dup2(err_pipe[1], 2);
        }
        if (spec.cwd && ::chdir(spec.cwd->c_str()) != 0) {
            ::_exit(127);
        }
        ::execve(exec.argv()[0], exec.argv(), exec.envp());
        ::_exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (spec.pty) {
        // Everything the child writes arrives on the terminal's master side.
        ::close(out_pipe[0]);
        out_pipe[0] = master;
        ::close(err_pipe[0]);
        ::pipe2(err_pipe, O_CLOEXEC);
        ::close(err_pipe[1]);
    }
    std::thread during;
    if (spec.during) {
        during = std::thread([&spec, pid] { spec.during(static_cast<int>(pid)); });
    }
    set_nonblocking(in_pipe[1]);
    set_nonblocking(out_pipe[0]);
    set_nonblocking(err_pipe[0]);

    ProcessResult result;
    std::size_t written = 0;
    int in_fd = in_pipe[1];
    if (spec.stdin_data.empty()) {
        ::close(in_fd);
        in_fd = -1;
    }
    int out_fd = out_pipe[0], err_fd = err_pipe[0];
    const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
    while (out_fd >= 0 || err_fd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd fds[3];
        int n = 0;
        if (in_fd >= 0) {
            fds[n++] = {in_fd, POLLOUT, 0};
        }
        if (out_fd >= 0) {
            fds[n++] = {out_fd, POLLIN, 0};
        }
        if (err_fd >= 0) {
            fds[n++] = {err_fd, POLLIN, 0};
        }
        if (::poll(fds, static_cast<nfds_t>(n),
                   static_cast<int>(std::min<long>(left.count(), 1000))) < 0 &&
            errno != EINTR) {
            break;
        }
        for (int i = 0; i < n; ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            if (fds[i].fd == in_fd) {
                const ssize_t w = ::write(in_fd, spec.stdin_data.data() + written,
                                          spec.stdin_data.size() - written);
                if (w > 0) {
                    written += static_cast<std::size_t>(w);
                }
                if (w < 0 || written == spec.stdin_data.size()) {
                    ::close(in_fd);
                    in_fd = -1;
                }
                continue;
            }
            char buf[8192];
            const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
            std::string& sink = fds[i].fd == out_fd ? result.out : result.err;
            if (r > 0) {
                sink.append(buf, static_cast<std::size_t>(r));
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                int& which = fds[i].fd == out_fd ? out_fd : err_fd;
                ::close(which);
                which = -1;
            }
        }
    }
    for (int fd : {in_fd, out_fd, err_fd}) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (during.joinable()) {
        during.join();
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

}  // namespace sota::test
