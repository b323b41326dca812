// Which WordPress posts sota published, as the jobs' results record them.

#include <SQLiteCpp/SQLiteCpp.h>

#include "adapters/sqlite_store.hpp"

namespace sota::adapters {

std::string SqliteStore::job_that_published(const std::string& site, std::int64_t post_id) {
    std::lock_guard lock(m_mutex);
    // Rare (a slug already taken), so a scan of the results is fine.
    SQLite::Statement q(*m_db,
                        "SELECT id FROM jobs WHERE result IS NOT NULL "
                        "AND json_valid(result) "
                        "AND json_extract(result, '$.published.post_id') = ? "
                        "AND rtrim(json_extract(result, '$.published.site'), '/') = rtrim(?, '/') "
                        "ORDER BY created_at DESC LIMIT 1");
    q.bind(1, post_id);
    q.bind(2, site);
    return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

}  // namespace sota::adapters
