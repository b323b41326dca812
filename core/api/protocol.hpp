#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/pipeline/job_store.hpp"

namespace sota::core::api {

/// The daemon's API, declared once: every route, what it is called, and what it does.
/// docs/protocol.md documents the same table; a test checks they agree.
struct Route {
    const char* method;
    const char* pattern;  ///< "/v1/jobs/{id}"; {id} matches one path segment
    const char* name;     ///< the handler: "create_job", "get_job", ...
    const char* summary;
};

/// Every route, the seed's /orchestrator aliases included.
const std::vector<Route>& routes();

/// The route a request takes, and the {id} it named.
struct Match {
    const Route* route = nullptr;
    std::string id;
};

/// Matches a method and path (no query). Nothing for an unknown path; a known path with
/// another method matches with route->method different (the caller answers 405).
std::optional<Match> match_route(std::string_view method, std::string_view path);

/// What POST /v1/jobs takes: the job's fields (as in `sota run`) plus scheduling.
struct CreateJob {
    pipeline::JobSpec spec;
    std::string queue = "standard";  ///< "standard" or "priority"
    int priority = 0;                ///< -100..100, higher first within a queue
    std::string site_pages;          ///< a pages file or sitemap URL on the daemon's machine
};

/// Reads a create request; accepts the seed's camelCase names (existingPages, model, mode).
/// Errors are ErrorKind::usage with code "request.invalid" naming the field.
Expected<CreateJob> create_job_from_json(const nlohmann::json& body);
nlohmann::json to_json(const CreateJob& request);

/// A job as clients see it: id, status, keyword, workflow, queue, priority, step (1-based: the
/// step it is in, or last was in; total_steps once every step is done), total_steps, step_name,
/// steps_done, tokens and cost_usd (of the steps done, from their checkpoints), steps (the
/// workflow's step ids in order), attempts, timestamps, error and result; a waiting job's retry_at
/// and waiting_for (its error is the reason).
nlohmann::json job_view(const pipeline::JobRecord& job);

/// The HTTP status for an error: 400 usage, 404 not found, 409 conflict, 503 busy, 500 else.
int http_status(const Error& error);

/// {"error": {"code", "message", "retryable"}}.
nlohmann::json error_body(const Error& error);

}  // namespace sota::core::api
