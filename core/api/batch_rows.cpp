#include "core/api/batch_rows.hpp"

#include <set>

#include "core/api/protocol.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"

namespace sota::core::api {

using nlohmann::json;

Expected<json> row_to_job(const std::map<std::string, std::string>& fields,
                          const RowDefaults& defaults, std::string* bad_column) {
    static const std::set<std::string> plain = {"keyword", "mode",    "workflow", "model", "url",
                                                "out",     "publish", "queue",    "file"};
    json job = json::object();
    json extra = json::object();
    auto problem = [&](const std::string& column, const std::string& message) {
        if (bad_column) {
            *bad_column = column;
        }
        return fail(ErrorKind::usage, "batch.row", column + ": " + message);
    };
    for (const auto& [name, raw] : fields) {
        const std::string value = trim(raw);
        if (value.empty() && (plain.count(name) || name == "post_id" || name == "priority")) {
            continue;  // the batch's default, or none
        }
        if (plain.count(name)) {
            job[name] = value;
        } else if (name == "post_id" || name == "priority") {
            try {
                std::size_t used = 0;
                const long long n = std::stoll(value, &used);
                if (used != value.size()) {
                    throw std::invalid_argument(value);
                }
                job[name] = n;
            } catch (const std::exception&) {
                return problem(name, "must be a whole number, got '" + value + "'");
            }
        } else if (name == "category" || name == "tags") {
            extra[name] = value;
            // Publishing: WordPress category and tag names, comma-separated.
            json& list = job[name == "category" ? "categories" : "tags"];
            list = json::array();
            for (std::size_t pos = 0; pos <= value.size();) {
                const auto comma = std::min(value.find(',', pos), value.size());
                if (const std::string term = trim(value.substr(pos, comma - pos)); !term.empty()) {
                    list.push_back(term);
                }
                pos = comma + 1;
            }
        } else {
            extra[name] = value;  // prompts may use it as {{name}}; an empty field is ""
        }
    }
    if (!job.contains("workflow") && !defaults.workflow.empty()) {
        job["workflow"] = defaults.workflow;
    }
    if (!job.contains("model") && !defaults.model.empty()) {
        job["model"] = defaults.model;
    }
    if (!job.contains("queue")) {
        job["queue"] = defaults.queue;
    }
    if (!extra.empty()) {
        job["fields"] = extra;
    }
    if (!job.contains("keyword")) {
        return problem("keyword", "is required (a column named keyword)");
    }
    auto checked = create_job_from_json(job);
    if (!checked) {
        std::string message = checked.error().message;
        const auto colon = message.find(':');
        const std::string column = colon == std::string::npos ? "" : message.substr(0, colon);
        if (bad_column) {
            *bad_column = fields.count(column) ? column : "";
        }
        return fail(ErrorKind::usage, "batch.row", message);
    }
    job["idempotency_key"] = "row-" + sha256_hex(job.dump()).substr(0, 32);
    return job;
}

}  // namespace sota::core::api
