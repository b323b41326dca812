#include "daemon/server.hpp"

#include <microhttpd.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <ctime>
#include <limits>
#include <set>
#include <thread>

#include "adapters/environment.hpp"
#include "adapters/private_files.hpp"
#include "core/charset.hpp"
#include "core/json_limits.hpp"
#include "core/pipeline/parking.hpp"
#include "core/text.hpp"
#include "core/version.hpp"

namespace sota::daemon {

using core::api::job_view;
using core::pipeline::JobState;
using nlohmann::json;

namespace {

constexpr std::size_t k_max_body = 1U << 20;

struct RequestState {
    std::string body;
    bool too_big = false;
};

MHD_Result collect(void* cls, MHD_ValueKind, const char* key, const char* value) {
    auto* into = static_cast<std::map<std::string, std::string>*>(cls);
    (*into)[core::to_lower(key ? key : "")] = value ? value : "";
    return MHD_YES;
}

MHD_Result send(MHD_Connection* c, int status, const std::string& body,
                const std::string& type = "application/json") {
    MHD_Response* r = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()),
                                                      MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", type.c_str());
    // One request per connection: each one then passes the front door's checks.
    MHD_add_response_header(r, "Connection", "close");
    const MHD_Result ok = MHD_queue_response(c, static_cast<unsigned>(status), r);
    MHD_destroy_response(r);
    return ok;
}

MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method,
                      const char*, const char* upload_data, std::size_t* upload_size,
                      void** req_cls) {
    auto* server = static_cast<ApiServer*>(cls);
    if (*req_cls == nullptr) {
        *req_cls = new RequestState();
        return MHD_YES;
    }
    auto* state = static_cast<RequestState*>(*req_cls);
    if (*upload_size != 0) {
        if (state->body.size() + *upload_size > k_max_body) {
            state->too_big = true;
        } else {
            state->body.append(upload_data, *upload_size);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    // The whole request is in: its body deadline no longer applies.
    if (const MHD_ConnectionInfo* info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        info && server->front_door()) {
        server->front_door()->request_read(info->connect_fd);
    }
    if (state->too_big) {
        return send(c, 413,
                    core::api::error_body({core::ErrorKind::usage, "request.too_large",
                                           "request bodies are limited to 1 MiB"})
                        .dump());
    }
    std::map<std::string, std::string> query, headers;
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &query);
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect, &headers);
    ApiServer::Reply reply;
    try {
        reply = server->handle(method, url, query, headers, state->body);
    } catch (const std::exception& e) {
        // A defect: the log says what; the client gets no detail that could be half a secret
        // or not even text.
        spdlog::error("request {} {} failed: {}", method, url, e.what());
        reply = ApiServer::Reply{};
        reply.status = 500;
        reply.body = core::api::error_body({core::ErrorKind::internal, "internal",
                                            "sotad failed to answer this request; its log "
                                            "says why (sota daemon status shows where it is)"})
                         .dump();
    }
    if (!reply.stream_job.empty()) {
        return static_cast<MHD_Result>(
            server->streams().answer(c, reply.stream_job, reply.stream_after));
    }
    return send(c, reply.status, reply.body, reply.content_type);
}

void on_completed(void*, MHD_Connection*, void** req_cls, MHD_RequestTerminationCode) {
    delete static_cast<RequestState*>(*req_cls);
    *req_cls = nullptr;
}

void on_connection(void* cls, MHD_Connection* c, void**, MHD_ConnectionNotificationCode code) {
    auto* server = static_cast<ApiServer*>(cls);
    if (code != MHD_CONNECTION_NOTIFY_CLOSED || !server->front_door()) {
        return;
    }
    if (const MHD_ConnectionInfo* info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)) {
        server->front_door()->closed(info->connect_fd);
    }
}

/// How a created job is scheduled.
adapters::JobOptions job_options(const core::api::CreateJob& request, const std::string& key,
                                 const std::string& batch_id) {
    adapters::JobOptions options;
    options.site_pages = request.site_pages;
    options.queue = request.queue;
    options.priority = request.priority;
    options.idempotency_key = key;
    options.batch_id = batch_id;
    return options;
}

/// "2026-11-24" or "2026-11-24T08:00:00Z" as a time point.
std::optional<core::WallTime> parse_since(const std::string& text) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end) {
        tm = std::tm{};
        end = ::strptime(text.c_str(), "%Y-%m-%d", &tm);
    }
    if (!end || (*end != '\0' && std::string(end) != "Z")) {
        return std::nullopt;
    }
    return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

/// A request body read as JSON, or the 400 that says why not.
core::Expected<json> read_body(const std::string& body, const char* shape) {
    auto doc = core::read_json(body);
    if (doc) {
        return doc;
    }
    if (doc.error().code == "json.too_deep") {
        return core::fail(core::ErrorKind::usage, "request.too_deep",
                          "the body nests arrays and objects more than " +
                              std::to_string(core::k_max_json_depth) +
                              " levels deep, sotad's limit (docs/protocol.md)");
    }
    if (!core::is_valid_utf8(body)) {
        return core::fail(core::ErrorKind::usage, "request.bad_json",
                          "the body is not valid UTF-8; send JSON text in UTF-8");
    }
    return core::fail(core::ErrorKind::usage, "request.bad_json",
                      std::string("the body is not valid JSON: send ") + shape);
}

/// A whole decimal number in [min, max], or nothing (no sign games, no trailing text).
std::optional<std::int64_t> whole_number(const std::string& text, std::int64_t min,
                                         std::int64_t max) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < min ||
        n > max) {
        return std::nullopt;
    }
    return n;
}

/// The first of the request's texts that is not UTF-8, named as a client would look for it.
std::optional<std::string> not_utf8(const std::string& path,
                                    const std::map<std::string, std::string>& query,
                                    const std::map<std::string, std::string>& headers) {
    if (!core::is_valid_utf8(path)) {
        return "the path is not valid UTF-8 (after %-decoding)";
    }
    for (const auto& [name, value] : query) {
        if (!core::is_valid_utf8(name)) {
            return "a query parameter's name is not valid UTF-8";
        }
        if (!core::is_valid_utf8(value)) {
            return "query parameter " + name + ": not valid UTF-8 (after %-decoding)";
        }
    }
    for (const char* name : {"idempotency-key"}) {
        if (const auto it = headers.find(name); it != headers.end()) {
            if (!core::is_valid_utf8(it->second)) {
                return std::string("header Idempotency-Key: not valid UTF-8");
            }
        }
    }
    return std::nullopt;
}

}  // namespace

ServerLimits server_limits(const core::Config& config) {
    using core::Key;
    ServerLimits limits;
    limits.door.header_timeout = config.get(Key<core::Millis>{"daemon.header_timeout"});
    limits.door.body_timeout = config.get(Key<core::Millis>{"daemon.body_timeout"});
    limits.door.max_connections =
        static_cast<std::size_t>(config.get(Key<std::int64_t>{"daemon.max_connections"}));
    limits.door.max_per_client = static_cast<std::size_t>(
        config.get(Key<std::int64_t>{"daemon.max_connections_per_client"}));
    limits.door.head.max_body = k_max_body;
    limits.http_threads =
        static_cast<unsigned>(config.get(Key<std::int64_t>{"daemon.http_threads"}));
    limits.idle_timeout_s = static_cast<unsigned>(std::max<std::int64_t>(
        1, config.get(Key<core::Millis>{"daemon.idle_timeout"}).count() / 1000));
    return limits;
}

ApiServer::ApiServer(adapters::JobRunner& runner, adapters::SqliteStore& store,
                     Scheduler& scheduler, ScheduleKeeper* schedules)
    : m_runner(runner),
      m_store(store),
      m_scheduler(scheduler),
      m_schedules(schedules),
      m_streams(store) {}

ApiServer::Reply ApiServer::schedule_route(const std::string& name, const std::string& id,
                                           const std::string& body) {
    if (!m_schedules) {
        return error(
            {core::ErrorKind::not_found, "route.unknown", "this sotad keeps no schedules"});
    }
    core::Expected<json> answer = json();
    int status = 200;
    if (name == "list_schedules") {
        answer = m_schedules->list();
    } else if (name == "create_schedule") {
        const auto doc = read_body(body, "{\"cron\": ..., \"command\": [...]}");
        if (!doc) {
            return error(doc.error());
        }
        answer = m_schedules->add(*doc);
        status = 201;
    } else if (name == "get_schedule") {
        answer = m_schedules->get(id);
    } else if (name == "remove_schedule") {
        answer = m_schedules->remove(id);
    } else if (name == "pause_schedule" || name == "resume_schedule") {
        answer = m_schedules->set_paused(id, name == "pause_schedule");
    } else {
        answer = m_schedules->run_now(id);
        status = 202;
    }
    if (!answer) {
        return error(answer.error());
    }
    Reply reply;
    reply.status = status;
    reply.body = answer->dump();
    return reply;
}

ApiServer::~ApiServer() {
    stop();
}

ApiServer::Reply ApiServer::error(const core::Error& e) {
    Reply r;
    r.status = core::api::http_status(e);
    // A message may quote what the client sent: never let its bytes make the answer fail.
    r.body = core::api::error_body(e).dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
}

ApiServer::Reply ApiServer::handle(const std::string& method, const std::string& path,
                                   const std::map<std::string, std::string>& query,
                                   const std::map<std::string, std::string>& headers,
                                   const std::string& body) {
    if (const auto bad = not_utf8(path, query, headers)) {
        return error({core::ErrorKind::usage, "request.invalid", *bad});
    }
    const auto match = core::api::match_route(method, path);
    if (!match) {
        return error({core::ErrorKind::not_found, "route.unknown",
                      "no such endpoint: " + method + " " + path + " (see docs/protocol.md)"});
    }
    if (method != match->route->method) {
        Reply r = error({core::ErrorKind::usage, "route.method",
                         path + " takes " + match->route->method + ", not " + method});
        r.status = 405;
        return r;
    }
    const std::string name = match->route->name;
    auto param = [&](const char* key) {
        const auto it = query.find(key);
        return it == query.end() ? std::string() : it->second;
    };
    Reply reply;
    if (name == "health") {
        const auto counts = m_store.job_counts();
        reply.body = json{{"status", m_draining ? "draining" : "ok"},
                          {"version", core::k_version},
                          {"pid", ::getpid()},
                          {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::steady_clock::now() - m_started)
                                           .count()},
                          {"workers", m_scheduler.workers()},
                          {"busy", m_scheduler.busy()},
                          {"queued", counts.count("queued") ? counts.at("queued") : 0}}
                         .dump();
        return reply;
    }
    if (name == "stats") {
        const auto group = m_store.group_stats();
        reply.body = json{{"jobs", m_store.job_counts()},
                          {"workers", m_scheduler.workers()},
                          {"busy", m_scheduler.busy()},
                          {"threads", m_scheduler.threads()},
                          {"store", {{"writes", group.writes}, {"commits", group.commits}}}}
                         .dump();
        return reply;
    }
    if (name == "create_job") {
        if (m_draining) {
            return error({core::ErrorKind::network, "daemon.draining",
                          "sotad is shutting down and takes no new jobs; submit again after it "
                          "restarts",
                          true});
        }
        const auto doc = read_body(body, "{\"keyword\": ...}");
        if (!doc) {
            return error(doc.error());
        }
        auto request = core::api::create_job_from_json(*doc);
        if (!request) {
            return error(request.error());
        }
        const auto key_it = headers.find("idempotency-key");
        const std::string key = key_it == headers.end() ? "" : core::trim(key_it->second);
        std::lock_guard lock(m_create_mutex);
        if (!key.empty()) {
            if (auto existing = m_store.find_by_idempotency_key(key)) {
                reply.body = job_view(*existing).dump();
                return reply;  // 200: the job this key already made
            }
        }
        auto job = m_runner.create(std::move(request->spec), job_options(*request, key, ""));
        if (!job) {
            return error(job.error());
        }
        m_scheduler.wake();
        reply.status = 202;
        reply.body = job_view(*job).dump();
        return reply;
    }
    if (name.find("schedule") != std::string::npos) {
        return schedule_route(name, match->id, body);
    }
    if (name == "create_batch") {
        return create_batch(headers, body);
    }
    if (name == "get_batch") {
        const auto jobs = m_store.batch_jobs(match->id);
        if (jobs.empty()) {
            return error({core::ErrorKind::not_found, "batch.not_found", "no batch " + match->id});
        }
        json counts = json::object();
        for (const auto& j : jobs) {
            const std::string st = core::pipeline::to_string(j.state);
            counts[st] = counts.value(st, 0) + 1;
        }
        reply.body =
            json{{"batch_id", match->id}, {"total", jobs.size()}, {"counts", counts}}.dump();
        return reply;
    }
    if (name == "retry_batch") {
        auto jobs = m_store.batch_jobs(match->id);
        if (jobs.empty()) {
            return error({core::ErrorKind::not_found, "batch.not_found", "no batch " + match->id});
        }
        int requeued = 0;
        json ids = json::array();
        for (auto& j : jobs) {
            ids.push_back(j.id);
            const bool abandoned =
                core::pipeline::active(j.state) && !adapters::process_alive(j.owner_pid);
            if (j.state == JobState::failed || j.state == JobState::cancelled ||
                j.state == JobState::interrupted || j.state == JobState::waiting || abandoned) {
                core::pipeline::requeue_for_retry(j, std::chrono::system_clock::now());
                if (auto ok = m_store.update_job(j); !ok) {
                    return error(ok.error());
                }
                ++requeued;
            }
        }
        m_scheduler.wake();
        reply.status = 202;
        reply.body = json{{"batch_id", match->id}, {"requeued", requeued}, {"jobs", ids}}.dump();
        return reply;
    }
    if (name == "list_jobs") {
        adapters::SqliteStore::JobFilter filter;
        filter.state = param("status");
        if (!filter.state.empty() && !core::pipeline::job_state_from_string(filter.state)) {
            return error({core::ErrorKind::usage, "request.invalid",
                          "status: one of queued, running, waiting, interrupted, completed, "
                          "failed, cancelled"});
        }
        filter.workflow = param("workflow");
        filter.batch = param("batch");
        filter.keyword = param("keyword");
        filter.before_id = param("cursor");
        if (!param("since").empty()) {
            filter.since = parse_since(param("since"));
            if (!filter.since) {
                return error({core::ErrorKind::usage, "request.invalid",
                              "since: a date, 2026-11-24 or 2026-11-24T08:00:00Z"});
            }
        }
        if (!param("limit").empty()) {
            const auto limit = whole_number(param("limit"), 1, 500);
            if (!limit) {
                return error({core::ErrorKind::usage, "request.invalid",
                              "limit: a whole number 1-500, got '" + param("limit") + "'"});
            }
            filter.limit = static_cast<int>(*limit);
        }
        json jobs = json::array();
        const auto rows = m_store.list_jobs(filter);
        for (const auto& j : rows) {
            jobs.push_back(job_view(j));
        }
        json doc = {{"jobs", jobs}};
        if (static_cast<int>(rows.size()) == filter.limit) {
            doc["next_cursor"] = rows.back().id;
        }
        reply.body = doc.dump();
        return reply;
    }
    auto job = m_store.get_job(match->id);
    if (!job) {
        return error({core::ErrorKind::not_found, "job.not_found", "no job " + match->id});
    }
    if (name == "get_job") {
        reply.body = job_view(*job).dump();
        return reply;
    }
    if (name == "job_events") {
        std::int64_t after = 0;
        if (!param("after").empty()) {
            const auto n =
                whole_number(param("after"), 0, std::numeric_limits<std::int64_t>::max());
            if (!n) {
                return error({core::ErrorKind::usage, "request.invalid",
                              "after: an event number (0 or more), got '" + param("after") + "'"});
            }
            after = *n;
        }
        if (param("follow") == "1" || param("follow") == "true") {
            reply.stream_job = job->id;
            reply.stream_after = after;
            return reply;
        }
        std::string lines;
        for (const auto& e : m_store.events(job->id, after, 1000)) {
            lines += core::pipeline::to_json(e).dump() + "\n";
        }
        reply.body = lines;
        reply.content_type = "application/x-ndjson";
        return reply;
    }
    if (name == "cancel_job") {
        if (auto ok = m_scheduler.cancel(job->id); !ok) {
            return error(ok.error());
        }
        reply.status = 202;
        reply.body = job_view(*m_store.get_job(job->id)).dump();
        return reply;
    }
    if (name == "retry_job") {
        if (job->state != JobState::failed && job->state != JobState::cancelled &&
            job->state != JobState::interrupted && job->state != JobState::waiting) {
            return error({core::ErrorKind::provider, "job.conflict",
                          "job " + job->id + " is " + core::pipeline::to_string(job->state) +
                              "; only failed, cancelled, interrupted or waiting jobs are "
                              "retried"});
        }
        core::pipeline::requeue_for_retry(*job, std::chrono::system_clock::now());
        if (auto ok = m_store.update_job(*job); !ok) {
            return error(ok.error());
        }
        m_scheduler.wake();
        reply.status = 202;
        reply.body = job_view(*job).dump();
        return reply;
    }
    if (name == "job_result") {
        if (job->state != JobState::completed) {
            return error({core::ErrorKind::provider, "job.conflict",
                          "job " + job->id + " is " + core::pipeline::to_string(job->state) +
                              "; its result exists once it completes"});
        }
        const std::string format = param("format").empty() ? "json" : param("format");
        const std::map<std::string, std::pair<const char*, const char*>> files = {
            {"json", {"result.json", "application/json"}},
            {"md", {"article.md", "text/markdown; charset=utf-8"}},
            {"html", {"article.html", "text/html; charset=utf-8"}}};
        const auto it = files.find(format);
        if (it == files.end()) {
            return error({core::ErrorKind::usage, "request.invalid", "format: json, md or html"});
        }
        const std::filesystem::path dir = job->result.value("directory", "");
        auto text = adapters::read_file(dir / it->second.first);
        if (!text) {
            return error({core::ErrorKind::not_found, "result.missing",
                          "the result file " + (dir / it->second.first).string() +
                              " is gone; retry the job to write it again"});
        }
        reply.body = std::move(*text);
        reply.content_type = it->second.second;
        return reply;
    }
    return error({core::ErrorKind::internal, "route.unhandled", "no handler for " + name});
}

ApiServer::Reply ApiServer::create_batch(const std::map<std::string, std::string>& headers,
                                         const std::string& body) {
    if (m_draining) {
        return error({core::ErrorKind::network, "daemon.draining",
                      "sotad is shutting down and takes no new jobs", true});
    }
    const auto parsed = read_body(body, "{\"jobs\": [{\"keyword\": ...}, ...]}");
    if (!parsed) {
        return error(parsed.error());
    }
    const json& doc = *parsed;
    if (!doc.is_object() || !doc.contains("jobs") || !doc["jobs"].is_array()) {
        return error({core::ErrorKind::usage, "request.bad_json",
                      "the body must be JSON: {\"jobs\": [{\"keyword\": ...}, ...]}"});
    }
    for (const auto& [field, value] : doc.items()) {
        if (field != "jobs" && field != "batch_id") {
            return error({core::ErrorKind::usage, "request.invalid",
                          "unknown field \"" + field + "\" (a batch has jobs and batch_id)"});
        }
    }
    if (doc.contains("batch_id") && !doc["batch_id"].is_string()) {
        return error({core::ErrorKind::usage, "request.invalid",
                      "batch_id: must be a string (a batch id from an earlier answer), got " +
                          std::string(doc["batch_id"].type_name())});
    }
    const auto key_it = headers.find("idempotency-key");
    std::string batch_id = key_it == headers.end() ? "" : core::trim(key_it->second);
    // A later part of a large batch names the batch it adds to.
    const std::string adding_to = doc.value("batch_id", "");
    std::lock_guard lock(m_create_mutex);
    Reply reply;
    if (!adding_to.empty()) {
        batch_id = adding_to;
    } else if (!batch_id.empty()) {
        const auto existing = m_store.batch_jobs(batch_id);
        if (!existing.empty()) {
            json ids = json::array();
            for (const auto& j : existing) {
                ids.push_back(j.id);
            }
            reply.body = json{{"batch_id", batch_id},
                              {"jobs", ids},
                              {"created", 0},
                              {"existing", existing.size()}}
                             .dump();
            return reply;  // 200: this batch was accepted before
        }
    } else {
        batch_id = core::pipeline::new_batch_id(std::chrono::system_clock::now());
    }
    std::vector<core::pipeline::JobRecord> jobs;
    json ids = json::array();
    json errors = json::array();
    int existing = 0;
    std::set<std::string> keys_in_batch;
    for (std::size_t i = 0; i < doc["jobs"].size(); ++i) {
        json row = doc["jobs"][i];
        std::string row_key;
        if (row.is_object() && row.contains("idempotency_key")) {
            if (!row["idempotency_key"].is_string()) {
                errors.push_back(
                    {{"index", i},
                     {"code", "request.invalid"},
                     {"message", "idempotency_key: must be a string, got " +
                                     std::string(row["idempotency_key"].type_name())}});
                continue;
            }
            row_key = row["idempotency_key"].get<std::string>();
            row.erase("idempotency_key");
        }
        if (!row_key.empty()) {
            if (auto found = m_store.find_by_idempotency_key(row_key)) {
                ids.push_back(found->id);
                ++existing;
                continue;
            }
            if (!keys_in_batch.insert(row_key).second) {
                errors.push_back({{"index", i},
                                  {"code", "request.invalid"},
                                  {"message", "idempotency_key '" + row_key + "' repeats"}});
                continue;
            }
        }
        auto request = core::api::create_job_from_json(row);
        if (!request) {
            errors.push_back({{"index", i},
                              {"code", request.error().code},
                              {"message", request.error().message}});
            continue;
        }
        auto job =
            m_runner.prepare(std::move(request->spec), job_options(*request, row_key, batch_id));
        if (!job) {
            errors.push_back(
                {{"index", i}, {"code", job.error().code}, {"message", job.error().message}});
            continue;
        }
        ids.push_back(job->id);
        jobs.push_back(std::move(*job));
    }
    if (!errors.empty()) {
        Reply bad =
            error({core::ErrorKind::usage, "batch.invalid",
                   std::to_string(errors.size()) + " job(s) are invalid; nothing was queued"});
        json out = json::parse(bad.body);
        out["errors"] = errors;
        bad.body = out.dump(-1, ' ', false, json::error_handler_t::replace);
        return bad;
    }
    if (auto stored = m_store.create_jobs(jobs); !stored) {
        return error(stored.error());
    }
    m_scheduler.wake();
    reply.status = 202;
    reply.body = json{
        {"batch_id", batch_id},
        {"jobs", ids},
        {"created", jobs.size()},
        {"existing",
         existing}}.dump();
    return reply;
}

core::Status ApiServer::start(const std::filesystem::path& socket, const ServerLimits& limits) {
    sockaddr_un addr{};
    if (socket.string().size() >= sizeof addr.sun_path) {
        return core::fail(core::ErrorKind::config, "daemon.socket_path",
                          "the socket path " + socket.string() + " is too long for a Unix socket");
    }
    m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    ::unlink(socket.c_str());  // stale: we hold the daemon lock
    const mode_t old_mask = ::umask(0177);
    const int bound = ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old_mask);
    if (bound != 0 || ::listen(m_fd, 128) != 0) {
        const std::string why = std::strerror(errno);
        ::close(m_fd);
        m_fd = -1;
        return core::fail(core::ErrorKind::io, "daemon.bind",
                          "cannot listen on " + socket.string() + ": " + why);
    }
    ::chmod(socket.c_str(), 0600);
    m_socket = socket;
    const unsigned threads = std::max(1U, limits.http_threads);
    m_daemon = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME |
            MHD_USE_ITC,
        0, nullptr, nullptr, on_request, this, MHD_OPTION_NOTIFY_COMPLETED, on_completed, nullptr,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, this, MHD_OPTION_CONNECTION_TIMEOUT,
        limits.idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        static_cast<unsigned>(limits.door.max_connections + 16),
        // Several threads only if asked: one is enough for a local API, and a pool of one is
        // refused.
        threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, MHD_OPTION_END);
    if (!m_daemon) {
        return core::fail(core::ErrorKind::io, "daemon.http", "cannot start the HTTP server");
    }
    m_door = std::make_unique<FrontDoor>(
        m_fd, limits.door, [this](int fd, const sockaddr_un& peer, socklen_t len) {
            return MHD_add_connection(m_daemon, fd, reinterpret_cast<const sockaddr*>(&peer),
                                      len) == MHD_YES;
        });
    m_streams.start();
    return m_door->start();
}

void ApiServer::stop() {
    if (m_door) {
        m_door->stop();  // no new connections
    }
    if (m_daemon) {
        m_stopping = true;
        m_streams.stop();  // open event streams end
        // libmicrohttpd must not stop with a stream's connection still suspended.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (m_streams.open() > 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        MHD_stop_daemon(m_daemon);
        m_daemon = nullptr;
    }
    m_door.reset();
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (!m_socket.empty()) {
        ::unlink(m_socket.c_str());
        m_socket.clear();
    }
}

}  // namespace sota::daemon
