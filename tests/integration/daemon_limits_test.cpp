// What a hostile or broken client can do to the real sotad on its real socket: malformed and
// oversized requests, deep JSON, text that is not UTF-8, wrong JSON types, idle and
// byte-at-a-time connections, many followers. Every answer is JSON with a stable code, and
// the daemon stays up and quick.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/daemon_client.hpp"
#include "tests/integration/sotad_harness.hpp"

using namespace sota;
using nlohmann::json;
using test::k_keyword;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

int connect_to(const fs::path& socket) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/// Everything the server sends until it closes (at most 10 s).
std::string read_all(int fd) {
    std::string answer;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        answer.append(buf, static_cast<std::size_t>(n));
    }
    return answer;
}

std::string talk(const fs::path& socket, const std::string& bytes) {
    const int fd = connect_to(socket);
    (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::string answer = read_all(fd);
    ::close(fd);
    return answer;
}

/// An answer's status, content type and JSON body.
struct Answer {
    int status = 0;
    std::string type;
    json body;
};

Answer parse_answer(const std::string& raw) {
    Answer a;
    if (raw.rfind("HTTP/1.1 ", 0) == 0) {
        a.status = std::atoi(raw.c_str() + 9);
    }
    const auto head_end = raw.find("\r\n\r\n");
    const std::string head = raw.substr(0, head_end);
    const auto type = head.find("Content-Type: ");
    if (type != std::string::npos) {
        a.type = head.substr(type + 14, head.find("\r\n", type) - type - 14);
    }
    a.body = head_end == std::string::npos ? json()
                                           : json::parse(raw.substr(head_end + 4), nullptr, false);
    return a;
}

std::string post(const std::string& path, const std::string& body) {
    return "POST " + path +
           " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
           body;
}

std::string get(const std::string& target) {
    return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

std::string nested(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

/// Threads of a process, from /proc.
long threads_of(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Threads:", 0) == 0) {
            return std::stol(line.substr(8));
        }
    }
    return -1;
}

/// How long a health check takes, in milliseconds (-1: no 200).
double health_ms(const fs::path& socket) {
    const auto start = Clock::now();
    adapters::DaemonClient client(socket);
    const auto health = client.call("GET", "/v1/health", "", {}, std::chrono::seconds(5));
    if (!health || health->status != 200) {
        return -1;
    }
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/// Asks for health until the answer has `status` (up to 5 s); the last answer.
Answer answer_within(const fs::path& socket, int status) {
    Answer a;
    for (int i = 0; i < 50; ++i) {
        a = parse_answer(talk(socket, get("/v1/health")));
        if (a.status == status) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return a;
}

}  // namespace

TEST_CASE("every refusal, libmicrohttpd's kinds included, is JSON with a stable code",
          "[daemon][integration][limits]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    auto daemon = start_daemon(home, env);
    const auto socket = socket_of(home);

    struct Case {
        std::string what;
        std::string bytes;
        int status;
        std::string code;
        std::string says;  // a part of the message: the field or the fault it names
    };
    const std::string job = R"({"keyword":"best espresso grinder")";
    const std::vector<Case> cases = {
        {"not HTTP", "THIS IS NOT HTTP\r\n\r\n", 400, "request.malformed", "well-formed"},
        {"a bad header line", "GET /v1/health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400,
         "request.malformed", "Name: value"},
        {"HTTP/2.0", "GET /v1/health HTTP/2.0\r\nHost: x\r\n\r\n", 505, "request.http_version",
         "HTTP/2.0"},
        {"HTTP/1.1 without Host", "GET /v1/health HTTP/1.1\r\n\r\n", 400, "request.no_host",
         "Host"},
        {"a 9 KiB path", get("/v1/jobs/" + std::string(9000, 'a')), 414, "request.uri_too_long",
         "at most 8192"},
        {"20 KiB of headers",
         "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n",
         431, "request.headers_too_large", "16384"},
        {"a 2 MiB body announced",
         "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n{}", 413,
         "request.too_large", "1048576"},
        {"a Content-Length past 64 bits",
         "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
         413, "request.too_large", "limited"},
        {"a Content-Length that is not a number",
         "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n", 400,
         "request.malformed", "Content-Length"},
        {"a chunked body",
         "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0"
         "\r\n\r\n",
         411, "request.length_required", "Content-Length"},
        {"a path that is not UTF-8", get("/v1/jobs/job_%FF%FE"), 400, "request.invalid", "path"},
        {"a query value that is not UTF-8", get("/v1/jobs?keyword=%C3%28"), 400, "request.invalid",
         "keyword"},
        {"an Idempotency-Key that is not UTF-8",
         "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nIdempotency-Key: \xff\xfe\r\nContent-Length: " +
             std::to_string(job.size() + 1) + "\r\n\r\n" + job + "}",
         400, "request.invalid", "Idempotency-Key"},
        {"a body that is not UTF-8", post("/v1/jobs", job + R"(,"out":")" + "\xff\"}"), 400,
         "request.bad_json", "UTF-8"},
        {"JSON nested 20,000 deep",
         post("/v1/jobs", job + R"(,"fields":{"a":)" + nested(20000) + "}}"), 400,
         "request.too_deep", "128"},
        {"JSON nested 100,000 deep", post("/v1/batches", R"({"jobs":)" + nested(100000) + "}"), 400,
         "request.too_deep", "128"},
        // A 70-digit number is past simdjson: the fallback parser gets the text, and the limit.
        {"JSON nested 129 deep after a 70-digit number",
         post("/v1/jobs",
              job + R"(,"fields":{"n":)" + std::string(70, '9') + R"(,"a":)" + nested(127) + "}}"),
         400, "request.too_deep", "128"},
        {"batch_id a number", post("/v1/batches", R"({"batch_id":5,"jobs":[]})"), 400,
         "request.invalid", "batch_id"},
        {"priority 1.5", post("/v1/jobs", job + R"(,"priority":1.5})"), 400, "request.invalid",
         "priority"},
        {"priority true", post("/v1/jobs", job + R"(,"priority":true})"), 400, "request.invalid",
         "priority"},
        {"priority 2^63", post("/v1/jobs", job + R"(,"priority":9223372036854775808})"), 400,
         "request.invalid", "priority"},
        {"post_id 2^64", post("/v1/jobs", job + R"(,"post_id":18446744073709551616})"), 400,
         "request.invalid", "post_id"},
        {"keyword a number", post("/v1/jobs", R"({"keyword":5})"), 400, "request.invalid",
         "keyword"},
        {"a 5,000-character workflow name",
         post("/v1/jobs", job + R"(,"workflow":")" + std::string(5000, 'w') + "\"}"), 400,
         "request.invalid", "workflow"},
        {"an output path with NUL", post("/v1/jobs", job + R"(,"out":"/tmp/a\u0000b"})"), 400,
         "request.invalid", "out"},
        {"post_id without a WordPress site",
         post("/v1/jobs", job + R"(,"mode":"refresh","post_id":42})"), 400, "refresh.no_site",
         "wordpress.url"},
        {"a batch row's key a number",
         post("/v1/batches",
              R"({"jobs":[{"keyword":"best espresso grinder","idempotency_key":7}]})"),
         400, "batch.invalid", "invalid"},
        {"limit with trailing text", get("/v1/jobs?limit=5abc"), 400, "request.invalid", "limit"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const std::string raw = talk(socket, c.bytes);
        INFO(raw.substr(0, 600));
        const Answer a = parse_answer(raw);
        CHECK(a.status == c.status);
        CHECK(a.type == "application/json");
        REQUIRE(a.body.is_object());
        CHECK(a.body["error"]["code"] == c.code);
        CHECK(a.body["error"]["message"].get<std::string>().find(c.says) != std::string::npos);
    }
    // A nesting within the limit is taken, by either parser.
    const Answer fine = parse_answer(
        talk(socket, post("/v1/jobs", job + R"(,"fields":{"a":)" + nested(100) + "}}")));
    CHECK(fine.status == 202);
    const Answer fine_fallback = parse_answer(
        talk(socket, post("/v1/jobs", job + R"(,"fields":{"n":)" + std::string(70, '9') +
                                          R"(,"a":)" + nested(100) + "}}")));
    CHECK(fine_fallback.status == 202);

    CHECK(health_ms(socket) >= 0);
    CHECK_FALSE(daemon->exited());
}

TEST_CASE("idle and byte-at-a-time connections are timed out and hold no thread",
          "[daemon][integration][limits]") {
    test::DemoWorld world;
    test::TempHome home;
    auto env = world_env(home, world);
    env["SOTA_DAEMON_HEADER_TIMEOUT"] = "2s";
    auto daemon = start_daemon(home, env);
    const auto socket = socket_of(home);
    const long threads_before = threads_of(daemon->pid());

    // 100 clients that never send anything and 100 that send a byte every 100 ms.
    std::vector<int> idle, slow;
    for (int i = 0; i < 100; ++i) {
        idle.push_back(connect_to(socket));
        slow.push_back(connect_to(socket));
    }
    const std::string request = "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    std::size_t sent = 0;
    double slowest_health = 0;
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::milliseconds(1500)) {
        for (const int fd : slow) {
            (void)!::send(fd, request.data() + sent % request.size(), 1, MSG_NOSIGNAL);
        }
        ++sent;
        slowest_health = std::max(slowest_health, health_ms(socket));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    INFO("sotad threads before " << threads_before << ", with 200 connections open "
                                 << threads_of(daemon->pid()));
    CHECK(threads_of(daemon->pid()) <= threads_before + 2);
    CHECK(slowest_health >= 0);
    CHECK(slowest_health < 1000);  // a generous bound; bench/limits_bench measures it

    // Past daemon.header_timeout every one of them gets 408 and is closed, the slow ones
    // although they kept sending.
    std::thread keep_sending([&] {
        const auto until = Clock::now() + std::chrono::seconds(2);
        while (Clock::now() < until) {
            for (const int fd : slow) {
                (void)!::send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    int timed_out = 0;
    for (const auto* group : {&idle, &slow}) {
        for (const int fd : *group) {
            const Answer a = parse_answer(read_all(fd));
            timed_out += a.status == 408 && a.body.is_object() &&
                         a.body["error"]["code"] == "request.timeout";
            ::close(fd);
        }
    }
    keep_sending.join();
    CHECK(timed_out == 200);
    CHECK(health_ms(socket) >= 0);
}

TEST_CASE("connections are limited per client process and in total, with JSON refusals",
          "[daemon][integration][limits]") {
    test::DemoWorld world;
    test::TempHome home;
    auto env = world_env(home, world);
    env["SOTA_DAEMON_MAX_CONNECTIONS_PER_CLIENT"] = "20";
    auto daemon = start_daemon(home, env);
    const auto socket = socket_of(home);
    std::vector<int> held;
    for (int i = 0; i < 20; ++i) {
        held.push_back(connect_to(socket));
    }
    // Once sotad has taken them in (it may be slow to on a busy machine), a 21st is refused.
    const Answer refused = answer_within(socket, 429);
    CHECK(refused.status == 429);
    REQUIRE(refused.body.is_object());
    CHECK(refused.body["error"]["code"] == "daemon.too_many_connections");
    CHECK(refused.body["error"]["retryable"] == true);
    // Another process (sota) is another client: it gets in.
    CHECK(test::run_sota(home, env, {"daemon", "status"}).exit_code == 0);
    ::close(held.back());
    held.pop_back();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(parse_answer(talk(socket, get("/v1/health"))).status == 200);
    for (const int fd : held) {
        ::close(fd);
    }
    held.clear();
    daemon.reset();

    env.erase("SOTA_DAEMON_MAX_CONNECTIONS_PER_CLIENT");
    env["SOTA_DAEMON_MAX_CONNECTIONS"] = "16";
    daemon = start_daemon(home, env);
    for (int i = 0; i < 16; ++i) {
        held.push_back(connect_to(socket));
    }
    const Answer busy = answer_within(socket, 503);
    CHECK(busy.status == 503);
    REQUIRE(busy.body.is_object());
    CHECK(busy.body["error"]["code"] == "daemon.busy");
    for (const int fd : held) {
        ::close(fd);
    }
}

TEST_CASE("followers of a job's events hold no thread each", "[daemon][integration][limits]") {
    test::DemoWorld world;
    test::TempHome home;
    const auto env = world_env(home, world);
    world.section_delay_ms->store(1500);
    auto daemon = start_daemon(home, env);
    const auto socket = socket_of(home);
    auto submitted = test::run_sota(home, env, {"submit", "--keyword", k_keyword});
    REQUIRE(submitted.exit_code == 0);
    const std::string id = test::first_line(submitted.out);
    const long threads_before = threads_of(daemon->pid());

    std::vector<int> followers;
    for (int i = 0; i < 60; ++i) {
        const int fd = connect_to(socket);
        const std::string request = get("/v1/jobs/" + id + "/events?follow=1");
        REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(request.size()));
        followers.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    INFO("threads before " << threads_before << ", with 60 followers "
                           << threads_of(daemon->pid()));
    CHECK(threads_of(daemon->pid()) <= threads_before + 2);
    CHECK(health_ms(socket) >= 0);

    // Every follower sees the job to its end.
    REQUIRE(test::run_sota(home, env, {"cancel", id}).exit_code == 0);
    int ended = 0;
    for (const int fd : followers) {
        const std::string raw = read_all(fd);
        ended += raw.rfind("HTTP/1.1 200", 0) == 0 &&
                 raw.find("\"status_change\"") != std::string::npos &&
                 raw.find("cancelled") != std::string::npos;
        ::close(fd);
    }
    CHECK(ended == 60);
}
