#include "core/pipeline/events.hpp"

#include "core/text.hpp"

namespace sota::core::pipeline {

const char* to_string(EventType type) {
    switch (type) {
        case EventType::status_change:
            return "status_change";
        case EventType::step_started:
            return "step_started";
        case EventType::step_restored:
            return "step_restored";
        case EventType::progress_update:
            return "progress_update";
        case EventType::step_completed:
            return "step_completed";
        case EventType::step_failed:
            return "step_failed";
        case EventType::retry:
            return "retry";
        case EventType::log:
            return "log";
        case EventType::error:
            return "error";
        case EventType::result_ready:
            return "result_ready";
    }
    return "log";
}

std::optional<EventType> event_type_from_string(std::string_view text) {
    for (int t = 0; t <= static_cast<int>(EventType::result_ready); ++t) {
        if (text == to_string(static_cast<EventType>(t))) {
            return static_cast<EventType>(t);
        }
    }
    return std::nullopt;
}

Event event_from_json(const nlohmann::json& doc) {
    Event event;
    event.seq = doc.value("seq", std::int64_t{0});
    event.job_id = doc.value("job_id", "");
    event.step = doc.value("step", "");
    event.data = doc.value("data", nlohmann::json::object());
    event.type = event_type_from_string(doc.value("type", "log")).value_or(EventType::log);
    return event;
}

nlohmann::json to_json(const Event& event) {
    nlohmann::json doc = {{"type", to_string(event.type)},
                          {"job_id", event.job_id},
                          {"time", iso8601_utc(event.time)},
                          {"data", event.data}};
    if (event.seq != 0) {
        doc["seq"] = event.seq;
    }
    if (!event.step.empty()) {
        doc["step"] = event.step;
    }
    return doc;
}

}  // namespace sota::core::pipeline
