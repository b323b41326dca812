#include "core/sse.hpp"

namespace sota::core {

void SseParser::feed(std::string_view chunk, const Handler& on_event) {
    for (const char c : chunk) {
        if (m_after_cr) {
            m_after_cr = false;
            if (c == '\n') {
                continue;  // the "\n" of a "\r\n" split across chunks
            }
        }
        if (c == '\r' || c == '\n') {
            m_after_cr = c == '\r';
            line(on_event);
            continue;
        }
        m_line += c;
    }
}

void SseParser::line(const Handler& on_event) {
    if (m_line.empty()) {
        if (m_has_data) {
            on_event(m_event);
        }
        m_event = SseEvent{};
        m_has_data = false;
        return;
    }
    if (m_line.front() == ':') {
        m_line.clear();
        return;
    }
    const auto colon = m_line.find(':');
    const std::string field = m_line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : m_line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
        value.erase(0, 1);
    }
    if (field == "data") {
        if (m_has_data) {
            m_event.data += '\n';
        }
        m_event.data += value;
        m_has_data = true;
    } else if (field == "event") {
        m_event.event = value;
    }
    m_line.clear();
}

}  // namespace sota::core
