#include "core/wordpress.hpp"

#include "core/base64.hpp"
#include "core/provider_error.hpp"
#include "core/text.hpp"

namespace sota::core {

using nlohmann::json;

namespace {

std::string field_text(const json& j, const char* key) {
    if (!j.contains(key)) {
        return "";
    }
    const json& v = j[key];
    if (v.is_string()) {
        return v.get<std::string>();
    }
    if (v.is_object()) {
        if (v.contains("raw") && v["raw"].is_string()) {
            return v["raw"].get<std::string>();
        }
        if (v.contains("rendered") && v["rendered"].is_string()) {
            return v["rendered"].get<std::string>();
        }
    }
    return "";
}

std::vector<std::int64_t> ids(const json& j, const char* key) {
    std::vector<std::int64_t> out;
    if (j.contains(key) && j[key].is_array()) {
        for (const auto& v : j[key]) {
            if (v.is_number_integer()) {
                out.push_back(v.get<std::int64_t>());
            }
        }
    }
    return out;
}

std::string join_ids(const std::vector<std::int64_t>& v) {
    std::string out;
    for (const auto id : v) {
        out += (out.empty() ? "" : ",") + std::to_string(id);
    }
    return out;
}

// Percent-encodes a query value.
std::string encode(std::string_view s) {
    static const char* k_hex = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',' ||
            c == ':') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += k_hex[c >> 4];
            out += k_hex[c & 15];
        }
    }
    return out;
}

json draft_json(const WpDraft& d) {
    json j = json::object();
    if (!d.title.empty()) {
        j["title"] = d.title;
    }
    if (!d.content.empty()) {
        j["content"] = d.content;
    }
    if (!d.excerpt.empty()) {
        j["excerpt"] = d.excerpt;
    }
    if (!d.slug.empty()) {
        j["slug"] = d.slug;
    }
    if (!d.status.empty()) {
        j["status"] = d.status;
    }
    if (!d.categories.empty()) {
        j["categories"] = d.categories;
    }
    if (!d.tags.empty()) {
        j["tags"] = d.tags;
    }
    if (!d.meta.empty()) {
        j["meta"] = d.meta;
    }
    return j;
}

// Extracts the URL of rel="https://api.w.org/" from a Link header.
std::optional<std::string> api_link(const std::string& link) {
    std::size_t pos = 0;
    while ((pos = link.find('<', pos)) != std::string::npos) {
        const auto close = link.find('>', pos);
        if (close == std::string::npos) {
            break;
        }
        const auto next = link.find('<', close);
        const std::string params =
            link.substr(close, next == std::string::npos ? std::string::npos : next - close);
        if (params.find("rel=\"https://api.w.org/\"") != std::string::npos) {
            return link.substr(pos + 1, close - pos - 1);
        }
        pos = close;
    }
    return std::nullopt;
}

bool looks_like_api_root(const HttpResponse& r) {
    if (r.status != 200) {
        return false;
    }
    const json j = parse_json(r.body);
    return j.is_object() && j.contains("namespaces");
}

}  // namespace

WpPost parse_wp_post(const json& j) {
    WpPost p;
    p.id = j.value("id", std::int64_t{0});
    p.type = j.value("type", "");
    p.status = j.value("status", "");
    p.slug = j.value("slug", "");
    p.link = j.value("link", "");
    p.title = field_text(j, "title");
    p.content = field_text(j, "content");
    p.excerpt = field_text(j, "excerpt");
    p.modified_gmt = j.value("modified_gmt", "");
    p.date_gmt = j.is_object() && j.contains("date_gmt") && j["date_gmt"].is_string()
                     ? j["date_gmt"].get<std::string>()
                     : "";
    p.author = j.value("author", std::int64_t{0});
    if (j.contains("meta") && j["meta"].is_object()) {
        p.meta = j["meta"];
    }
    p.categories = ids(j, "categories");
    p.tags = ids(j, "tags");
    return p;
}

std::string WordPressClient::route_url(
    const std::string& root, const std::string& route,
    const std::vector<std::pair<std::string, std::string>>& params) const {
    std::string url;
    char sep = '?';
    if (root.find("rest_route=") != std::string::npos) {
        url = root.substr(0, root.find("rest_route=")) + "rest_route=/" + route;
        sep = '&';
    } else {
        url = root + route;
    }
    for (const auto& [k, v] : params) {
        url += sep + k + "=" + encode(v);
        sep = '&';
    }
    return url;
}

Expected<std::string> WordPressClient::api_root() {
    {
        std::lock_guard lock(m_mutex);
        if (m_root) {
            return *m_root;
        }
    }
    std::string site = m_endpoint.site_url;
    while (!site.empty() && site.back() == '/') {
        site.pop_back();
    }
    if (site.empty()) {
        return fail(ErrorKind::config, "wordpress.no_site",
                    "no WordPress site is configured; set wordpress.url");
    }
    auto request = [&](const std::string& method, const std::string& url) {
        HttpRequest r;
        r.method = method;
        r.url = url;
        r.set_deadline(m_endpoint.timeout);
        r.max_redirects = 5;
        return m_http.perform(std::move(r));
    };
    std::optional<std::string> root;
    auto head = request("HEAD", site + "/");
    if (!head && head.error().kind != ErrorKind::provider) {
        return fail(head.error());
    }
    if (head) {
        if (const auto link = head->header("link")) {
            root = api_link(*link);
        }
    }
    for (const auto& candidate : {site + "/wp-json/", site + "/?rest_route=/"}) {
        if (root) {
            break;
        }
        auto probe = request("GET", candidate);
        if (probe && looks_like_api_root(*probe)) {
            root = candidate;
        }
    }
    if (!root) {
        return fail(ErrorKind::provider, "wordpress.no_api",
                    site +
                        " shows no WordPress REST API (no api.w.org Link header, /wp-json/ and "
                        "?rest_route=/ both failed); check wordpress.url");
    }
    std::lock_guard lock(m_mutex);
    m_root = *root;
    return *root;
}

Expected<HttpResponse> WordPressClient::call(
    const std::string& method, const std::string& route,
    const std::vector<std::pair<std::string, std::string>>& params, const std::string& body) {
    auto root = api_root();
    if (!root) {
        return fail(root.error());
    }
    HttpRequest r;
    r.method = method;
    r.url = route_url(*root, route, params);
    r.set_deadline(m_endpoint.timeout);
    if (!m_endpoint.user.empty()) {
        r.headers.emplace_back("Authorization", "Basic " + base64_encode(m_endpoint.user + ":" +
                                                                         m_endpoint.app_password));
    }
    if (!body.empty()) {
        r.headers.emplace_back("Content-Type", "application/json");
        r.body = body;
    }
    auto response = m_http.perform(std::move(r));
    if (!response) {
        return response;
    }
    if (response->status < 200 || response->status >= 300) {
        Error e = classify_http_error(ProviderKind::wordpress, *response,
                                      std::chrono::system_clock::now());
        const json j = parse_json(response->body);
        const std::string code = j.is_object() ? j.value("code", "") : "";
        if (code == "rest_post_invalid_id" || code == "rest_no_route" ||
            code == "rest_term_invalid") {
            e.kind = ErrorKind::not_found;
        }
        // With credentials sent, a refusal of what only a logged-in user may ask for (drafts,
        // the edit context) means WordPress ignored them and answered an anonymous visitor.
        const bool sent_credentials = !m_endpoint.user.empty();
        const bool anonymous_refusal =
            sent_credentials &&
            (code == "rest_not_logged_in" || code == "rest_forbidden_status" ||
             (code == "rest_invalid_param" && response->body.find("status") != std::string::npos));
        if (e.kind == ErrorKind::credentials || anonymous_refusal || code == "rest_cannot_create" ||
            code == "rest_cannot_edit" || code == "rest_forbidden_context" ||
            code == "rest_cannot_create_term") {
            e.kind = ErrorKind::credentials;
            e.retryable = false;
            if (anonymous_refusal) {
                e.message = "WordPress did not accept the application password of user '" +
                            m_endpoint.user + "' and answered as to an anonymous visitor (" +
                            e.message + ")";
            }
            e.message +=
                ". Check wordpress.user and the application password (`sota keys set wordpress`); "
                "WordPress only accepts application passwords over HTTPS or on local sites";
        }
        return fail(std::move(e));
    }
    return response;
}

Expected<json> WordPressClient::me() {
    auto r = call("GET", "wp/v2/users/me", {{"context", "edit"}});
    if (!r) {
        return fail(r.error());
    }
    const json j = parse_json(r->body);
    if (j.is_discarded()) {
        return fail(malformed_response(ProviderKind::wordpress, "users/me is not JSON", *r));
    }
    return j;
}

Expected<std::vector<WpPost>> WordPressClient::list(const WpListQuery& query) {
    if (query.per_page < 1 || query.per_page > 100) {
        return fail(
            ErrorKind::usage, "wordpress.per_page",
            "WordPress returns 1 to 100 items per page; got " + std::to_string(query.per_page));
    }
    std::vector<WpPost> posts;
    for (int page = 1; page <= query.max_pages; ++page) {
        std::vector<std::pair<std::string, std::string>> params = {
            {"per_page", std::to_string(query.per_page)},
            {"page", std::to_string(page)},
            {"status", query.status},
            {"orderby", "modified"},
            {"order", "asc"}};
        if (query.status != "publish") {
            params.emplace_back("context", "edit");
        }
        if (!query.search.empty()) {
            params.emplace_back("search", query.search);
        }
        if (!query.modified_before.empty()) {
            params.emplace_back("modified_before", query.modified_before);
        }
        if (!query.categories.empty()) {
            params.emplace_back("categories", join_ids(query.categories));
        }
        if (!query.tags.empty()) {
            params.emplace_back("tags", join_ids(query.tags));
        }
        auto r = call("GET", "wp/v2/" + query.collection, params);
        if (!r) {
            if (r.error().detail.find("rest_post_invalid_page_number") != std::string::npos) {
                break;  // past the end
            }
            return fail(r.error());
        }
        const json j = parse_json(r->body);
        if (!j.is_array()) {
            return fail(
                malformed_response(ProviderKind::wordpress, "a collection that is not a list", *r));
        }
        for (const auto& item : j) {
            posts.push_back(parse_wp_post(item));
        }
        const int total_pages = std::atoi(r->header("x-wp-totalpages").value_or("1").c_str());
        if (page >= total_pages || j.empty()) {
            break;
        }
    }
    return posts;
}

Expected<WpPost> WordPressClient::get(std::int64_t id, const std::string& collection) {
    auto r = call("GET", "wp/v2/" + collection + "/" + std::to_string(id), {{"context", "edit"}});
    if (!r) {
        return fail(r.error());
    }
    const json j = parse_json(r->body);
    if (!j.is_object()) {
        return fail(
            malformed_response(ProviderKind::wordpress, "a post that is not an object", *r));
    }
    return parse_wp_post(j);
}

Expected<WpPost> WordPressClient::create(const WpDraft& draft, const std::string& collection) {
    auto r = call("POST", "wp/v2/" + collection, {}, draft_json(draft).dump());
    if (!r) {
        return fail(r.error());
    }
    const json j = parse_json(r->body);
    if (!j.is_object()) {
        return fail(
            malformed_response(ProviderKind::wordpress, "the created post is not an object", *r));
    }
    return parse_wp_post(j);
}

Expected<WpPost> WordPressClient::update(std::int64_t id, const WpDraft& draft,
                                         const std::string& collection) {
    auto r = call("POST", "wp/v2/" + collection + "/" + std::to_string(id), {},
                  draft_json(draft).dump());
    if (!r) {
        return fail(r.error());
    }
    const json j = parse_json(r->body);
    if (!j.is_object()) {
        return fail(
            malformed_response(ProviderKind::wordpress, "the updated post is not an object", *r));
    }
    return parse_wp_post(j);
}

Expected<std::vector<WpPost>> WordPressClient::find_by_slug(const std::string& slug,
                                                            const std::string& collection,
                                                            bool published_only) {
    auto r = published_only ? call("GET", "wp/v2/" + collection, {{"slug", slug}})
                            : call("GET", "wp/v2/" + collection,
                                   {{"slug", slug},
                                    {"status", "publish,draft,pending,private,future"},
                                    {"context", "edit"}});
    if (!r) {
        return fail(r.error());
    }
    const json j = parse_json(r->body);
    std::vector<WpPost> posts;
    if (j.is_array()) {
        for (const auto& item : j) {
            posts.push_back(parse_wp_post(item));
        }
    }
    return posts;
}

Expected<std::vector<std::string>> WordPressClient::namespaces() {
    {
        std::lock_guard lock(m_mutex);
        if (m_namespaces) {
            return *m_namespaces;
        }
    }
    auto r = call("GET", "", {});
    if (!r) {
        return fail(r.error());
    }
    const json j = parse_json(r->body);
    std::vector<std::string> out;
    if (j.is_object() && j.contains("namespaces") && j["namespaces"].is_array()) {
        for (const auto& n : j["namespaces"]) {
            if (n.is_string()) {
                out.push_back(n.get<std::string>());
            }
        }
    }
    std::lock_guard lock(m_mutex);
    m_namespaces = out;
    return out;
}

std::string WordPressClient::site_url() const {
    std::string site = m_endpoint.site_url;
    while (!site.empty() && site.back() == '/') {
        site.pop_back();
    }
    return site;
}

Expected<std::int64_t> WordPressClient::create_term(const std::string& taxonomy,
                                                    const std::string& name) {
    auto r = call("POST", "wp/v2/" + taxonomy, {}, json{{"name", name}}.dump());
    if (!r) {
        // Made meanwhile (or differing only in case): WordPress names the existing term.
        const json j = parse_json(r.error().detail);
        if (j.is_object() && j.value("code", "") == "term_exists" && j.contains("data") &&
            j["data"].is_object() && j["data"].contains("term_id")) {
            return j["data"]["term_id"].get<std::int64_t>();
        }
        return fail(r.error());
    }
    const json j = parse_json(r->body);
    if (!j.is_object() || !j.contains("id")) {
        return fail(malformed_response(ProviderKind::wordpress, "the created term has no id", *r));
    }
    return j["id"].get<std::int64_t>();
}

Expected<std::int64_t> WordPressClient::term_id(const std::string& taxonomy,
                                                const std::string& term) {
    if (!term.empty() && term.find_first_not_of("0123456789") == std::string::npos) {
        return std::stoll(term);
    }
    const std::string wanted = to_lower(term);
    for (const char* by : {"slug", "search"}) {
        auto r = call("GET", "wp/v2/" + taxonomy,
                      {{by, std::string(by) == "slug" ? wanted : term},
                       {"per_page", "100"},
                       {"_fields", "id,name,slug"}});
        if (!r) {
            return fail(r.error());
        }
        const json j = parse_json(r->body);
        for (const auto& t : j.is_array() ? j : json::array()) {
            if (to_lower(t.value("slug", "")) == wanted ||
                to_lower(t.value("name", "")) == wanted) {
                return t.value("id", std::int64_t{0});
            }
        }
    }
    const std::string kind = taxonomy == "tags" ? "tag" : "category";
    return fail(ErrorKind::not_found, "wordpress.no_term",
                "no " + kind + " '" + term + "' on " + m_endpoint.site_url +
                    " (give its id, slug or name)");
}

}  // namespace sota::core
