#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "adapters/curl_http_client.hpp"
#include "adapters/plain_http.hpp"
#include "core/version.hpp"
#include "tests/support/fake_http_server.hpp"

using namespace sota;
using sota::test::FakeConnection;
using sota::test::FakeHttpServer;
using sota::test::FakeRequest;
using namespace std::chrono_literals;

// CurlHttpClient sends plain-HTTP requests to an IP address that ask for no compression over
// PlainHttp's own connections. http_client_test.cpp runs its cases both ways; these are the
// parts of HTTP/1.1 only this path reads and writes itself.

namespace {

core::HttpRequest plain(const std::string& url) {
    core::HttpRequest r;
    r.url = url;
    r.connect_timeout = 2s;
    r.total_timeout = 10s;
    r.accept_compressed = false;
    return r;
}

}  // namespace

TEST_CASE("plain HTTP: the request on the wire, and every way an answer is framed", "[http]") {
    FakeHttpServer server;
    server.route("POST", "/echo", [](const FakeRequest& r, FakeConnection& c) {
        c.respond(201, r.body, {{"X-Echo", "  padded  "}});
    });
    server.route("GET", "/chunked", [](const FakeRequest&, FakeConnection& c) {
        c.raw(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "4;name=value\r\nWiki\r\n5\r\npedia\r\nA\r\n in chunks\r\n0\r\nX-Trailer: t\r\n\r\n");
    });
    server.route("GET", "/interim", [](const FakeRequest&, FakeConnection& c) {
        c.raw(
            "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final: yes\r\n\r\nok");
    });
    server.route("GET", "/empty", [](const FakeRequest&, FakeConnection& c) {
        c.raw("HTTP/1.1 204 No Content\r\nX-Empty: 1\r\n\r\n");
    });
    server.route("GET", "/bare-lines", [](const FakeRequest&, FakeConnection& c) {
        c.raw("HTTP/1.1 200 OK\nContent-Length: 3\nX-Bare: 1\n\nabc");
    });
    server.route("GET", "/dribble", [](const FakeRequest&, FakeConnection& c) {
        // The head split mid-line and mid-CRLF, the body split too.
        for (const char* piece :
             {"HTTP/1.1 2", "00 OK\r\nContent-Le", "ngth: 10\r", "\n\r\n", "01234", "56789"}) {
            c.raw(piece);
            std::this_thread::sleep_for(20ms);
        }
    });
    server.route("GET", "/bytewise", [](const FakeRequest&, FakeConnection& c) {
        // Every boundary of the parser's state: one byte per write.
        const std::string answer =
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-A: 1\r\n"
            "Transfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n"
            "0\r\nX-Trailer: t\r\n\r\n";
        for (const char byte : answer) {
            c.raw(std::string(1, byte));
            std::this_thread::sleep_for(1ms);
        }
    });
    server.route("GET", "/until-close", [](const FakeRequest&, FakeConnection& c) {
        c.raw("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it");
        c.close_after();
    });
    server.route("GET", "/one-oh", [](const FakeRequest&, FakeConnection& c) {
        c.raw("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nolder");  // the server stays open
    });
    server.route("GET", "/closing", [](const FakeRequest&, FakeConnection& c) {
        c.close_after();  // says "Connection: close"
        c.respond(200, "bye");
    });
    adapters::CurlHttpClient client;

    auto post = plain(server.base_url() + "/echo?q=a%20b&n=1#fragment");
    post.method = "POST";
    post.body = R"({"q":"espresso"})";
    post.headers = {
        {"Content-Type", "application/json"}, {"Authorization", "Bearer t0k3n"}, {"X-Dropped", ""}};
    auto echoed = client.perform(post);
    REQUIRE(echoed);
    CHECK(echoed->status == 201);
    CHECK(echoed->body == post.body);
    CHECK(echoed->header("x-echo") == "padded");
    CHECK(echoed->header("content-length") == "16");
    CHECK(echoed->http_version == "1.1");
    CHECK(echoed->effective_url == post.url);
    const FakeRequest seen = server.requests().at(0);
    CHECK(seen.method == "POST");
    CHECK(seen.target == "/echo?q=a%20b&n=1");
    CHECK(seen.header("host") == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(seen.header("user-agent") == "sota/" + std::string(core::k_version));
    CHECK(seen.header("accept") == "*/*");
    CHECK(seen.header("content-type") == "application/json");
    CHECK(seen.header("content-length") == "16");
    CHECK(seen.header("authorization") == "Bearer t0k3n");
    CHECK(seen.header("accept-encoding").empty());
    CHECK(seen.header("expect").empty());
    for (const auto& [name, value] : seen.headers) {
        CHECK(name != "x-dropped");  // as libcurl: an empty value removes the header
    }

    auto chunked = client.perform(plain(server.base_url() + "/chunked"));
    REQUIRE(chunked);
    CHECK(chunked->body == "Wikipedia in chunks");
    CHECK(chunked->header("transfer-encoding") == "chunked");

    auto interim = client.perform(plain(server.base_url() + "/interim"));
    REQUIRE(interim);
    CHECK(interim->status == 200);
    CHECK(interim->body == "ok");
    CHECK(interim->header("x-final") == "yes");
    CHECK_FALSE(interim->header("x-interim"));  // the interim answer's headers are not kept

    auto empty = client.perform(plain(server.base_url() + "/empty"));
    REQUIRE(empty);
    CHECK(empty->status == 204);
    CHECK(empty->body.empty());

    auto bare = client.perform(plain(server.base_url() + "/bare-lines"));
    REQUIRE(bare);
    CHECK(bare->body == "abc");
    CHECK(bare->header("x-bare") == "1");

    auto dribbled = client.perform(plain(server.base_url() + "/dribble"));
    REQUIRE(dribbled);
    CHECK(dribbled->body == "0123456789");
    CHECK(dribbled->first_byte <= dribbled->total);

    auto bytewise = client.perform(plain(server.base_url() + "/bytewise"));
    REQUIRE(bytewise);
    CHECK(bytewise->status == 200);
    CHECK(bytewise->body == "abc0123456789abcdef");
    CHECK(bytewise->header("x-a") == "1");

    // Everything so far on one kept-alive connection.
    CHECK(server.connections_accepted() == 1);

    auto whole = client.perform(plain(server.base_url() + "/until-close"));
    REQUIRE(whole);
    CHECK(whole->body == "all of it");
    CHECK(whole->header("content-type") == "text/plain");
    // An HTTP/1.0 answer, even with a length, and one that says "Connection: close" end their
    // connections: each request after them needs a new one.
    auto older = client.perform(plain(server.base_url() + "/one-oh"));
    REQUIRE(older);
    CHECK(older->body == "older");
    auto closing = client.perform(plain(server.base_url() + "/closing"));
    REQUIRE(closing);
    CHECK(closing->body == "bye");
    REQUIRE(client.perform(plain(server.base_url() + "/empty")));
    CHECK(server.connections_accepted() == 4);
    CHECK(client.plain_requests() == 11);
    CHECK(client.in_flight() == 0);
}

TEST_CASE("plain HTTP: what a server gets wrong fails with the libcurl path's codes", "[http]") {
    FakeHttpServer server;
    server.route("GET", "/not-http", [](const FakeRequest&, FakeConnection& c) {
        c.raw("SSH-2.0-OpenSSH_9.2\r\n\r\n");
        c.close_after();
    });
    server.route("GET", "/bad-chunk", [](const FakeRequest&, FakeConnection& c) {
        c.raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    });
    server.route("GET", "/bad-length", [](const FakeRequest&, FakeConnection& c) {
        c.raw("HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n");
    });
    server.route("GET", "/gzip-framed", [](const FakeRequest&, FakeConnection& c) {
        c.raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
    });
    server.route("GET", "/huge", [](const FakeRequest&, FakeConnection& c) {
        c.raw("HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\nxxxx");
    });
    server.route("GET", "/silent", [](const FakeRequest&, FakeConnection& c) { c.close_after(); });
    server.route("GET", "/big-head", [](const FakeRequest&, FakeConnection& c) {
        c.raw("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 2000; ++i) {
            c.raw("X-Filler-" + std::to_string(i) + ": " + std::string(100, 'f') + "\r\n");
        }
        c.raw("Content-Length: 0\r\n\r\n");
    });
    server.route("GET", "/ok", [](const FakeRequest&, FakeConnection& c) {
        c.respond(200, std::string(100, 'y'));
    });
    adapters::CurlHttpClient client;
    for (const auto* path :
         {"/not-http", "/bad-chunk", "/bad-length", "/gzip-framed", "/big-head"}) {
        INFO(path);
        auto r = client.perform(plain(server.base_url() + path));
        REQUIRE_FALSE(r);
        CHECK(r.error().code == "http.failed");
        CHECK_FALSE(r.error().retryable);
    }
    auto huge = plain(server.base_url() + "/huge");
    huge.max_response_bytes = 1000;
    auto too_large = client.perform(huge);
    REQUIRE_FALSE(too_large);
    CHECK(too_large.error().code == "http.too_large");

    // On a new connection, a server that closes without a word has broken off (retryable).
    auto silent = client.perform(plain(server.base_url() + "/silent"));
    REQUIRE_FALSE(silent);
    CHECK(silent.error().code == "http.reset");
    CHECK(silent.error().retryable);
    CHECK(server.count("/silent") == 1);

    // A reader that stops.
    auto stopped = plain(server.base_url() + "/ok");
    stopped.on_body = [](std::string_view) { return false; };
    auto aborted = client.perform(stopped);
    REQUIRE_FALSE(aborted);
    CHECK(aborted.error().code == "http.aborted");

    // The address guard: no connection is even made.
    const std::size_t before = server.connections_accepted();
    auto guarded = plain(server.base_url() + "/ok?key=secret");
    guarded.allow_private_addresses = false;
    auto blocked = client.perform(guarded);
    REQUIRE_FALSE(blocked);
    CHECK(blocked.error().code == "http.blocked_address");
    CHECK(blocked.error().message.find("secret") == std::string::npos);
    CHECK(server.connections_accepted() == before);
    CHECK(client.in_flight() == 0);
}

TEST_CASE("plain HTTP: a kept-alive connection that dies under the next request is replaced once",
          "[http]") {
    FakeHttpServer server;
    std::atomic<int> calls{0};
    // The first request is answered on a kept-alive connection; the second, on that same
    // connection, is read and dropped without a word, as a server that timed the idle
    // connection out just then would; the request goes again on a new connection.
    server.route("POST", "/flaky", [&](const FakeRequest& r, FakeConnection& c) {
        if (++calls == 2) {
            c.close_after();
            return;
        }
        c.respond(200, "got " + r.body);
    });
    adapters::CurlHttpClient client;
    auto post = plain(server.base_url() + "/flaky");
    post.method = "POST";
    post.body = "one";
    REQUIRE(client.perform(post)->body == "got one");
    post.body = "two";
    auto again = client.perform(post);
    REQUIRE(again);
    CHECK(again->body == "got two");
    CHECK(server.count("/flaky") == 3);
    CHECK(server.connections_accepted() == 2);
}

TEST_CASE("plain HTTP: a body larger than the socket's buffers goes out whole", "[http]") {
    FakeHttpServer server;
    server.route("POST", "/size", [](const FakeRequest& r, FakeConnection& c) {
        const bool intact = r.body.find_first_not_of('z') == std::string::npos;
        c.respond(200, std::to_string(r.body.size()) + (intact ? " intact" : " damaged"));
    });
    adapters::CurlHttpClient client;
    auto post = plain(server.base_url() + "/size");
    post.method = "POST";
    post.body = std::string(8 << 20, 'z');
    post.headers = {{"Content-Type", "text/plain"}};
    for (int i = 0; i < 2; ++i) {
        auto r = client.perform(post);
        REQUIRE(r);
        CHECK(r->body == std::to_string(8 << 20) + " intact");
    }
    CHECK(server.connections_accepted() == 1);
    CHECK(client.plain_requests() == 2);
}

TEST_CASE("only plain-HTTP requests to an IP address that ask for no compression go the plain way",
          "[http]") {
    using adapters::PlainHttp;
    auto target = PlainHttp::route(plain("http://[::1]:8080/v1/chat?x=1#top"));
    REQUIRE(target);
    CHECK(target->authority == "[::1]:8080");
    CHECK(target->path == "/v1/chat?x=1");
    CHECK(target->address.ss_family == AF_INET6);
    target = PlainHttp::route(plain("HTTP://10.1.2.3?q=1"));
    REQUIRE(target);
    CHECK(target->authority == "10.1.2.3");
    CHECK(target->path == "/?q=1");
    CHECK(target->key == "10.1.2.3 80");
    REQUIRE(PlainHttp::route(plain("http://127.0.0.1:11434")));
    CHECK(PlainHttp::route(plain("http://127.0.0.1:11434"))->path == "/");
    // localhost as libcurl resolves it, without DNS: 127.0.0.1, then ::1.
    target = PlainHttp::route(plain("http://LocalHost:11434/v1"));
    REQUIRE(target);
    CHECK(target->address.ss_family == AF_INET);
    CHECK(target->second.ss_family == AF_INET6);
    CHECK(target->authority == "LocalHost:11434");

    for (const char* url :
         {"https://127.0.0.1/", "http://localhost.example/", "http://api.example.com/",
          "http://user:pw@127.0.0.1/", "http://127.0.0.1:0/", "http://127.0.0.1:99999/",
          "http://127.0.0.1/a b", "http://127.0.0.1/caf\xc3\xa9", "http://[::1/",
          "ftp://127.0.0.1/"}) {
        INFO(url);
        CHECK_FALSE(PlainHttp::route(plain(url)));
    }
    auto compressed = plain("http://127.0.0.1/");
    compressed.accept_compressed = true;
    CHECK_FALSE(PlainHttp::route(compressed));
    auto head = plain("http://127.0.0.1/");
    head.method = "HEAD";
    CHECK_FALSE(PlainHttp::route(head));
    auto follows = plain("http://127.0.0.1/");
    follows.max_redirects = 2;
    CHECK_FALSE(PlainHttp::route(follows));
    for (const std::pair<std::string, std::string>& header :
         std::vector<std::pair<std::string, std::string>>{{"Host", "other"},
                                                          {"Content-Length", "5"},
                                                          {"Transfer-Encoding", "chunked"},
                                                          {"X-Evil", "a\r\nInjected: 1"},
                                                          {"Bad Name", "x"}}) {
        INFO(header.first);
        auto r = plain("http://127.0.0.1/");
        r.headers.push_back(header);
        CHECK_FALSE(PlainHttp::route(r));
    }

    // Options::plain_http = false: everything through libcurl.
    FakeHttpServer server;
    server.route("GET", "/", [](const FakeRequest&, FakeConnection& c) { c.respond(200, "ok"); });
    adapters::CurlHttpClient::Options options;
    options.plain_http = false;
    adapters::CurlHttpClient curl_only(options);
    REQUIRE(curl_only.perform(plain(server.base_url() + "/x")));
    CHECK(curl_only.plain_requests() == 0);
    adapters::CurlHttpClient client;
    REQUIRE(client.perform(plain(server.base_url() + "/x")));
    CHECK(client.plain_requests() == 1);
}

TEST_CASE("plain HTTP: localhost is 127.0.0.1, and ::1 when that refuses", "[http]") {
    FakeHttpServer server;  // on 127.0.0.1
    server.route("GET", "/", [](const FakeRequest&, FakeConnection& c) { c.respond(200, "v4"); });
    adapters::CurlHttpClient client;
    auto v4 = client.perform(plain("http://localhost:" + std::to_string(server.port()) + "/x"));
    REQUIRE(v4);
    CHECK(v4->body == "v4");
    CHECK(server.requests().at(0).header("host") == "localhost:" + std::to_string(server.port()));

    // A server on ::1 alone; 127.0.0.1 at the same port refuses.
    const int listener = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    const int one = 1;
    ::setsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 4) != 0) {
        ::close(listener);
        WARN("no IPv6 loopback here: the ::1 half is not exercised");
        return;
    }
    socklen_t size = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
    const int port = ntohs(address.sin6_port);
    std::thread answerer([listener] {
        pollfd p{listener, POLLIN, 0};
        if (::poll(&p, 1, 5000) != 1) {
            return;
        }
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        std::string request;
        char data[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = ::recv(fd, data, sizeof data, 0);
            if (n <= 0) {
                break;
            }
            request.append(data, static_cast<std::size_t>(n));
        }
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6";
        (void)!::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
        ::close(fd);
    });
    auto v6 = client.perform(plain("http://localhost:" + std::to_string(port) + "/x"));
    answerer.join();
    ::close(listener);
    REQUIRE(v6);
    CHECK(v6->body == "v6");
    CHECK(client.plain_requests() == 2);
}
