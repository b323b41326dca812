#include "daemon/server.hpp"

#include <microhttpd.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <set>
#include <thread>

#include "adapters/environment.hpp"
#include "adapters/private_files.hpp"
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

/// An event stream being sent (GET /v1/jobs/{id}/events?follow=1).
struct Stream {
    ApiServer* server = nullptr;
    std::string job;
    std::int64_t after = 0;
    std::string pending;
    std::size_t offset = 0;
    int idle_terminal_polls = 0;
    std::chrono::steady_clock::time_point last_sent = std::chrono::steady_clock::now();
};

ssize_t stream_read(void* cls, std::uint64_t, char* buf, std::size_t max) {
    auto* s = static_cast<Stream*>(cls);
    while (s->offset >= s->pending.size()) {
        s->pending.clear();
        s->offset = 0;
        if (s->server->stopping()) {
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        const auto events = s->server->store().events(s->job, s->after, 200);
        for (const auto& e : events) {
            s->pending += core::pipeline::to_json(e).dump() + "\n";
            s->after = e.seq;
        }
        if (!events.empty()) {
            s->idle_terminal_polls = 0;
            break;
        }
        const auto job = s->server->store().get_job(s->job);
        // The last events follow the final state closely: a few quiet polls before ending.
        if (!job || (core::pipeline::ended(job->state) && ++s->idle_terminal_polls >= 4)) {
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        if (std::chrono::steady_clock::now() - s->last_sent > std::chrono::seconds(15)) {
            s->pending = "\n";  // keep-alive: readers skip blank lines
            break;
        }
    }
    const std::size_t n = std::min(max, s->pending.size() - s->offset);
    std::memcpy(buf, s->pending.data() + s->offset, n);
    s->offset += n;
    s->last_sent = std::chrono::steady_clock::now();
    return static_cast<ssize_t>(n);
}

void stream_free(void* cls) {
    delete static_cast<Stream*>(cls);
}

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
    const MHD_Result ok = MHD_queue_response(c, static_cast<unsigned>(status), r);
    MHD_destroy_response(r);
    return ok;
}

MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method,
                      const char*, const char* upload_data, std::size_t* upload_size,
                      void** req_cls) {
    auto* server = static_cast<ApiServer*>(cls);
    if (*req_cls == nullptr) {
        // First call for this request: only our own user may talk to us.
        const MHD_ConnectionInfo* info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        ucred cred{};
        socklen_t len = sizeof cred;
        if (!info || ::getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
            cred.uid != ::getuid()) {
            return send(c, 403,
                        core::api::error_body({core::ErrorKind::credentials, "peer.refused",
                                               "sotad serves only its own user"})
                            .dump());
        }
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
        spdlog::error("request {} {} failed: {}", method, url, e.what());
        reply.status = 500;
        reply.body =
            core::api::error_body({core::ErrorKind::internal, "internal", e.what()}).dump();
    }
    if (!reply.stream_job.empty()) {
        auto* s = new Stream();
        s->server = server;
        s->job = reply.stream_job;
        s->after = reply.stream_after;
        MHD_Response* r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
                                                            stream_read, s, stream_free);
        MHD_add_response_header(r, "Content-Type", "application/x-ndjson");
        const MHD_Result ok = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ok;
    }
    return send(c, reply.status, reply.body, reply.content_type);
}

void on_completed(void*, MHD_Connection*, void** req_cls, MHD_RequestTerminationCode) {
    delete static_cast<RequestState*>(*req_cls);
    *req_cls = nullptr;
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

}  // namespace

ApiServer::ApiServer(adapters::JobRunner& runner, adapters::SqliteStore& store,
                     Scheduler& scheduler, ScheduleKeeper* schedules)
    : m_runner(runner), m_store(store), m_scheduler(scheduler), m_schedules(schedules) {}

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
        const json doc = core::parse_json(body);
        if (doc.is_discarded()) {
            return error({core::ErrorKind::usage, "request.bad_json",
                          "the body is not JSON: send {\"cron\": ..., \"command\": [...]}"});
        }
        answer = m_schedules->add(doc);
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
    r.body = core::api::error_body(e).dump();
    return r;
}

ApiServer::Reply ApiServer::handle(const std::string& method, const std::string& path,
                                   const std::map<std::string, std::string>& query,
                                   const std::map<std::string, std::string>& headers,
                                   const std::string& body) {
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
        const json doc = core::parse_json(body);
        if (doc.is_discarded()) {
            return error(
                {core::ErrorKind::usage, "request.bad_json", "the body is not valid JSON"});
        }
        auto request = core::api::create_job_from_json(doc);
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
            try {
                filter.limit = std::clamp(std::stoi(param("limit")), 1, 500);
            } catch (const std::exception&) {
                return error({core::ErrorKind::usage, "request.invalid", "limit: 1-500"});
            }
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
        try {
            after = param("after").empty() ? 0 : std::stoll(param("after"));
        } catch (const std::exception&) {
            return error({core::ErrorKind::usage, "request.invalid", "after: an event number"});
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
    const json doc = core::parse_json(body);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("jobs") ||
        !doc["jobs"].is_array()) {
        return error({core::ErrorKind::usage, "request.bad_json",
                      "the body must be JSON: {\"jobs\": [{\"keyword\": ...}, ...]}"});
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
            row_key = row.value("idempotency_key", "");
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
        bad.body = out.dump();
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

core::Status ApiServer::start(const std::filesystem::path& socket) {
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
    m_daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC, 0, nullptr,
        nullptr, on_request, this, MHD_OPTION_LISTEN_SOCKET, m_fd, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, nullptr, MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(300),
        MHD_OPTION_END);
    if (!m_daemon) {
        return core::fail(core::ErrorKind::io, "daemon.http", "cannot start the HTTP server");
    }
    return {};
}

void ApiServer::stop() {
    if (m_daemon) {
        m_stopping = true;  // open event streams end
        MHD_stop_daemon(m_daemon);
        m_daemon = nullptr;
    }
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
