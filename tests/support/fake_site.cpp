#include "tests/support/fake_site.hpp"

#include <string>

namespace sota::test {
namespace {

std::string article(int n) {
    std::string html = "<!doctype html><html><head><title>Espresso grinder guide " +
                       std::to_string(n) + "</title></head><body><h1>Best espresso grinder " +
                       std::to_string(n) + "</h1>";
    const char* sections[] = {"Burr types", "Grind size", "Retention", "Price"};
    for (int s = 0; s < 4; ++s) {
        html += "<h2>" + std::string(sections[s]) + "</h2><h3>Details " + std::to_string(s) +
                "</h3><p>";
        for (int w = 0; w < n * 25; ++w) {
            html += "word ";
        }
        html += "</p>";
    }
    return html + "</body></html>";
}

}  // namespace

void install_site(FakeHttpServer& server) {
    server.route("GET", "/robots.txt", [](const FakeRequest&, FakeConnection& c) {
        c.respond(200,
                  "# test site\nUser-agent: *\nDisallow: /private/\n\nUser-agent: sota\nDisallow: "
                  "/private/\n"
                  "Disallow: /blocked-for-sota\nAllow: /private/open$\n\nSitemap: /sitemap.xml\n",
                  {}, "text/plain");
    });
    server.route("GET", "/article/", [](const FakeRequest& r, FakeConnection& c) {
        const int n = std::max(1, std::atoi(r.path.substr(9).c_str()));
        c.respond(200, article(n), {}, "text/html; charset=utf-8");
    });
    server.route("HEAD", "/article/", [](const FakeRequest&, FakeConnection& c) {
        c.respond(200, "", {}, "text/html");
    });
    server.route("GET", "/latin1", [](const FakeRequest&, FakeConnection& c) {
        c.respond(200,
                  std::string("<html><body><p>Caf\xe9 cr\xe8me \xe0 la fa\xe7on</p></body></html>"),
                  {}, "text/html; charset=ISO-8859-1");
    });
    server.route("GET", "/meta-charset", [](const FakeRequest&, FakeConnection& c) {
        c.respond(200,
                  std::string("<html><head><meta "
                              "charset=\"windows-1252\"></head><body>\x93quoted\x94</body></html>"),
                  {}, "text/html");
    });
    server.route("GET", "/redirect", [](const FakeRequest&, FakeConnection& c) {
        c.respond(301, "", {{"Location", "/article/1"}});
    });
    server.route("GET", "/loop", [](const FakeRequest&, FakeConnection& c) {
        c.respond(302, "", {{"Location", "/loop"}});
    });
    server.route("GET", "/private/", [](const FakeRequest&, FakeConnection& c) {
        c.respond(200, "<p>secret</p>", {}, "text/html");
    });
    server.route("GET", "/blocked-for-sota", [](const FakeRequest&, FakeConnection& c) {
        c.respond(200, "<p>x</p>", {}, "text/html");
    });
    server.route("GET", "/doc.pdf", [](const FakeRequest&, FakeConnection& c) {
        c.respond(200, "%PDF-1.4", {}, "application/pdf");
    });
    server.route("GET", "/gone", [](const FakeRequest&, FakeConnection& c) {
        c.respond(410, "<p>gone</p>", {}, "text/html");
    });
    server.route("HEAD", "/gone", [](const FakeRequest&, FakeConnection& c) {
        c.respond(410, "", {}, "text/html");
    });
    server.route("GET", "/error", [](const FakeRequest&, FakeConnection& c) {
        c.respond(500, "<p>oops</p>", {}, "text/html");
    });
    server.route("HEAD", "/head-refused", [](const FakeRequest&, FakeConnection& c) {
        c.respond(405, "", {}, "text/html");
    });
    server.route("GET", "/head-refused", [](const FakeRequest&, FakeConnection& c) {
        c.respond(200, "<p>ok</p>", {}, "text/html");
    });
}

}  // namespace sota::test
