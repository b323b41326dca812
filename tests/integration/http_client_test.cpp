#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <optional>

#include "adapters/curl_http_client.hpp"
#include "core/version.hpp"
#include "tests/support/fake_http_server.hpp"

using namespace sota;
using sota::test::FakeConnection;
using sota::test::FakeHttpServer;
using sota::test::FakeRequest;
using namespace std::chrono_literals;

namespace {

/// A GET with short limits. `plain`: one that asks for no compression, as a model API's
/// requests do, so that to an IP address it goes over PlainHttp rather than libcurl.
core::HttpRequest get(const std::string& url, bool plain = false) {
    core::HttpRequest r;
    r.url = url;
    r.connect_timeout = 2s;
    r.total_timeout = 10s;
    r.accept_compressed = !plain;
    return r;
}

std::size_t thread_count() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("GET and POST carry headers and bodies both ways", "[http]") {
    FakeHttpServer server;
    server.route("GET", "/hello", [](const FakeRequest&, FakeConnection& c) {
        c.respond(200, "{\"hi\":1}", {{"X-Request-Id", "req-123"}});
    });
    server.route("POST", "/echo", [](const FakeRequest& r, FakeConnection& c) {
        c.respond(201, r.body, {{"X-Seen-Auth", r.header("authorization")}});
    });
    adapters::CurlHttpClient client;
    auto hello = client.perform(get(server.base_url() + "/hello"));
    REQUIRE(hello);
    CHECK(hello->status == 200);
    CHECK(hello->body == "{\"hi\":1}");
    CHECK(hello->header("x-request-id") == "req-123");
    CHECK(hello->header("Content-Type") == "application/json");
    CHECK(hello->http_version == "1.1");
    CHECK(server.requests().at(0).header("user-agent").rfind("sota/", 0) == 0);
    CHECK(server.requests().at(0).header("accept-encoding").find("gzip") != std::string::npos);

    auto post = get(server.base_url() + "/echo");
    post.method = "POST";
    post.body = R"({"q":"espresso"})";
    post.headers = {{"Authorization", "Bearer t0k3n"}, {"Content-Type", "application/json"}};
    post.accept_compressed = false;
    auto echoed = client.perform(post);
    REQUIRE(echoed);
    CHECK(echoed->status == 201);
    CHECK(echoed->body == R"({"q":"espresso"})");
    CHECK(echoed->header("x-seen-auth") == "Bearer t0k3n");
    CHECK(server.requests().at(1).header("accept-encoding").empty());
    CHECK(server.requests().at(1).header("user-agent") == "sota/" + std::string(core::k_version));

    // A request's own User-Agent takes the default's place: one header, not two.
    post.headers.emplace_back("user-agent", "sota-test/1");
    REQUIRE(client.perform(post));
    const FakeRequest third = server.requests().at(2);
    int agents = 0;
    for (const auto& [name, value] : third.headers) {
        agents += name == "user-agent" ? 1 : 0;
    }
    CHECK(agents == 1);
    CHECK(third.header("user-agent") == "sota-test/1");
}

TEST_CASE("reused handles carry nothing from one kind of request to the next", "[http]") {
    FakeHttpServer server;
    for (const char* method : {"GET", "POST", "HEAD", "PUT"}) {
        server.route(method, "/any", [](const FakeRequest& r, FakeConnection& c) {
            c.respond(200, r.method + " " + r.body);
        });
    }
    server.route("GET", "/moved", [&server](const FakeRequest&, FakeConnection& c) {
        c.respond(302, "", {{"Location", server.base_url() + "/any?to=1"}});
    });
    adapters::CurlHttpClient client;
    auto post = get(server.base_url() + "/any");
    post.method = "POST";
    post.body = "first";
    post.accept_compressed = false;
    auto put = post;
    put.method = "PUT";
    put.body = "third";
    auto head = get(server.base_url() + "/any?head=1");
    head.method = "HEAD";
    auto follow = get(server.base_url() + "/moved");
    follow.max_redirects = 3;
    auto capped = get(server.base_url() + "/any");
    capped.max_response_bytes = 3;
    // Twice round: the second time every handle comes back from a request of another kind or
    // of the same kind, and the URLs are ones seen before.
    for (int round = 0; round < 2; ++round) {
        const std::size_t before = server.requests().size();
        auto posted = client.perform(post);
        REQUIRE(posted);
        CHECK(posted->body == "POST first");
        auto plain = client.perform(get(server.base_url() + "/any"));
        REQUIRE(plain);
        CHECK(plain->body == "GET ");
        auto headed = client.perform(head);
        REQUIRE(headed);
        CHECK(headed->status == 200);
        CHECK(headed->body.empty());
        auto redirected = client.perform(follow);
        REQUIRE(redirected);
        CHECK(redirected->status == 200);
        CHECK(redirected->effective_url == server.base_url() + "/any?to=1");
        auto not_followed = client.perform(get(server.base_url() + "/moved"));
        REQUIRE(not_followed);
        CHECK(not_followed->status == 302);
        auto too_big = client.perform(capped);
        REQUIRE_FALSE(too_big);
        CHECK(too_big.error().code == "http.too_large");
        auto uncapped = client.perform(get(server.base_url() + "/any"));
        REQUIRE(uncapped);
        CHECK(uncapped->body == "GET ");
        auto putted = client.perform(put);
        REQUIRE(putted);
        CHECK(putted->body == "PUT third");
        const auto seen = server.requests();
        REQUIRE(seen.size() == before + 9);
        CHECK(seen[before].method == "POST");
        CHECK(seen[before].header("accept-encoding").empty());
        CHECK(seen[before + 1].method == "GET");
        CHECK(seen[before + 1].body.empty());
        CHECK(seen[before + 1].header("content-length").empty());
        CHECK(seen[before + 1].header("accept-encoding").find("gzip") != std::string::npos);
        CHECK(seen[before + 2].method == "HEAD");
        CHECK(seen[before + 2].query == "head=1");
        CHECK(seen[before + 8].method == "PUT");
    }
    // A URL libcurl cannot parse fails the same way whether seen before or not.
    for (int i = 0; i < 2; ++i) {
        auto bad = client.perform(get("http://exa mple.com:99999/"));
        REQUIRE_FALSE(bad);
        CHECK(bad.error().code == "http.bad_url");
    }
}

TEST_CASE("connections are reused across requests", "[http]") {
    // Both ways: through libcurl, and over PlainHttp's own connections.
    const bool plain = GENERATE(false, true);
    FakeHttpServer server;
    server.route("GET", "/", [](const FakeRequest&, FakeConnection& c) { c.respond(200, "ok"); });
    adapters::CurlHttpClient client;
    for (int i = 0; i < 5; ++i) {
        REQUIRE(client.perform(get(server.base_url() + "/x", plain))->status == 200);
    }
    CHECK(server.connections_accepted() == 1);
    CHECK((client.plain_requests() > 0) == plain);
}

TEST_CASE("connections are closed on exec so child processes do not inherit them", "[http]") {
    // Both ways: through libcurl, and over PlainHttp's own connections.
    const bool plain = GENERATE(false, true);
    FakeHttpServer server;
    server.route("GET", "/", [](const FakeRequest&, FakeConnection& c) { c.respond(200, "ok"); });
    adapters::CurlHttpClient client;
    REQUIRE(client.perform(get(server.base_url() + "/x", plain))->status == 200);
    // The kept-alive connection: the socket whose peer is the server.
    int found = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        const int fd = std::atoi(entry.path().filename().c_str());
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0 &&
            peer.sin_family == AF_INET && ntohs(peer.sin_port) == server.port()) {
            ++found;
            CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
        }
    }
    CHECK(found == 1);
    CHECK((client.plain_requests() > 0) == plain);
}

TEST_CASE("a kept-alive connection the server closes while idle is replaced", "[http]") {
    // Both ways: through libcurl, and over PlainHttp's own connections.
    const bool plain = GENERATE(false, true);
    FakeHttpServer server;
    // Keep-alive as far as the client can tell, then closed by the server once answered.
    server.route("GET", "/", [](const FakeRequest&, FakeConnection& c) {
        c.raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        c.close_after();
    });
    adapters::CurlHttpClient client;
    for (int i = 0; i < 3; ++i) {
        auto r = client.perform(get(server.base_url() + "/x", plain));
        REQUIRE(r);
        CHECK(r->body == "ok");
        std::this_thread::sleep_for(100ms);  // the close reaches the idle connection
    }
    CHECK(server.connections_accepted() == 3);
    CHECK(client.in_flight() == 0);
    CHECK((client.plain_requests() > 0) == plain);
}

TEST_CASE("500 requests in flight at once on one I/O thread", "[http]") {
    // Both ways: through libcurl, and over PlainHttp's own connections.
    const bool plain = GENERATE(false, true);
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = std::max<rlim_t>(lim.rlim_cur, std::min<rlim_t>(lim.rlim_max, 4096));
    ::setrlimit(RLIMIT_NOFILE, &lim);

    constexpr int k_requests = 500;
    FakeHttpServer server;
    std::mutex m;
    std::condition_variable cv;
    int waiting = 0;
    bool release = false;
    // Every handler holds its request open until all 500 have arrived.
    server.route("GET", "/slow", [&](const FakeRequest& r, FakeConnection& c) {
        std::unique_lock lock(m);
        ++waiting;
        cv.notify_all();
        cv.wait_for(lock, 20s, [&] { return release; });
        lock.unlock();
        c.respond(200, r.query);
    });
    const std::size_t threads_before = thread_count();
    adapters::CurlHttpClient client;
    CHECK(thread_count() == threads_before + 1);

    std::atomic<int> ok{0}, failed{0};
    std::promise<void> all_done;
    std::atomic<int> remaining{k_requests};
    for (int i = 0; i < k_requests; ++i) {
        client.send(get(server.base_url() + "/slow?i=" + std::to_string(i), plain),
                    [&, i](core::Expected<core::HttpResponse> r) {
                        (r && r->status == 200 && r->body == "i=" + std::to_string(i)) ? ++ok
                                                                                       : ++failed;
                        if (--remaining == 0) {
                            all_done.set_value();
                        }
                    });
    }
    {
        std::unique_lock lock(m);
        REQUIRE(cv.wait_for(lock, 30s, [&] { return waiting == k_requests; }));
        CHECK(client.in_flight() == static_cast<std::size_t>(k_requests));
        CHECK(server.connections_open() == static_cast<std::size_t>(k_requests));
        // One server thread per connection, plus the client's single I/O thread: no thread per
        // request.
        CHECK(thread_count() <= threads_before + 1 + k_requests + 1);
        release = true;
        cv.notify_all();
    }
    REQUIRE(all_done.get_future().wait_for(30s) == std::future_status::ready);
    CHECK(ok == k_requests);
    CHECK(failed == 0);
    CHECK((client.plain_requests() > 0) == plain);
}

TEST_CASE("timeouts: total, idle mid-stream, and refused connections fail fast and retryable",
          "[http]") {
    // Both ways: through libcurl, and over PlainHttp's own connections.
    const bool plain = GENERATE(false, true);
    FakeHttpServer server;
    server.route("GET", "/stall", [](const FakeRequest&, FakeConnection& c) {
        std::this_thread::sleep_for(1500ms);
        c.respond(200, "late");
    });
    server.route("GET", "/drip", [](const FakeRequest&, FakeConnection& c) {
        c.start_chunked(200, {});
        c.chunk("data: {\"a\":1}\n\n");
        std::this_thread::sleep_for(1500ms);
        c.end_chunks();
    });
    adapters::CurlHttpClient client;

    auto total = get(server.base_url() + "/stall", plain);
    total.total_timeout = 300ms;
    auto started = std::chrono::steady_clock::now();
    auto r1 = client.perform(total);
    REQUIRE_FALSE(r1);
    CHECK(r1.error().code == "http.timeout");
    CHECK(r1.error().retryable);
    CHECK(std::chrono::steady_clock::now() - started < 1200ms);

    auto idle = get(server.base_url() + "/drip", plain);
    idle.total_timeout = 0ms;
    idle.idle_timeout = 300ms;
    std::string streamed;
    idle.on_body = [&](std::string_view chunk) {
        streamed += chunk;
        return true;
    };
    auto r2 = client.perform(idle);
    REQUIRE_FALSE(r2);
    CHECK(r2.error().code == "http.idle_timeout");
    CHECK(r2.error().retryable);
    CHECK(streamed == "data: {\"a\":1}\n\n");

    auto refused = get("http://127.0.0.1:1/nothing", plain);
    auto r3 = client.perform(refused);
    REQUIRE_FALSE(r3);
    CHECK(r3.error().code == "http.connect");
    CHECK(r3.error().retryable);
    CHECK((client.plain_requests() > 0) == plain);
}

TEST_CASE("a reset or truncated body is a retryable transport error", "[http]") {
    // Both ways: through libcurl, and over PlainHttp's own connections.
    const bool plain = GENERATE(false, true);
    FakeHttpServer server;
    server.route("GET", "/reset", [](const FakeRequest&, FakeConnection& c) {
        c.raw("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"partial\":");
        std::this_thread::sleep_for(50ms);
        c.reset();
    });
    server.route("GET", "/truncated", [](const FakeRequest&, FakeConnection& c) {
        c.start_chunked(200, {});
        c.chunk("data: {\"x\":1}\n\n");
        c.close_after();  // closes without the final chunk
    });
    adapters::CurlHttpClient client;
    for (const auto* path : {"/reset", "/truncated"}) {
        auto r = client.perform(get(server.base_url() + path, plain));
        INFO(path);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == "http.reset");
        CHECK(r.error().retryable);
    }
    CHECK((client.plain_requests() > 0) == plain);
}

TEST_CASE("the response size cap holds with and without Content-Length", "[http]") {
    // Both ways: through libcurl, and over PlainHttp's own connections.
    const bool plain = GENERATE(false, true);
    FakeHttpServer server;
    server.route("GET", "/big", [](const FakeRequest&, FakeConnection& c) {
        c.respond(200, std::string(5000, 'x'));
    });
    server.route("GET", "/bigstream", [](const FakeRequest&, FakeConnection& c) {
        c.start_chunked(200, {}, "text/plain");
        for (int i = 0; i < 10; ++i) {
            c.chunk(std::string(1000, 'y'));
        }
        c.end_chunks();
    });
    adapters::CurlHttpClient client;
    for (const auto* path : {"/big", "/bigstream"}) {
        auto req = get(server.base_url() + path, plain);
        req.max_response_bytes = 2000;
        auto r = client.perform(req);
        INFO(path);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == "http.too_large");
        CHECK_FALSE(r.error().retryable);
    }
    CHECK((client.plain_requests() > 0) == plain);
}

TEST_CASE("compressed bodies are decoded, and redirects are returned unless asked for", "[http]") {
    FakeHttpServer server;
    server.route("GET", "/gz", [](const FakeRequest&, FakeConnection& c) {
        static const unsigned char k_gzip[] = {
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9,
            0xc9, 0x57, 0xc8, 0x40, 0x27, 0x01, 0xe3, 0x51, 0x3d, 0x8d, 0x17, 0x00, 0x00, 0x00};
        c.respond(200, std::string(reinterpret_cast<const char*>(k_gzip), sizeof k_gzip),
                  {{"Content-Encoding", "gzip"}}, "text/plain");
    });
    server.route("GET", "/moved", [&](const FakeRequest&, FakeConnection& c) {
        c.respond(302, "", {{"Location", server.base_url() + "/gz"}});
    });
    adapters::CurlHttpClient client;
    auto gz = client.perform(get(server.base_url() + "/gz"));
    REQUIRE(gz);
    CHECK(gz->body == "hello hello hello hello");

    auto moved = client.perform(get(server.base_url() + "/moved"));
    REQUIRE(moved);
    CHECK(moved->status == 302);
    auto follow = get(server.base_url() + "/moved");
    follow.max_redirects = 3;
    auto followed = client.perform(follow);
    REQUIRE(followed);
    CHECK(followed->status == 200);
    CHECK(followed->effective_url == server.base_url() + "/gz");
}

TEST_CASE("a streamed body arrives chunk by chunk, and cancel stops a request at once", "[http]") {
    // Both ways: through libcurl, and over PlainHttp's own connections.
    const bool plain = GENERATE(false, true);
    FakeHttpServer server;
    std::promise<void> first_seen;
    auto first_seen_future = first_seen.get_future().share();
    server.route("GET", "/stream", [&](const FakeRequest&, FakeConnection& c) {
        c.start_chunked(200, {});
        c.chunk("one\n");
        // The second chunk is only sent once the client has reported the first.
        first_seen_future.wait_for(5s);
        c.chunk("two\n");
        c.end_chunks();
    });
    server.route("GET", "/forever", [](const FakeRequest&, FakeConnection& c) {
        std::this_thread::sleep_for(3s);
        c.respond(200, "late");
    });
    adapters::CurlHttpClient client;
    auto req = get(server.base_url() + "/stream", plain);
    std::vector<std::string> chunks;
    req.on_body = [&](std::string_view chunk) {
        chunks.emplace_back(chunk);
        if (chunks.size() == 1) {
            first_seen.set_value();
        }
        return true;
    };
    auto r = client.perform(req);
    REQUIRE(r);
    CHECK(r->body.empty());
    REQUIRE(chunks.size() == 2);
    CHECK(chunks[0] == "one\n");

    auto slow = get(server.base_url() + "/forever", plain);
    const auto started = std::chrono::steady_clock::now();
    std::thread canceller([token = slow.cancel] {
        std::this_thread::sleep_for(100ms);
        token.cancel();
    });
    auto cancelled = client.perform(slow);
    canceller.join();
    REQUIRE_FALSE(cancelled);
    CHECK(cancelled.error().kind == core::ErrorKind::cancelled);
    CHECK(std::chrono::steady_clock::now() - started < 1s);
    CHECK((client.plain_requests() > 0) == plain);
}

namespace {

/// Sets environment variables for a scope (nullptr: unset), then puts them back.
class ScopedEnv {
  public:
    explicit ScopedEnv(std::vector<std::pair<std::string, const char*>> vars) {
        for (const auto& [name, value] : vars) {
            const char* old = std::getenv(name.c_str());
            m_saved.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
            value ? ::setenv(name.c_str(), value, 1) : ::unsetenv(name.c_str());
        }
    }
    ~ScopedEnv() {
        for (const auto& [name, old] : m_saved) {
            old ? ::setenv(name.c_str(), old->c_str(), 1) : ::unsetenv(name.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    std::vector<std::pair<std::string, std::optional<std::string>>> m_saved;
};

}  // namespace

TEST_CASE("requests go through the proxy from the environment, and the address guard looks past it",
          "[http]") {
    // A plain HTTP proxy gets the whole URL as the request target.
    FakeHttpServer proxy;
    proxy.route("GET", "http://", [](const FakeRequest& r, FakeConnection& c) {
        c.respond(200, "via proxy " + r.target);
    });
    FakeHttpServer direct;
    direct.route("GET", "/",
                 [](const FakeRequest&, FakeConnection& c) { c.respond(200, "direct"); });
    const std::string port = std::to_string(direct.port());
    ScopedEnv env({{"http_proxy", proxy.base_url().c_str()},
                   {"all_proxy", nullptr},
                   {"ALL_PROXY", nullptr},
                   {"NO_PROXY", nullptr},
                   {"no_proxy", "example.test, 192.168.0.0/16"}});
    adapters::CurlHttpClient::Options options;
    // A name that must not reach DNS: going direct, it lands on `direct`. (A connect-to rule
    // would make libcurl tunnel through the proxy, so proxied names get none.)
    options.connect_to = {"api.example.test:" + port + ":127.0.0.1:" + port};
    adapters::CurlHttpClient client(options);
    auto fetch = [&](const std::string& url, bool allow_private) {
        auto r = get(url);
        r.allow_private_addresses = allow_private;
        return client.perform(r);
    };

    // A public-looking host goes through the proxy, though the proxy itself is on loopback.
    auto proxied = fetch("http://other.test:" + port + "/v1/models", false);
    REQUIRE(proxied);
    CHECK(proxied->body == "via proxy http://other.test:" + port + "/v1/models");

    // NO_PROXY: a listed domain and its subdomains go direct; loopback always does.
    auto exempt = fetch("http://api.example.test:" + port + "/x", true);
    REQUIRE(exempt);
    CHECK(exempt->body == "direct");
    auto loopback = fetch(direct.base_url() + "/x", true);
    REQUIRE(loopback);
    CHECK(loopback->body == "direct");

    // The guard still refuses a private address named in the URL, and lets it through the
    // proxy when private addresses are allowed.
    const std::size_t before = proxy.count("http://10.1.2.3/private");
    auto refused = fetch("http://10.1.2.3/private", false);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == "http.blocked_address");
    CHECK(refused.error().message.find("10.1.2.3") != std::string::npos);
    auto local_name = fetch("http://metadata.localhost/x", false);
    REQUIRE_FALSE(local_name);
    CHECK(local_name.error().code == "http.blocked_address");
    CHECK(proxy.count("http://10.1.2.3/private") == before);
    auto allowed = fetch("http://10.1.2.3/private", true);
    REQUIRE(allowed);
    CHECK(allowed->body == "via proxy http://10.1.2.3/private");
    CHECK(client.in_flight() == 0);
}
