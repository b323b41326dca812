// The batches of SqliteStore: jobs grouped by the batch they came in.
#include <SQLiteCpp/SQLiteCpp.h>

#include "adapters/sqlite_store.hpp"

namespace sota::adapters {

std::vector<SqliteStore::BatchSummary> SqliteStore::list_batches(int limit) {
    std::lock_guard lock(m_mutex);
    // The newest batch ids first (over the jobs_batch index), then their jobs by state.
    SQLite::Statement q(*m_db,
                        "SELECT batch_id, state, COUNT(*) FROM jobs WHERE batch_id IN "
                        "(SELECT DISTINCT batch_id FROM jobs WHERE batch_id IS NOT NULL "
                        "ORDER BY batch_id DESC LIMIT ?) "
                        "GROUP BY batch_id, state ORDER BY batch_id DESC");
    q.bind(1, limit);
    std::vector<BatchSummary> batches;
    while (q.executeStep()) {
        const std::string id = q.getColumn(0).getString();
        if (batches.empty() || batches.back().id != id) {
            batches.push_back(BatchSummary{id, 0, {}});
        }
        const std::int64_t n = q.getColumn(2).getInt64();
        batches.back().counts[q.getColumn(1).getString()] += n;
        batches.back().total += n;
    }
    return batches;
}

}  // namespace sota::adapters
