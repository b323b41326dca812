#include "daemon/event_streams.hpp"

#include <microhttpd.h>

#include <cstring>

#include "core/pipeline/events.hpp"

namespace sota::daemon {

using Clock = std::chrono::steady_clock;

/// One followed stream: what is left to send and where it is in the job's events.
struct EventStreams::Stream {
    EventStreams* owner = nullptr;
    MHD_Connection* connection = nullptr;
    std::string job;
    std::int64_t after = 0;
    std::string pending;
    std::size_t offset = 0;
    int quiet_polls_after_end = 0;
    Clock::time_point last_sent = Clock::now();

    /// libmicrohttpd's content reader: bytes to send, 0 after suspending the connection when
    /// there is nothing yet, or the end.
    static ssize_t read(void* cls, std::uint64_t, char* buf, std::size_t max) {
        auto* s = static_cast<Stream*>(cls);
        if (s->offset >= s->pending.size()) {
            s->pending.clear();
            s->offset = 0;
            if (s->owner->m_stopping) {
                return MHD_CONTENT_READER_END_OF_STREAM;
            }
            const auto events = s->owner->m_store.events(s->job, s->after, 200);
            for (const auto& e : events) {
                s->pending.append(core::pipeline::to_json(e).dump()).push_back('\n');
                s->after = e.seq;
            }
            if (events.empty()) {
                const auto job = s->owner->m_store.get_job(s->job);
                // The last events follow the final state closely: a few quiet polls first.
                if (!job ||
                    (core::pipeline::ended(job->state) && ++s->quiet_polls_after_end >= 4)) {
                    return MHD_CONTENT_READER_END_OF_STREAM;
                }
                if (Clock::now() - s->last_sent < std::chrono::seconds(15)) {
                    return s->owner->park(s) ? 0 : MHD_CONTENT_READER_END_OF_STREAM;
                }
                s->pending.push_back('\n');  // keep-alive: readers skip blank lines
            } else {
                s->quiet_polls_after_end = 0;
            }
        }
        const std::size_t n = std::min(max, s->pending.size() - s->offset);
        std::memcpy(buf, s->pending.data() + s->offset, n);
        s->offset += n;
        s->last_sent = Clock::now();
        return static_cast<ssize_t>(n);
    }

    static void free(void* cls) {
        auto* s = static_cast<Stream*>(cls);
        --s->owner->m_open;
        delete s;
    }
};

EventStreams::EventStreams(adapters::SqliteStore& store, std::chrono::milliseconds poll)
    : m_store(store), m_poll(poll) {}

EventStreams::~EventStreams() {
    stop();
}

void EventStreams::start() {
    m_thread = std::thread([this] { run(); });
}

void EventStreams::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
    // The thread resumed every parked stream on its way out; a stream parked since reads
    // m_stopping when it resumes here.
    std::lock_guard lock(m_mutex);
    for (Stream* s : m_parked) {
        MHD_resume_connection(s->connection);
    }
    m_parked.clear();
}

int EventStreams::answer(MHD_Connection* connection, const std::string& job, std::int64_t after) {
    auto* s = new Stream();
    s->owner = this;
    s->connection = connection;
    s->job = job;
    s->after = after;
    ++m_open;
    MHD_Response* r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, &Stream::read,
                                                        s, &Stream::free);
    MHD_add_response_header(r, "Content-Type", "application/x-ndjson");
    MHD_add_response_header(r, "Connection", "close");
    const MHD_Result ok = MHD_queue_response(connection, 200, r);
    MHD_destroy_response(r);
    return ok;
}

bool EventStreams::park(Stream* stream) {
    std::lock_guard lock(m_mutex);
    if (m_stopping) {
        return false;  // libmicrohttpd must not stop with a suspended connection
    }
    // Suspended under the lock, so that the thread cannot resume it before it is suspended.
    MHD_suspend_connection(stream->connection);
    m_parked.insert(stream);
    return true;
}

void EventStreams::run() {
    std::unique_lock lock(m_mutex);
    while (true) {
        m_wake.wait_for(lock, m_poll, [this] { return m_stopping.load(); });
        for (Stream* s : m_parked) {
            MHD_resume_connection(s->connection);
        }
        m_parked.clear();
        if (m_stopping) {
            return;
        }
    }
}

}  // namespace sota::daemon
