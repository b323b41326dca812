#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "adapters/job_runner.hpp"
#include "adapters/sqlite_store.hpp"
#include "core/api/protocol.hpp"
#include "core/config.hpp"
#include "daemon/event_streams.hpp"
#include "daemon/front_door.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/schedules.hpp"

struct MHD_Daemon;
struct MHD_Connection;

namespace sota::daemon {

/// How sotad serves connections: the front door's limits and timeouts, libmicrohttpd's threads
/// and idle timeout (the daemon.* keys of core/config_schema.cpp).
struct ServerLimits {
    DoorLimits door;
    unsigned http_threads = 2;
    unsigned idle_timeout_s = 60;  ///< a connection with no traffic either way is closed
};

/// The limits the configuration sets.
ServerLimits server_limits(const core::Config& config);

/// The daemon's HTTP/1.1 + JSON API (core/api/protocol.hpp, docs/protocol.md) on an owner-only
/// Unix socket. Connections come in through the FrontDoor (peer check, connection limits, the
/// request head checked and timed) and are served by libmicrohttpd on a few threads polling
/// with epoll; followed event streams suspend their connections between events
/// (EventStreams). Every failure is a JSON error with a stable code; nothing a client sends
/// can stop the server or hold a thread.
class ApiServer {
  public:
    ApiServer(adapters::JobRunner& runner, adapters::SqliteStore& store, Scheduler& scheduler,
              ScheduleKeeper* schedules = nullptr);
    ~ApiServer();

    /// Binds `socket` (mode 0600; a stale file is replaced) and starts serving.
    core::Status start(const std::filesystem::path& socket, const ServerLimits& limits = {});
    /// Refuses new jobs (503 "daemon.draining"); reads still work.
    void refuse_new_jobs() { m_draining = true; }
    /// Stops serving and removes the socket.
    void stop();

    /// The reply to one request (public for tests of the handlers without a socket).
    struct Reply {
        int status = 200;
        std::string body;
        std::string content_type = "application/json";
        std::string stream_job;  ///< non-empty: stream this job's events (follow)
        std::int64_t stream_after = 0;
    };
    /// Answers one request. `path` and the query's values are as decoded from the URL; text
    /// that is not UTF-8 in them, or in a header the API reads, is refused with 400.
    Reply handle(const std::string& method, const std::string& path,
                 const std::map<std::string, std::string>& query,
                 const std::map<std::string, std::string>& headers, const std::string& body);

    adapters::SqliteStore& store() { return m_store; }
    EventStreams& streams() { return m_streams; }
    FrontDoor* front_door() { return m_door.get(); }

  private:
    Reply error(const core::Error& error);
    Reply create_batch(const std::map<std::string, std::string>& headers, const std::string& body);
    Reply schedule_route(const std::string& name, const std::string& id, const std::string& body);

    adapters::JobRunner& m_runner;
    adapters::SqliteStore& m_store;
    Scheduler& m_scheduler;
    ScheduleKeeper* m_schedules = nullptr;
    std::atomic<bool> m_draining{false};
    std::atomic<bool> m_stopping{false};
    std::mutex m_create_mutex;  // one create at a time: idempotency keys are checked then set
    EventStreams m_streams;
    std::unique_ptr<FrontDoor> m_door;
    MHD_Daemon* m_daemon = nullptr;
    int m_fd = -1;
    std::filesystem::path m_socket;
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
};

}  // namespace sota::daemon
