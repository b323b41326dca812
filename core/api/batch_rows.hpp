#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/expected.hpp"

namespace sota::core::api {

/// A row that cannot become a job: where, which column, and why.
struct RowProblem {
    std::size_t line = 0;
    std::string column;
    std::string message;
};

/// Defaults a batch applies to rows that leave a column empty.
struct RowDefaults {
    std::string workflow;
    std::string model;
    std::string queue = "standard";
};

/// A batch row (columns keyword, mode, workflow, model, url, post_id, priority, queue, out,
/// publish, category, tags; any other column becomes a template field, "" when the row leaves
/// it empty; an empty job column takes the batch's default) as a create-job body
/// with an `idempotency_key` derived from the row's content, so the same row submitted again
/// is not run twice. Checked like POST /v1/jobs; a problem names the column.
Expected<nlohmann::json> row_to_job(const std::map<std::string, std::string>& fields,
                                    const RowDefaults& defaults, std::string* bad_column);

}  // namespace sota::core::api
