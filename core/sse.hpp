#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace sota::core {

/// One server-sent event.
struct SseEvent {
    std::string event;  ///< the `event:` name; empty when the server sent none
    std::string data;   ///< `data:` lines joined with '\n'
};

/// Incremental parser for text/event-stream bodies (WHATWG rules): lines end in "\n", "\r\n" or
/// "\r" (also when a chunk boundary splits "\r\n"), a blank line ends an event, lines starting
/// with ':' are comments. An event cut off by the end of the stream is never delivered.
class SseParser {
  public:
    using Handler = std::function<void(const SseEvent&)>;

    /// Parses a chunk, calling `on_event` for every event it completes.
    void feed(std::string_view chunk, const Handler& on_event);

    /// True if the stream ended in the middle of an event (bytes or fields not yet dispatched).
    bool has_partial_event() const {
        return !m_line.empty() || !m_event.data.empty() || m_has_data;
    }

  private:
    void line(const Handler& on_event);

    std::string m_line;
    SseEvent m_event;
    bool m_has_data = false;
    bool m_after_cr = false;
};

}  // namespace sota::core
