#include "core/api/protocol.hpp"

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

Unexpected invalid(const std::string& message) {
    return fail(ErrorKind::usage, "request.invalid", message);
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

Expected<CreateJob> create_job_from_json(const json& body) {
    if (!body.is_object()) {
        return invalid("the body must be a JSON object with at least \"keyword\"");
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
