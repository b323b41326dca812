#include "tests/support/fake_wordpress.hpp"

#include "core/text.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace sota::test {

using nlohmann::json;

namespace {

std::string b64(const std::string& in) {
    static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int val = 0, bits = -6;
    for (const unsigned char c : in) {
        val = (val << 8) + c;
        bits += 8;
        while (bits >= 0) {
            out.push_back(k[(val >> bits) & 0x3F]);
            bits -= 6;
        }
    }
    if (bits > -6) {
        out.push_back(k[((val << 8) >> (bits + 8)) & 0x3F]);
    }
    while (out.size() % 4) {
        out.push_back('=');
    }
    return out;
}

std::string date_days_ago(int days) {
    std::tm base{};
    base.tm_year = 126;
    base.tm_mon = 10;
    base.tm_mday = 24;
    std::time_t t = timegm(&base) - static_cast<std::time_t>(days) * 86400;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

void wp_error(FakeConnection& c, int status, const std::string& code, const std::string& message) {
    c.respond(status,
              json{{"code", code}, {"message", message}, {"data", {{"status", status}}}}.dump());
}

std::string decode(std::string s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

json view(const json& post, bool edit, const std::string& fields) {
    json out = post;
    if (!edit) {
        for (const char* f : {"title", "content", "excerpt"}) {
            out[f].erase("raw");
        }
    }
    if (!fields.empty()) {
        json filtered = json::object();
        std::size_t pos = 0;
        while (pos <= fields.size()) {
            const auto comma = fields.find(',', pos);
            const std::string f =
                fields.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            if (out.contains(f)) {
                filtered[f] = out[f];
            }
            if (comma == std::string::npos) {
                break;
            }
            pos = comma + 1;
        }
        return filtered;
    }
    return out;
}

void handle_api(FakeWordPress& wp, const std::string& route, const FakeRequest& r,
                FakeConnection& c) {
    auto param = [&](const char* name) { return decode(r.query_param(name)); };
    const bool authed =
        r.header("authorization") == "Basic " + b64(wp.user + ":" + wp.app_password);
    if (!r.header("authorization").empty() && !authed) {
        wp_error(c, 401, "incorrect_password",
                 "The provided password is an invalid application password.");
        return;
    }
    if (route == "/" || route.empty()) {
        c.respond(200, json{{"name", "Fake site"},
                            {"namespaces", {"wp/v2"}},
                            {"authentication",
                             {{"application-passwords", {{"endpoints", json::object()}}}}}}
                           .dump());
        return;
    }
    if (route == "/wp/v2/users/me") {
        if (!authed) {
            wp_error(c, 401, "rest_not_logged_in", "You are not currently logged in.");
            return;
        }
        c.respond(200, json{{"id", 1}, {"name", wp.user}, {"slug", wp.user}}.dump());
        return;
    }
    for (const std::string taxonomy : {"categories", "tags"}) {
        // GET /wp/v2/categories?slug=... or ?search=... (names, case-insensitive, substring).
        if (route != "/wp/v2/" + taxonomy || r.method != "GET") {
            continue;
        }
        std::lock_guard lock(wp.mutex);
        json out = json::array();
        for (const auto& term : wp.terms[taxonomy]) {
            const std::string name = core::to_lower(term.value("name", ""));
            if ((!param("slug").empty() && term.value("slug", "") != param("slug")) ||
                (!param("search").empty() &&
                 name.find(core::to_lower(param("search"))) == std::string::npos)) {
                continue;
            }
            out.push_back(term);
        }
        c.respond(200, out.dump(), {{"X-WP-Total", std::to_string(out.size())}});
        return;
    }
    for (const std::string collection : {"posts", "pages"}) {
        const std::string base = "/wp/v2/" + collection;
        if (route.rfind(base, 0) != 0) {
            continue;
        }
        const std::string type = collection == "posts" ? "post" : "page";
        const std::string rest = route.substr(base.size());
        const bool edit = param("context") == "edit";
        if (edit && !authed) {
            wp_error(c, 401, "rest_forbidden_context",
                     "Sorry, you are not allowed to edit posts in this post type.");
            return;
        }
        std::lock_guard lock(wp.mutex);
        if (rest.empty() && r.method == "GET") {
            const int per_page = param("per_page").empty() ? 10 : std::stoi(param("per_page"));
            const int page = param("page").empty() ? 1 : std::stoi(param("page"));
            if (per_page < 1 || per_page > 100) {
                c.respond(
                    400,
                    json{{"code", "rest_invalid_param"},
                         {"message", "Invalid parameter(s): per_page"},
                         {"data",
                          {{"status", 400},
                           {"params",
                            {{"per_page",
                              "per_page must be between 1 (inclusive) and 100 (inclusive)"}}}}}}
                        .dump());
                return;
            }
            const std::string status = param("status").empty() ? "publish" : param("status");
            if (status != "publish" && !authed) {
                wp_error(c, 400, "rest_forbidden_status", "Status is forbidden.");
                return;
            }
            std::vector<json> matches;
            for (const auto& [id, post] : wp.posts) {
                if (post["type"] != type) {
                    continue;
                }
                if (status.find(post["status"].get<std::string>()) == std::string::npos) {
                    continue;
                }
                if (!param("slug").empty() && post["slug"] != param("slug")) {
                    continue;
                }
                if (!param("search").empty() && post["title"]["raw"].get<std::string>().find(
                                                    param("search")) == std::string::npos) {
                    continue;
                }
                if (!param("modified_before").empty() &&
                    post["modified_gmt"].get<std::string>() >= param("modified_before")) {
                    continue;
                }
                bool filtered_out = false;
                for (const char* taxonomy : {"categories", "tags"}) {
                    if (!param(taxonomy).empty()) {
                        const auto ids = post[taxonomy].get<std::vector<std::int64_t>>();
                        filtered_out =
                            filtered_out || std::find(ids.begin(), ids.end(),
                                                      std::stoll(param(taxonomy))) == ids.end();
                    }
                }
                if (filtered_out) {
                    continue;
                }
                matches.push_back(post);
            }
            const int total = static_cast<int>(matches.size());
            const int pages = std::max(1, (total + per_page - 1) / per_page);
            if (page > pages) {
                wp_error(c, 400, "rest_post_invalid_page_number",
                         "The page number requested is larger than the number of pages available.");
                return;
            }
            json out = json::array();
            for (int i = (page - 1) * per_page; i < std::min(total, page * per_page); ++i) {
                out.push_back(view(matches[static_cast<std::size_t>(i)], edit, param("_fields")));
            }
            c.respond(200, out.dump(),
                      {{"X-WP-Total", std::to_string(total)},
                       {"X-WP-TotalPages", std::to_string(pages)}});
            return;
        }
        if (r.method == "POST" && wp.writes_down) {
            wp_error(c, 503, "service_unavailable", "The site is temporarily unavailable.");
            return;
        }
        if (rest.empty() && r.method == "POST") {
            if (!authed) {
                wp_error(c, 401, "rest_cannot_create",
                         "Sorry, you are not allowed to create posts as this user.");
                return;
            }
            const json body = json::parse(r.body, nullptr, false);
            const std::int64_t id = wp.next_id++;
            std::string slug = body.value("slug", "post-" + std::to_string(id));
            json post = {
                {"id", id},
                {"type", type},
                {"status", body.value("status", "draft")},
                {"slug", slug},
                {"link", wp.base_url + "/?p=" + std::to_string(id)},
                {"title",
                 {{"raw", body.value("title", "")}, {"rendered", body.value("title", "")}}},
                {"content",
                 {{"raw", body.value("content", "")},
                  {"rendered", body.value("content", "")},
                  {"protected", false}}},
                {"excerpt",
                 {{"raw", body.value("excerpt", "")}, {"rendered", body.value("excerpt", "")}}},
                {"modified_gmt", date_days_ago(0)},
                {"categories", body.value("categories", std::vector<std::int64_t>{})},
                {"tags", body.value("tags", std::vector<std::int64_t>{})}};
            wp.posts[id] = post;
            c.respond(201, view(post, true, "").dump(),
                      {{"Location",
                        wp.base_url + "/wp-json/wp/v2/" + collection + "/" + std::to_string(id)}});
            return;
        }
        const std::int64_t id = std::atoll(rest.substr(1).c_str());
        const auto it = wp.posts.find(id);
        if (it == wp.posts.end() || it->second["type"] != type) {
            wp_error(c, 404, "rest_post_invalid_id", "Invalid post ID.");
            return;
        }
        if (r.method == "GET") {
            c.respond(200, view(it->second, edit, param("_fields")).dump());
            return;
        }
        if (!authed) {
            wp_error(c, 401, "rest_cannot_edit", "Sorry, you are not allowed to edit this post.");
            return;
        }
        const json body = json::parse(r.body, nullptr, false);
        for (const char* f : {"title", "content", "excerpt"}) {
            if (body.contains(f)) {
                it->second[f]["raw"] = body[f];
                it->second[f]["rendered"] = body[f];
            }
        }
        for (const char* f : {"status", "slug", "categories", "tags"}) {
            if (body.contains(f)) {
                it->second[f] = body[f];
            }
        }
        it->second["modified_gmt"] = date_days_ago(0);
        c.respond(200, view(it->second, true, "").dump());
        return;
    }
    wp_error(c, 404, "rest_no_route", "No route was found matching the URL and request method.");
}

}  // namespace

std::int64_t FakeWordPress::add_post(const std::string& title, const std::string& slug,
                                     int days_ago, std::vector<std::int64_t> categories) {
    std::lock_guard lock(mutex);
    const std::int64_t id = next_id++;
    posts[id] = {{"id", id},
                 {"type", "post"},
                 {"status", "publish"},
                 {"slug", slug},
                 {"link", base_url + "/" + slug + "/"},
                 {"title", {{"raw", title}, {"rendered", title}}},
                 {"content",
                  {{"raw", "<p>Old text about " + title + ".</p>"},
                   {"rendered", "<p>Old text about " + title + ".</p>"},
                   {"protected", false}}},
                 {"excerpt", {{"raw", ""}, {"rendered", ""}}},
                 {"modified_gmt", date_days_ago(days_ago)},
                 {"categories", categories},
                 {"tags", json::array()}};
    return id;
}

void install_wordpress(FakeHttpServer& server, std::shared_ptr<FakeWordPress> wp) {
    wp->base_url = server.base_url();
    server.route("HEAD", "/", [wp](const FakeRequest&, FakeConnection& c) {
        if (wp->pretty_permalinks) {
            c.respond(200, "",
                      {{"Link", "<" + wp->base_url + "/wp-json/>; rel=\"https://api.w.org/\""}},
                      "text/html");
        } else {
            c.respond(200, "", {}, "text/html");
        }
    });
    server.route("GET", "/", [wp](const FakeRequest& r, FakeConnection& c) {
        const std::string rest_route = decode(r.query_param("rest_route"));
        if (!rest_route.empty()) {
            handle_api(*wp, rest_route, r, c);
            return;
        }
        c.respond(200, "<html><body>Fake WordPress</body></html>", {}, "text/html");
    });
    server.route("POST", "/", [wp](const FakeRequest& r, FakeConnection& c) {
        handle_api(*wp, decode(r.query_param("rest_route")), r, c);
    });
    for (const char* method : {"GET", "POST"}) {
        server.route(method, "/wp-json/", [wp](const FakeRequest& r, FakeConnection& c) {
            if (!wp->pretty_permalinks) {
                c.respond(404, "<html>Not Found</html>", {}, "text/html");
                return;
            }
            handle_api(*wp, r.path.substr(8), r, c);
        });
    }
}

}  // namespace sota::test
