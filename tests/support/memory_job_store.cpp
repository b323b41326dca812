#include "tests/support/memory_job_store.hpp"

namespace sota::test {

using core::pipeline::Checkpoint;
using core::pipeline::Event;
using core::pipeline::JobRecord;

core::Status MemoryJobStore::create_job(const JobRecord& job) {
    std::lock_guard lock(m_mutex);
    if (!m_jobs.emplace(job.id, job).second) {
        return core::fail(core::ErrorKind::usage, "job.exists", "job " + job.id + " exists");
    }
    return {};
}

std::optional<JobRecord> MemoryJobStore::get_job(const std::string& id) {
    std::lock_guard lock(m_mutex);
    const auto it = m_jobs.find(id);
    if (it == m_jobs.end()) {
        return std::nullopt;
    }
    JobRecord job = it->second;
    job.progress = core::pipeline::progress_of(m_checkpoints[id]);
    return job;
}

core::Status MemoryJobStore::update_job(const JobRecord& job) {
    std::lock_guard lock(m_mutex);
    m_jobs[job.id] = job;
    return {};
}

core::Status MemoryJobStore::save_checkpoint(const std::string& job_id, const Checkpoint& c) {
    std::lock_guard lock(m_mutex);
    auto& list = m_checkpoints[job_id];
    std::erase_if(list, [&](const Checkpoint& old) { return old.step == c.step; });
    list.push_back(c);
    return {};
}

std::vector<Checkpoint> MemoryJobStore::checkpoints(const std::string& job_id) {
    std::lock_guard lock(m_mutex);
    return m_checkpoints[job_id];
}

core::Status MemoryJobStore::drop_checkpoint(const std::string& job_id, const std::string& step) {
    std::lock_guard lock(m_mutex);
    std::erase_if(m_checkpoints[job_id], [&](const Checkpoint& c) { return c.step == step; });
    return {};
}

std::int64_t MemoryJobStore::append_event(const Event& event) {
    std::lock_guard lock(m_mutex);
    m_events.push_back(event);
    m_events.back().seq = static_cast<std::int64_t>(m_events.size());
    return m_events.back().seq;
}

std::vector<Event> MemoryJobStore::events(const std::string& job_id, std::int64_t after_seq,
                                          int limit) {
    std::lock_guard lock(m_mutex);
    std::vector<Event> out;
    for (const auto& e : m_events) {
        if (e.job_id == job_id && e.seq > after_seq && static_cast<int>(out.size()) < limit) {
            out.push_back(e);
        }
    }
    return out;
}

}  // namespace sota::test
