#include <catch2/catch.hpp>

#include "core/sse.hpp"

using namespace sota::core;

namespace {
std::vector<SseEvent> parse_in_pieces(const std::string& stream, std::size_t piece) {
    SseParser parser;
    std::vector<SseEvent> events;
    for (std::size_t i = 0; i < stream.size(); i += piece) {
        parser.feed(std::string_view(stream).substr(i, piece),
                    [&](const SseEvent& e) { events.push_back(e); });
    }
    return events;
}
}  // namespace

TEST_CASE("SSE events split on LF, CRLF and CR, whatever the chunk boundaries", "[sse]") {
    const std::string stream =
        ": keep-alive comment\n"
        "event: message_start\ndata: {\"a\":1}\n\n"
        "data: line one\r\ndata: line two\r\n\r\n"
        "data:no-space\r\r"
        "event: ping\ndata: {}\n\n";
    for (const std::size_t piece :
         {std::size_t{1}, std::size_t{2}, std::size_t{7}, stream.size()}) {
        INFO("piece size " << piece);
        const auto events = parse_in_pieces(stream, piece);
        REQUIRE(events.size() == 4);
        CHECK(events[0].event == "message_start");
        CHECK(events[0].data == "{\"a\":1}");
        CHECK(events[1].event.empty());
        CHECK(events[1].data == "line one\nline two");
        CHECK(events[2].data == "no-space");
        CHECK(events[3].event == "ping");
    }
}

TEST_CASE("an event cut off by the end of the stream is not delivered", "[sse]") {
    SseParser parser;
    int count = 0;
    parser.feed("data: whole\n\ndata: {\"partial\":", [&](const SseEvent&) { ++count; });
    CHECK(count == 1);
    CHECK(parser.has_partial_event());
}
