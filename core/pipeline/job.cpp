#include "core/pipeline/job.hpp"

#include <random>

#include "core/text.hpp"

namespace sota::core::pipeline {

using nlohmann::json;

namespace {

Unexpected invalid(const std::string& message) {
    return fail(ErrorKind::usage, "job.invalid", message);
}

std::size_t utf8_length(const std::string& text) {
    std::size_t n = 0;
    for (unsigned char c : text) {
        n += (c & 0xC0) != 0x80;
    }
    return n;
}

bool glob_match(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == text[t] || pattern[p] == '?')) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

}  // namespace

bool is_http_url(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        return false;
    }
    const std::string scheme = to_lower(url.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") {
        return false;
    }
    const std::string rest = url.substr(scheme_end + 3);
    const std::string host = rest.substr(0, rest.find_first_of("/?#"));
    if (host.empty() || host.front() == ':') {
        return false;
    }
    for (unsigned char c : url) {
        if (c <= 0x20 || c == 0x7F) {
            return false;
        }
    }
    return true;
}

bool model_allowed(const std::string& model, const std::string& allowlist) {
    if (trim(allowlist).empty()) {
        return true;
    }
    std::size_t start = 0;
    while (start <= allowlist.size()) {
        auto end = allowlist.find(',', start);
        if (end == std::string::npos) {
            end = allowlist.size();
        }
        const std::string pattern = trim(allowlist.substr(start, end - start));
        // "provider:model" is checked on its model part.
        const auto colon = model.find(':');
        const std::string bare = colon == std::string::npos ? model : model.substr(colon + 1);
        if (!pattern.empty() && (glob_match(pattern, model) || glob_match(pattern, bare))) {
            return true;
        }
        start = end + 1;
    }
    return false;
}

Status validate_spec(const JobSpec& spec) {
    const std::string keyword = trim(spec.keyword);
    const std::size_t length = utf8_length(keyword);
    if (length < k_keyword_min || length > k_keyword_max) {
        return invalid("keyword: must be " + std::to_string(k_keyword_min) + "-" +
                       std::to_string(k_keyword_max) + " characters, got " +
                       std::to_string(length) + (length == 0 ? " (pass --keyword TEXT)" : ""));
    }
    for (unsigned char c : keyword) {
        if (c < 0x20 || c == 0x7F) {
            return invalid("keyword: contains a control character; use plain text");
        }
    }
    if (spec.mode != "generate" && spec.mode != "refresh") {
        return invalid("mode: must be generate or refresh, got '" + spec.mode + "'");
    }
    if (spec.mode == "refresh") {
        const int sources = !spec.url.empty() + spec.post_id.has_value() + !spec.file.empty() +
                            !spec.existing_article.is_null();
        if (sources == 0) {
            return invalid("mode refresh needs the article to refresh: --url, --post-id or --file");
        }
    }
    if (!spec.url.empty() && !is_http_url(spec.url)) {
        return invalid("url: '" + spec.url + "' is not an http(s) URL");
    }
    if (spec.post_id && *spec.post_id <= 0) {
        return invalid("post_id: must be a positive WordPress post id");
    }
    if (!spec.publish.empty() && spec.publish != "draft" && spec.publish != "publish") {
        return invalid("publish: must be draft or publish, got '" + spec.publish + "'");
    }
    if (spec.site_pages.size() > k_site_pages_max) {
        return invalid("site pages: at most " + std::to_string(k_site_pages_max) +
                       " existing pages, got " + std::to_string(spec.site_pages.size()) +
                       "; pass the pages most worth linking to");
    }
    for (std::size_t i = 0; i < spec.site_pages.size(); ++i) {
        if (!is_http_url(spec.site_pages[i].url)) {
            return invalid("site pages: entry " + std::to_string(i + 1) + " '" +
                           spec.site_pages[i].url + "' is not an http(s) URL");
        }
    }
    return {};
}

json to_json(const JobSpec& spec) {
    json pages = json::array();
    for (const auto& p : spec.site_pages) {
        pages.push_back({{"url", p.url}, {"title", p.title}, {"description", p.description}});
    }
    json doc = {{"keyword", spec.keyword}, {"mode", spec.mode},       {"workflow", spec.workflow},
                {"model", spec.model},     {"publish", spec.publish}, {"url", spec.url},
                {"file", spec.file},       {"out", spec.out},         {"site_pages", pages},
                {"fields", spec.fields}};
    if (spec.post_id) {
        doc["post_id"] = *spec.post_id;
    }
    if (!spec.existing_article.is_null()) {
        doc["existing_article"] = spec.existing_article;
    }
    if (!spec.categories.empty()) {
        doc["categories"] = spec.categories;
    }
    if (!spec.tags.empty()) {
        doc["tags"] = spec.tags;
    }
    if (spec.publish_dry_run) {
        doc["publish_dry_run"] = true;
    }
    return doc;
}

Expected<JobSpec> spec_from_json(const json& doc) {
    if (!doc.is_object()) {
        return invalid("a job is a JSON object with at least a keyword");
    }
    JobSpec spec;
    try {
        auto str = [&](const char* name, std::string& into) {
            if (doc.contains(name) && !doc[name].is_null()) {
                into = doc[name].get<std::string>();
            }
        };
        str("keyword", spec.keyword);
        str("mode", spec.mode);
        str("workflow", spec.workflow);
        str("model", spec.model);
        str("publish", spec.publish);
        str("url", spec.url);
        str("file", spec.file);
        str("out", spec.out);
        if (doc.contains("post_id") && !doc["post_id"].is_null()) {
            spec.post_id = doc["post_id"].get<std::int64_t>();
        }
        if (doc.contains("site_pages")) {
            for (const auto& p : doc["site_pages"]) {
                SitePage page;
                page.url = p.value("url", "");
                page.title = p.value("title", "");
                page.description = p.value("description", "");
                spec.site_pages.push_back(std::move(page));
            }
        }
        if (doc.contains("existing_article")) {
            spec.existing_article = doc["existing_article"];
        }
        if (doc.contains("fields") && doc["fields"].is_object()) {
            spec.fields = doc["fields"];
        }
        for (const auto& [name, into] :
             {std::pair{"categories", &spec.categories}, std::pair{"tags", &spec.tags}}) {
            if (doc.contains(name) && !doc[name].is_null()) {
                *into = doc[name].get<std::vector<std::string>>();
            }
        }
        if (doc.contains("publish_dry_run") && doc["publish_dry_run"].is_boolean()) {
            spec.publish_dry_run = doc["publish_dry_run"].get<bool>();
        }
    } catch (const json::exception& e) {
        return invalid(std::string("a job field has the wrong type: ") + e.what());
    }
    if (spec.workflow.empty()) {
        spec.workflow = spec.mode == "refresh" ? "refresh" : "standard";
    }
    return spec;
}

const char* to_string(JobState state) {
    switch (state) {
        case JobState::queued:
            return "queued";
        case JobState::running:
            return "running";
        case JobState::validating:
            return "validating";
        case JobState::interrupted:
            return "interrupted";
        case JobState::waiting:
            return "waiting";
        case JobState::completed:
            return "completed";
        case JobState::failed:
            return "failed";
        case JobState::cancelled:
            return "cancelled";
    }
    return "queued";
}

std::optional<JobState> job_state_from_string(std::string_view text) {
    for (auto s : {JobState::queued, JobState::running, JobState::validating, JobState::interrupted,
                   JobState::waiting, JobState::completed, JobState::failed, JobState::cancelled}) {
        if (text == to_string(s)) {
            return s;
        }
    }
    return std::nullopt;
}

bool ended(JobState state) {
    return state == JobState::completed || state == JobState::failed ||
           state == JobState::cancelled;
}

bool ended(std::string_view status) {
    const auto state = job_state_from_string(status);
    return state && ended(*state);
}

bool resumable(JobState state) {
    return state == JobState::interrupted || state == JobState::failed || active(state) ||
           state == JobState::queued || state == JobState::waiting;
}

bool active(JobState state) {
    return state == JobState::running || state == JobState::validating;
}

std::string new_job_id(WallTime now) {
    // Seeded once per thread: a std::random_device per id costs a system call (or, in a
    // virtual machine, a trapped instruction), a real share of accepting a large batch.
    thread_local std::mt19937 random{std::random_device{}()};
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    char hex[8];
    std::snprintf(hex, sizeof hex, "%07llx",
                  static_cast<unsigned long long>(random() & 0xFFFFFFFU));
    return "job_" + std::to_string(ms) + "_" + hex;
}

std::string new_batch_id(WallTime now) {
    return "batch" + new_job_id(now).substr(3);
}

}  // namespace sota::core::pipeline
