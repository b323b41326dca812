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

// WordPress's wp_unique_post_slug() for a published post: SLUG, else SLUG-2, SLUG-3, ...
std::string unique_slug(const FakeWordPress& wp, const std::string& slug, std::int64_t self) {
    auto taken = [&](const std::string& candidate) {
        for (const auto& [id, post] : wp.posts) {
            if (id != self && post["slug"] == candidate) {
                return true;
            }
        }
        return false;
    };
    if (!taken(slug)) {
        return slug;
    }
    for (int n = 2;; ++n) {
        if (!taken(slug + "-" + std::to_string(n))) {
            return slug + "-" + std::to_string(n);
        }
    }
}

// The registered keys of a meta write over `current`; others are ignored, as WordPress does.
json registered(const FakeWordPress& wp, const json& meta, json current) {
    if (!current.is_object()) {
        current = json::object();
    }
    for (const auto& key : wp.registered_meta) {
        if (meta.is_object() && meta.contains(key)) {
            current[key] = meta[key];
        } else if (!current.contains(key)) {
            current[key] = "";
        }
    }
    return current;
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
        wp.app_passwords_available &&
        r.header("authorization") == "Basic " + b64(wp.user + ":" + wp.app_password);
    if (wp.app_passwords_available && !r.header("authorization").empty() && !authed) {
        wp_error(c, 401, "incorrect_password",
                 "The provided password is an invalid application password.");
        return;
    }
    if (route == "/" || route.empty()) {
        c.respond(200, json{{"name", "Fake site"},
                            {"namespaces", wp.namespaces},
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
        c.respond(200, json{{"id", wp.user_id}, {"name", wp.user}, {"slug", wp.user}}.dump());
        return;
    }
    for (const std::string taxonomy : {"categories", "tags"}) {
        // GET /wp/v2/categories?slug=... or ?search=... (names, case-insensitive, substring).
        if (route != "/wp/v2/" + taxonomy) {
            continue;
        }
        std::lock_guard lock(wp.mutex);
        if (r.method == "POST") {
            if (!authed) {
                wp_error(c, 401, "rest_cannot_create",
                         "Sorry, you are not allowed to create terms in this taxonomy.");
                return;
            }
            const json body = json::parse(r.body, nullptr, false);
            const std::string name = body.is_object() ? body.value("name", "") : "";
            for (const auto& term : wp.terms[taxonomy]) {
                if (core::to_lower(term.value("name", "")) == core::to_lower(name)) {
                    c.respond(400, json{{"code", "term_exists"},
                                        {"message",
                                         "A term with the name provided already exists "
                                         "in this taxonomy."},
                                        {"data", {{"status", 400}, {"term_id", term["id"]}}}}
                                       .dump());
                    return;
                }
            }
            std::string slug = core::to_lower(name);
            std::replace(slug.begin(), slug.end(), ' ', '-');
            const json term = {{"id", wp.next_term_id++}, {"name", name}, {"slug", slug}};
            wp.terms[taxonomy].push_back(term);
            c.respond(201, term.dump());
            return;
        }
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
        // WordPress checks parameters (status) before permissions (the edit context).
        const std::string asked_status = param("status").empty() ? "publish" : param("status");
        const bool status_forbidden =
            rest.empty() && r.method == "GET" && asked_status != "publish" && !authed;
        if (edit && !authed && !status_forbidden) {
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
                c.respond(400, json{{"code", "rest_invalid_param"},
                                    {"message", "Invalid parameter(s): status"},
                                    {"data",
                                     {{"status", 400},
                                      {"params", {{"status", "Status is forbidden."}}},
                                      {"details",
                                       {{"status",
                                         {{"code", "rest_forbidden_status"},
                                          {"message", "Status is forbidden."},
                                          {"data", {{"status", 401}}}}}}}}}}
                                   .dump());
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
            const std::string status = body.value("status", "draft");
            if (status == "publish") {
                slug = unique_slug(wp, slug, id);
            }
            json post = {
                {"id", id},
                {"type", type},
                {"status", status},
                {"slug", slug},
                {"link", status == "publish" ? wp.base_url + "/" + slug + "/"
                                             : wp.base_url + "/?p=" + std::to_string(id)},
                {"author", wp.user_id},
                {"date_gmt", date_days_ago(0)},
                {"meta", registered(wp, body.value("meta", json::object()), json::object())},
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
        for (const char* f : {"status", "slug", "categories", "tags", "author", "date_gmt"}) {
            if (body.contains(f)) {
                it->second[f] = body[f];
            }
        }
        if (body.contains("meta")) {
            it->second["meta"] = registered(wp, body["meta"], it->second["meta"]);
        }
        if (it->second["status"] == "publish") {
            it->second["slug"] =
                unique_slug(wp, it->second["slug"].get<std::string>(), it->second["id"]);
            it->second["link"] = wp.base_url + "/" + it->second["slug"].get<std::string>() + "/";
        }
        it->second["modified_gmt"] = date_days_ago(0);
        c.respond(200, view(it->second, true, "").dump());
        return;
    }
    wp_error(c, 404, "rest_no_route", "No route was found matching the URL and request method.");
}

}  // namespace

std::int64_t FakeWordPress::add_term(const std::string& taxonomy, const std::string& name) {
    std::lock_guard lock(mutex);
    std::string slug = core::to_lower(name);
    std::replace(slug.begin(), slug.end(), ' ', '-');
    const std::int64_t id = next_term_id++;
    terms[taxonomy].push_back({{"id", id}, {"name", name}, {"slug", slug}});
    return id;
}

std::int64_t FakeWordPress::add_post(const std::string& title, const std::string& slug,
                                     int days_ago, std::vector<std::int64_t> categories,
                                     std::int64_t author) {
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
                 {"date_gmt", date_days_ago(days_ago + 100)},
                 {"author", author},
                 {"meta", registered(*this, json::object(), json::object())},
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
