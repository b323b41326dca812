#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/pipeline/job_store.hpp"

namespace sota::test {

/// A JobStore in memory, for engine tests that need no SQLite. Thread-safe.
class MemoryJobStore final : public core::pipeline::JobStore {
  public:
    core::Status create_job(const core::pipeline::JobRecord& job) override;
    std::optional<core::pipeline::JobRecord> get_job(const std::string& id) override;
    core::Status update_job(const core::pipeline::JobRecord& job) override;
    core::Status save_checkpoint(const std::string& job_id,
                                 const core::pipeline::Checkpoint& checkpoint) override;
    std::vector<core::pipeline::Checkpoint> checkpoints(const std::string& job_id) override;
    core::Status drop_checkpoint(const std::string& job_id, const std::string& step) override;
    std::int64_t append_event(const core::pipeline::Event& event) override;
    std::vector<core::pipeline::Event> events(const std::string& job_id, std::int64_t after_seq,
                                              int limit) override;

  private:
    std::mutex m_mutex;
    std::map<std::string, core::pipeline::JobRecord> m_jobs;
    std::map<std::string, std::vector<core::pipeline::Checkpoint>> m_checkpoints;
    std::vector<core::pipeline::Event> m_events;
};

}  // namespace sota::test
