// sota as installed: `cmake --install` into a temporary prefix puts the programs, man pages,
// completions, the protocol document and the systemd user units in place; systemd-analyze accepts
// the units; sotad tells systemd when it is ready, reloading and stopping.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <regex>

#include "tests/integration/sotad_harness.hpp"

using namespace sota;
namespace fs = std::filesystem;

namespace {

/// A datagram socket bound at `path`, as systemd's $NOTIFY_SOCKET.
class NotifySocket {
  public:
    explicit NotifySocket(const fs::path& path) {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(m_fd >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        REQUIRE(path.string().size() < sizeof addr.sun_path);
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    ~NotifySocket() { ::close(m_fd); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    /// The next datagram ("" if none came within `seconds`).
    std::string receive(int seconds) {
        timeval tv{seconds, 0};
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[4096];
        const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    }

  private:
    int m_fd = -1;
};

/// The value of `Key=` in a unit file ("" if absent).
std::string unit_value(const std::string& unit, const std::string& key) {
    std::smatch m;
    const std::regex line("(^|\n)" + key + "=([^\n]*)");
    return std::regex_search(unit, m, line) ? m[2].str() : "";
}

}  // namespace

TEST_CASE(
    "cmake --install puts sota, sotad, their docs and the systemd units in place, and "
    "systemd-analyze verify accepts the units",
    "[install][integration]") {
    test::TempHome prefix;
    auto env = test::clean_env(prefix.str());
    auto installed =
        test::run_process({{SOTA_CMAKE, "--install", SOTA_BUILD_DIR, "--prefix", prefix.str()},
                           env,
                           "",
                           std::nullopt,
                           std::chrono::seconds(60)});
    INFO(installed.out << installed.err);
    REQUIRE(installed.exit_code == 0);
    const fs::path root = prefix.path();
    const fs::path units = root / "lib/systemd/user";
    for (const fs::path& file :
         {root / "bin/sota", root / "bin/sotad", root / "share/doc/sota/protocol.md",
          root / "share/man/man1/sotad.1", root / "share/man/man1/sota-refresh.1",
          root / "share/bash-completion/completions/sota", units / "sotad.service",
          units / "sota-refresh.service", units / "sota-refresh.timer"}) {
        INFO(file);
        CHECK(fs::exists(file));
    }
    CHECK(test::read_text(root / "share/doc/sota/protocol.md") ==
          test::read_text(fs::path(SOTA_SOURCE_DIR) / "docs/protocol.md"));

    // The units start the installed programs: sotad in the foreground, as Type=notify.
    const std::string sotad = test::read_text(units / "sotad.service");
    CHECK(unit_value(sotad, "Type") == "notify");
    CHECK(unit_value(sotad, "ExecStart") == (root / "bin/sotad").string() + " --foreground");
    const std::string refresh = test::read_text(units / "sota-refresh.service");
    CHECK(unit_value(refresh, "ExecStart").rfind((root / "bin/sota").string() + " refresh ", 0) ==
          0);
    CHECK(unit_value(test::read_text(units / "sota-refresh.timer"), "OnCalendar") != "");

    // systemd-analyze checks them as the user's systemd would read them: every setting known,
    // the programs there and executable, and the man pages they name found among those
    // installed (MANPATH). A warning counts as a failure.
    test::TempHome runtime;
    env["XDG_RUNTIME_DIR"] = runtime.str();
    env["MANPATH"] = (root / "share/man").string();
    auto verified = test::run_process(
        {{"/usr/bin/systemd-analyze", "verify", "--user", (units / "sotad.service").string(),
          (units / "sota-refresh.service").string(), (units / "sota-refresh.timer").string()},
         env,
         "",
         std::nullopt,
         std::chrono::seconds(60)});
    INFO(verified.out << verified.err);
    CHECK(verified.exit_code == 0);
    CHECK(verified.err.empty());
}

TEST_CASE("sotad tells systemd it is ready, reloading and stopping ($NOTIFY_SOCKET)",
          "[install][integration][daemon]") {
    test::TempHome home;
    auto env = test::clean_env(home.str());
    env["SOTA_HOME"] = home.str();
    const fs::path notify_path = home.path() / "notify.sock";
    NotifySocket notify(notify_path);
    env["NOTIFY_SOCKET"] = notify_path.string();
    test::Background daemon({SOTAD_BINARY, "--foreground", "--workers", "1"}, env,
                            home.path() / "sotad.out");

    const std::string ready = notify.receive(10);
    INFO(daemon.log());
    CHECK(ready.find("READY=1") != std::string::npos);
    CHECK(ready.find("MAINPID=" + std::to_string(daemon.pid())) != std::string::npos);
    // Ready means answering: a command works at once.
    auto status = test::run_sota(home, env, {"daemon", "status"});
    CHECK(status.exit_code == 0);

    ::kill(daemon.pid(), SIGHUP);
    CHECK(notify.receive(10) == "RELOADING=1");
    CHECK(notify.receive(10) == "READY=1");

    CHECK(daemon.stop(SIGTERM) == 0);
    CHECK(notify.receive(5).rfind("STOPPING=1", 0) == 0);
}

TEST_CASE("the README says where the cache lives, and that is where sota keeps it",
          "[docs][integration]") {
    const std::string readme = test::read_text(fs::path(SOTA_SOURCE_DIR) / "README.md");
    std::smatch m;
    REQUIRE(std::regex_search(readme, m,
                              std::regex("\n\\| cache[^|]*\\| `\\$XDG_STATE_HOME/([^`]+)`")));
    const std::string relative = m[1].str();  // under $XDG_STATE_HOME

    test::TempHome home;
    auto env = test::clean_env(home.str());
    env["XDG_STATE_HOME"] = (home.path() / "state").string();
    env["XDG_CONFIG_HOME"] = (home.path() / "config").string();
    env["XDG_CACHE_HOME"] = (home.path() / "cache").string();
    env["XDG_RUNTIME_DIR"] = (home.path() / "run").string();
    auto stats = test::run_sota(home, env, {"cache", "stats"});
    INFO(stats.out << stats.err);
    REQUIRE(stats.exit_code == 0);
    const fs::path file = home.path() / "state" / relative;
    CHECK(stats.out.find("(" + file.string() + ")") != std::string::npos);
    CHECK(fs::is_regular_file(file));
    // Nothing of sota's is kept where the README no longer says it is.
    CHECK_FALSE(fs::exists(home.path() / "cache" / "sota"));
}
