#include "core/api/protocol.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "core/text.hpp"

namespace sota::core::api {

using nlohmann::json;

const std::vector<Route>& routes() {
    static const std::vector<Route> table = {
        {"GET", "/v1/health", "health", "liveness, version and queue depth"},
        {"GET", "/v1/stats", "stats",
         "jobs per state, workers busy, job threads, store writes and commits"},
        {"POST", "/v1/jobs", "create_job",
         "create a job (202 and the job); an Idempotency-Key header returns the existing job"},
        {"GET", "/v1/jobs", "list_jobs",
         "list jobs, newest first: ?status=&workflow=&keyword=&batch=&since=&cursor=&limit="},
        {"POST", "/v1/batches", "create_batch",
         "create many jobs at once, all or none (202); an Idempotency-Key names the batch"},
        {"GET", "/v1/batches/{id}", "get_batch", "a batch's jobs counted by status"},
        {"POST", "/v1/batches/{id}/retry", "retry_batch",
         "queue a batch's failed, cancelled and interrupted jobs again from their checkpoints"},
        {"GET", "/v1/jobs/{id}", "get_job", "one job"},
        {"GET", "/v1/jobs/{id}/events", "job_events",
         "the job's events as JSON lines: ?after=SEQ, &follow=1 to keep streaming until it ends"},
        {"POST", "/v1/jobs/{id}/cancel", "cancel_job", "cancel a queued or running job"},
        {"POST", "/v1/jobs/{id}/retry", "retry_job",
         "queue a failed, cancelled or interrupted job again from its last checkpoint"},
        {"GET", "/v1/jobs/{id}/result", "job_result",
         "the finished article: ?format=json (default), md or html"},
        {"GET", "/v1/schedules", "list_schedules", "every schedule with its next and last run"},
        {"POST", "/v1/schedules", "create_schedule",
         "add a schedule (201): cron, command, and optionally tz, name, missed, paused"},
        {"GET", "/v1/schedules/{id}", "get_schedule",
         "one schedule (by id or name) with its last 20 runs"},
        {"DELETE", "/v1/schedules/{id}", "remove_schedule",
         "remove a schedule; a run in progress goes on to its end"},
        {"POST", "/v1/schedules/{id}/pause", "pause_schedule", "stop a schedule's cron runs"},
        {"POST", "/v1/schedules/{id}/resume", "resume_schedule",
         "start its cron runs again from the next time after now"},
        {"POST", "/v1/schedules/{id}/run-now", "run_schedule",
         "start a run now (202), or 409 schedule.busy if one is going"},
        {"POST", "/orchestrator/ultra-sota", "create_job",
         "the seed's create, same as POST /v1/jobs"},
        {"GET", "/orchestrator/job/{id}", "get_job",
         "the seed's status, same as GET /v1/jobs/{id}"},
    };
    return table;
}

namespace {

bool segments_match(std::string_view pattern, std::string_view path, std::string& id) {
    std::size_t p = 0, q = 0;
    while (p < pattern.size() && q < path.size()) {
        if (pattern.compare(p, 4, "{id}") == 0) {
            const auto end = path.find('/', q);
            id = std::string(path.substr(q, end == std::string_view::npos ? end : end - q));
            if (id.empty()) {
                return false;
            }
            p += 4;
            q = end == std::string_view::npos ? path.size() : end;
            continue;
        }
        if (pattern[p] != path[q]) {
            return false;
        }
        ++p;
        ++q;
    }
    return p == pattern.size() && q == path.size();
}

/// The longest workflow name a request may give (a longer one cannot be a file's name).
constexpr std::size_t k_max_workflow_name = 100;
/// The longest path a request may give, and the longest component in it (Linux's limits).
constexpr std::size_t k_max_path_bytes = 4095;
constexpr std::size_t k_max_name_bytes = 255;

Unexpected invalid(const std::string& message) {
    return fail(ErrorKind::usage, "request.invalid", message);
}

/// Characters in UTF-8 text (continuation bytes not counted).
std::size_t utf8_length(const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

/// What a create request's field holds.
enum class FieldType { text, path, workflow, post_id, priority, object, pages, any };

FieldType field_type(const std::string& name) {
    static const std::map<std::string, FieldType, std::less<>> types = {
        {"keyword", FieldType::text},
        {"mode", FieldType::text},
        {"workflow", FieldType::workflow},
        {"model", FieldType::text},
        {"publish", FieldType::text},
        {"url", FieldType::text},
        {"post_id", FieldType::post_id},
        {"file", FieldType::path},
        {"out", FieldType::path},
        {"fields", FieldType::object},
        {"site_pages", FieldType::pages},
        {"queue", FieldType::text},
        {"priority", FieldType::priority},
        {"existingPages", FieldType::pages},
        {"site_pages_source", FieldType::path},
    };
    const auto it = types.find(name);
    return it == types.end() ? FieldType::any : it->second;  // the seed's ignored fields
}

/// A path on the daemon's machine: no NUL or control characters, and within what the file
/// system takes (a longer one would fail later as a file system error, not as a bad request).
Status check_path(const std::string& field, const std::string& path) {
    for (const unsigned char c : path) {
        if (c < 0x20 || c == 0x7F) {
            return invalid(field + ": the path holds a " +
                           (c == 0 ? std::string("NUL byte") : "control character") +
                           "; send a plain path");
        }
    }
    if (path.size() > k_max_path_bytes) {
        return invalid(field + ": the path is " + std::to_string(path.size()) +
                       " bytes long; at most " + std::to_string(k_max_path_bytes) + " are taken");
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto end = std::min(path.find('/', start), path.size());
        if (end - start > k_max_name_bytes) {
            return invalid(field + ": a path component is " + std::to_string(end - start) +
                           " bytes long; file names are at most " +
                           std::to_string(k_max_name_bytes));
        }
        start = end + 1;
    }
    return {};
}

/// One field's JSON type and range; null means "not given" for every field.
Status check_field(const std::string& name, const json& value) {
    if (value.is_null()) {
        return {};
    }
    const auto type_error = [&](const char* expected) {
        return invalid(name + ": must be " + expected + ", got " +
                       (value.is_number_float() ? std::string("a fractional number")
                                                : std::string(value.type_name())) +
                       (value.is_number() || value.is_boolean() ? " " + value.dump() : ""));
    };
    const auto integer_in = [&](std::int64_t min, std::int64_t max) {
        // Booleans and fractions are not integers, and nothing is wrapped or rounded.
        if (value.is_number_unsigned()) {
            return value.get<std::uint64_t>() <= static_cast<std::uint64_t>(max);
        }
        if (value.is_number_integer()) {
            const auto n = value.get<std::int64_t>();
            return n >= min && n <= max;
        }
        return false;
    };
    switch (field_type(name)) {
        case FieldType::text:
            if (!value.is_string()) {
                return type_error("a string");
            }
            if (value.get_ref<const std::string&>().find('\0') != std::string::npos) {
                return invalid(name + ": holds a NUL byte");
            }
            return {};
        case FieldType::path:
            if (!value.is_string()) {
                return type_error("a string (a path on the daemon's machine)");
            }
            return check_path(name, value.get<std::string>());
        case FieldType::workflow: {
            if (!value.is_string()) {
                return type_error("a string (a workflow name or a .toml file)");
            }
            const auto& text = value.get_ref<const std::string&>();
            if (text.find('/') != std::string::npos || text.ends_with(".toml")) {
                return check_path(name, text);
            }
            const std::size_t length = utf8_length(text);
            if (length > k_max_workflow_name) {
                return invalid(name + ": a workflow name is at most " +
                               std::to_string(k_max_workflow_name) + " characters, got " +
                               std::to_string(length));
            }
            for (const unsigned char c : text) {
                if (c < 0x20 || c == 0x7F) {
                    return invalid(name + ": a workflow name holds a control character");
                }
            }
            return {};
        }
        case FieldType::post_id:
            if (!value.is_number() || !integer_in(1, std::numeric_limits<std::int64_t>::max())) {
                return value.is_number() && !value.is_number_float()
                           ? invalid(name + ": must be a positive WordPress post id, got " +
                                     value.dump())
                           : type_error("a whole number (a WordPress post id)");
            }
            return {};
        case FieldType::priority:
            if (!value.is_number() || value.is_number_float()) {
                return type_error("a whole number -100..100");
            }
            if (!integer_in(-100, 100)) {
                return invalid(name + ": must be -100..100, got " + value.dump());
            }
            return {};
        case FieldType::object:
            return value.is_object() ? Status{} : type_error("an object");
        case FieldType::pages:
            if (!value.is_array()) {
                return type_error("an array of pages ({\"url\": ..., \"title\": ...})");
            }
            for (std::size_t i = 0; i < value.size(); ++i) {
                const json& page = value[i];
                const std::string where = name + "[" + std::to_string(i) + "]";
                if (page.is_string()) {
                    continue;  // the seed's bare URLs
                }
                if (!page.is_object()) {
                    return invalid(where + ": must be an object with url, or a URL, got " +
                                   std::string(page.type_name()));
                }
                for (const char* key : {"url", "title", "description"}) {
                    if (page.contains(key) && !page[key].is_string() && !page[key].is_null()) {
                        return invalid(where + "." + key + ": must be a string, got " +
                                       std::string(page[key].type_name()));
                    }
                }
            }
            return {};
        case FieldType::any:
            return {};
    }
    return {};
}

}  // namespace

std::optional<Match> match_route(std::string_view method, std::string_view path) {
    if (path.size() > 1 && path.back() == '/') {
        path.remove_suffix(1);
    }
    std::optional<Match> other_method;
    for (const auto& route : routes()) {
        std::string id;
        if (segments_match(route.pattern, path, id)) {
            if (method == route.method) {
                return Match{&route, id};
            }
            other_method = Match{&route, id};
        }
    }
    return other_method;
}

// Each field is checked for its JSON type and range first: priority 1.5, true or 2^63 are
// refused, not rounded or wrapped; a path with a NUL or a component past 255 bytes is refused.
Expected<CreateJob> create_job_from_json(const json& body) {
    if (!body.is_object()) {
        return invalid("the body must be a JSON object with at least \"keyword\"");
    }
    for (const auto& [key, value] : body.items()) {
        if (auto ok = check_field(key, value); !ok) {
            return fail(ok.error());
        }
    }
    json doc = body;
    // The seed's names.
    if (doc.contains("existingPages") && !doc.contains("site_pages")) {
        json pages = json::array();
        for (const auto& p : doc["existingPages"]) {
            pages.push_back(p.is_string() ? json{{"url", p}} : p);
        }
        doc["site_pages"] = pages;
    }
    CreateJob request;
    try {
        request.queue = doc.value("queue", "standard");
        request.priority = doc.value("priority", 0);
        request.site_pages = doc.value("site_pages_source", "");
    } catch (const json::exception&) {
        return invalid("queue must be a string and priority an integer");
    }
    if (request.queue != "standard" && request.queue != "priority") {
        return invalid("queue: must be standard or priority, got '" + request.queue + "'");
    }
    if (request.priority < -100 || request.priority > 100) {
        return invalid("priority: must be -100..100, got " + std::to_string(request.priority));
    }
    static const std::set<std::string> known = {
        "keyword",        "mode",          "workflow",
        "model",          "publish",       "url",
        "post_id",        "file",          "out",
        "fields",         "site_pages",    "queue",
        "priority",       "existingPages", "requestId",
        "clientId",       "timestamp",     "site_pages_source",
        "useGodMode",     "aiClient",      "serpData",
        "serperApiKey",   "categories",    "tags",
        "publish_dry_run"};
    for (const auto& [key, value] : doc.items()) {
        if (!known.count(key)) {
            return invalid("unknown field \"" + key + "\"");
        }
    }
    if (doc.contains("serperApiKey")) {
        return invalid(
            "serperApiKey: keys are never sent in requests; store them on the "
            "daemon's machine with `sota keys set serper`");
    }
    auto spec = pipeline::spec_from_json(doc);
    if (!spec) {
        return fail(ErrorKind::usage, "request.invalid", spec.error().message);
    }
    request.spec = std::move(*spec);
    if (auto ok = pipeline::validate_spec(request.spec); !ok) {
        return fail(ErrorKind::usage, "request.invalid", ok.error().message);
    }
    return request;
}

json to_json(const CreateJob& request) {
    json doc = pipeline::to_json(request.spec);
    doc["queue"] = request.queue;
    doc["priority"] = request.priority;
    if (!request.site_pages.empty()) {
        doc["site_pages_source"] = request.site_pages;
    }
    return doc;
}

json job_view(const pipeline::JobRecord& job) {
    static const json no_steps = json::array();
    const json& doc = pipeline::workflow_doc(job);
    const auto found = doc.find("steps");
    const json& steps = found != doc.end() && found->is_array() ? *found : no_steps;
    int step = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].value("id", "") == job.current_step) {
            step = static_cast<int>(i) + 1;
        }
    }
    if (job.state == pipeline::JobState::completed || job.state == pipeline::JobState::validating) {
        step = static_cast<int>(steps.size());
    }
    json view = {{"id", job.id},
                 {"status", pipeline::to_string(job.state)},
                 {"keyword", job.spec.keyword},
                 {"mode", job.spec.mode},
                 {"workflow", doc.value("name", job.spec.workflow)},
                 {"queue", job.queue},
                 {"batch_id", job.batch_id},
                 {"priority", job.priority},
                 {"step", step},
                 {"total_steps", steps.size()},
                 {"step_name", job.current_step},
                 {"steps_done", job.progress.steps_done},
                 {"tokens", job.progress.tokens},
                 {"cost_usd", job.progress.cost_usd},
                 {"attempts", job.attempts},
                 {"created_at", iso8601_utc(job.created_at)},
                 {"updated_at", iso8601_utc(job.updated_at)}};
    json step_list = json::array();
    for (const auto& s : steps) {
        step_list.push_back(s.value("id", ""));
    }
    view["steps"] = step_list;
    if (!job.error.is_null()) {
        view["error"] = job.error;
    }
    if (job.state == pipeline::JobState::waiting && job.retry_at) {
        view["retry_at"] = iso8601_utc(*job.retry_at);
        view["waiting_for"] = job.waiting_for;
    }
    if (!job.result.is_null()) {
        view["result"] = job.result;
    }
    return view;
}

int http_status(const Error& error) {
    switch (error.kind) {
        case ErrorKind::usage:
        case ErrorKind::config:  // the request needs what this daemon is not set up for
            return 400;
        case ErrorKind::not_found:
            return 404;
        default:
            break;
    }
    if (error.code == "job.conflict" || error.code == "schedule.busy" ||
        error.code == "schedule.name_taken") {
        return 409;
    }
    if (error.code == "daemon.draining") {
        return 503;
    }
    return 500;
}

json error_body(const Error& error) {
    return {{"error",
             {{"code", error.code}, {"message", error.message}, {"retryable", error.retryable}}}};
}

}  // namespace sota::core::api
