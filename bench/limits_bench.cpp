// Measures what idle and slow clients cost sotad: opens N connections that never finish a
// request (half send nothing, half send a byte of a request head every 100 ms, slowloris-style),
// then times health checks from another connection while they are held, and prints the
// health latency (median, 99th percentile, worst), sotad's threads and resident memory before
// and with the connections, and how many of them the daemon answered and closed.
//
//     build/bench/sota_limits_bench [--connections 1000] [--seconds 5] [--default-limits]
//
// By default the per-client limit and the header timeout are raised for the run, so that all
// N connections stay open for the whole measurement; --default-limits keeps sotad's defaults
// (daemon.max_connections_per_client refuses most of them at once, daemon.header_timeout
// closes the rest).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/daemon_client.hpp"
#include "tests/support/background.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_home.hpp"

using Clock = std::chrono::steady_clock;

namespace {

struct Usage {
    long threads = 0;
    long rss_kb = 0;
};

Usage usage_of(int pid) {
    Usage u;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            u.rss_kb = std::stol(line.substr(6));
        } else if (line.rfind("Threads:", 0) == 0) {
            u.threads = std::stol(line.substr(8));
        }
    }
    return u;
}

int arg(int argc, char** argv, const std::string& name, int fallback) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (argv[i] == name) {
            return std::atoi(argv[i + 1]);
        }
    }
    return fallback;
}

bool flag(int argc, char** argv, const std::string& name) {
    for (int i = 1; i < argc; ++i) {
        if (argv[i] == name) {
            return true;
        }
    }
    return false;
}

/// A connection as a client makes one: connect() waits (up to 2 s) while sotad's listen
/// queue is full, as it does for any program; then the socket is made non-blocking.
int connect_to(const std::filesystem::path& socket) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const timeval wait{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/// Whether the daemon has answered (or closed) a connection: something to read, or the end.
bool answered(int fd) {
    char c;
    const ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) {
        return -1;
    }
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
    const int connections = arg(argc, argv, "--connections", 1000);
    const int seconds = arg(argc, argv, "--seconds", 5);
    const bool default_limits = flag(argc, argv, "--default-limits");
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);

    sota::test::TempHome home;
    auto env = sota::test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    if (!default_limits) {
        env["SOTA_DAEMON_MAX_CONNECTIONS_PER_CLIENT"] = std::to_string(connections + 100);
        env["SOTA_DAEMON_HEADER_TIMEOUT"] = std::to_string(seconds + 30) + "s";
    }
    sota::test::Background daemon({SOTAD_BINARY, "--foreground"}, env, home.path() / "sotad.out");
    const auto socket = home.path() / "run" / "sotad.sock";
    sota::adapters::DaemonClient client(socket);
    auto health_ms = [&] {
        const auto start = Clock::now();
        const auto h = client.call("GET", "/v1/health", "", {}, std::chrono::seconds(10));
        if (!h || h->status != 200) {
            return -1.0;
        }
        return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    };
    for (int i = 0; i < 200 && health_ms() < 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::vector<double> quiet;
    for (int i = 0; i < 50; ++i) {
        quiet.push_back(health_ms());
    }
    const Usage before = usage_of(daemon.pid());

    std::vector<int> idle, slow;
    int failed = 0;
    for (int i = 0; i < connections; ++i) {
        const int fd = connect_to(socket);
        if (fd < 0) {
            ++failed;
        } else {
            (i % 2 ? slow : idle).push_back(fd);
        }
    }
    const std::string head = "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    std::vector<double> loaded;
    Usage with{};
    std::size_t sent = 0;
    const auto until = Clock::now() + std::chrono::seconds(seconds);
    auto next_byte = Clock::now();
    while (Clock::now() < until) {
        if (Clock::now() >= next_byte) {
            const char byte = sent < head.size() ? head[sent] : 'a';
            for (const int fd : slow) {
                (void)!::send(fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            }
            ++sent;
            next_byte += std::chrono::milliseconds(100);
        }
        loaded.push_back(health_ms());
        const Usage now = usage_of(daemon.pid());
        with.threads = std::max(with.threads, now.threads);
        with.rss_kb = std::max(with.rss_kb, now.rss_kb);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    int closed_by_daemon = 0;
    for (const auto* group : {&idle, &slow}) {
        for (const int fd : *group) {
            closed_by_daemon += answered(fd);
            ::close(fd);
        }
    }
    const long failures = std::count(loaded.begin(), loaded.end(), -1.0);
    loaded.erase(std::remove(loaded.begin(), loaded.end(), -1.0), loaded.end());

    std::printf("connections opened          %d (%zu idle, %zu slowloris; %d refused at connect)\n",
                connections - failed, idle.size(), slow.size(), failed);
    std::printf("limits                      %s\n",
                default_limits ? "sotad's defaults" : "per-client limit and header timeout raised");
    std::printf("answered and closed by sotad %d of them during the run\n", closed_by_daemon);
    std::printf("health, quiet               median %.2f ms, p99 %.2f ms\n", percentile(quiet, 0.5),
                percentile(quiet, 0.99));
    std::printf(
        "health, with connections    median %.2f ms, p99 %.2f ms, worst %.2f ms (%zu checks,"
        " %ld failed)\n",
        percentile(loaded, 0.5), percentile(loaded, 0.99), percentile(loaded, 1.0), loaded.size(),
        failures);
    std::printf("sotad threads               %ld before, %ld at most with the connections\n",
                before.threads, with.threads);
    std::printf("sotad RSS                   %.1f MiB before, %.1f MiB at most with them\n",
                static_cast<double>(before.rss_kb) / 1024.0,
                static_cast<double>(with.rss_kb) / 1024.0);
    daemon.stop(SIGTERM);
    return 0;
}
