#include "adapters/batch_file.hpp"

#include <csv.h>

#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace sota::adapters {

namespace {

/// libcsv's callbacks fill this.
struct CsvState {
    std::vector<std::string> header;
    std::vector<std::string> fields;
    std::size_t line = 1;      // the line being read
    std::size_t row_line = 1;  // where the current row began: the line after the last row
    const std::function<bool(BatchRow)>* on_row = nullptr;
    std::string source;
    std::optional<core::Error> error;
    bool stopped = false;
};

void on_field(void* data, std::size_t len, void* cls) {
    auto* s = static_cast<CsvState*>(cls);
    s->fields.emplace_back(static_cast<const char*>(data), len);
}

void on_row_end(int, void* cls) {
    auto* s = static_cast<CsvState*>(cls);
    // A row ends at its line's terminator, so the next one starts on the following line.
    const std::size_t line = s->row_line;
    s->row_line = s->line + 1;
    std::vector<std::string> fields = std::move(s->fields);
    s->fields.clear();
    if (s->error || s->stopped) {
        return;
    }
    if (s->header.empty()) {
        for (auto& f : fields) {
            s->header.push_back(core::to_lower(core::trim(f)));
        }
        return;
    }
    if (fields.size() == 1 && core::trim(fields[0]).empty()) {
        return;  // a blank line
    }
    if (fields.size() > s->header.size()) {
        s->error = core::Error{core::ErrorKind::usage, "batch.ragged",
                               s->source + ":" + std::to_string(line) + ": " +
                                   std::to_string(fields.size()) + " fields but the header has " +
                                   std::to_string(s->header.size()) +
                                   "; quote fields that contain commas"};
        return;
    }
    BatchRow row;
    row.line = line;
    for (std::size_t i = 0; i < s->header.size(); ++i) {
        row.fields[s->header[i]] = i < fields.size() ? fields[i] : "";
    }
    s->stopped = !(*s->on_row)(std::move(row));
}

core::Status read_json_lines(std::istream& in, const std::string& source, std::string first,
                             const std::function<bool(BatchRow)>& on_row) {
    std::string line = std::move(first);
    std::size_t number = 1;
    do {
        if (!core::trim(line).empty()) {
            const auto doc = nlohmann::json::parse(line, nullptr, false);
            if (doc.is_discarded() || !doc.is_object()) {
                return core::fail(core::ErrorKind::usage, "batch.bad_json",
                                  source + ":" + std::to_string(number) +
                                      ": not a JSON object; each line holds one job");
            }
            BatchRow row;
            row.line = number;
            for (const auto& [key, value] : doc.items()) {
                row.fields[core::to_lower(key)] =
                    value.is_string() ? value.get<std::string>() : value.dump();
            }
            if (!on_row(std::move(row))) {
                return {};
            }
        }
        ++number;
    } while (std::getline(in, line));
    return {};
}

}  // namespace

core::Status read_batch(std::istream& in, const std::string& source,
                        const std::function<bool(BatchRow)>& on_row) {
    // Skip a UTF-8 byte order mark, then look at the first character to tell the format.
    char bom[3] = {0, 0, 0};
    in.read(bom, 3);
    const std::streamsize got = in.gcount();
    std::string start;
    if (!(got == 3 && bom[0] == '\xEF' && bom[1] == '\xBB' && bom[2] == '\xBF')) {
        start.assign(bom, static_cast<std::size_t>(got));
    }
    const auto first = start.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && start[first] == '{') {
        std::string line;
        std::getline(in, line);
        return read_json_lines(in, source, start + line, on_row);
    }
    csv_parser parser;
    csv_init(&parser, CSV_APPEND_NULL);
    CsvState state;
    state.on_row = &on_row;
    state.source = source;
    auto feed = [&](const char* data, std::size_t size) {
        // Fed in runs between newlines, so each row's starting line is known.
        std::size_t pos = 0;
        while (pos < size && !state.error && !state.stopped) {
            const void* nl = std::memchr(data + pos, '\n', size - pos);
            const std::size_t end =
                nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1 : size;
            if (csv_parse(&parser, data + pos, end - pos, on_field, on_row_end, &state) !=
                end - pos) {
                state.error = core::Error{core::ErrorKind::usage, "batch.csv",
                                          source + ":" + std::to_string(state.line) + ": " +
                                              csv_strerror(csv_error(&parser))};
            }
            if (nl) {
                ++state.line;
            }
            pos = end;
        }
    };
    feed(start.data(), start.size());
    std::vector<char> buffer(64 * 1024);
    while (!state.error && !state.stopped && in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        feed(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (!state.error && !state.stopped) {
        csv_fini(&parser, on_field, on_row_end, &state);
    }
    csv_free(&parser);
    if (state.error) {
        return core::fail(*state.error);
    }
    if (state.header.empty()) {
        return core::fail(core::ErrorKind::usage, "batch.empty",
                          source +
                              ": the file is empty; a CSV needs a header row with a "
                              "'keyword' column");
    }
    return {};
}

}  // namespace sota::adapters
