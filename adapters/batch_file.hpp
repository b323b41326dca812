#pragma once

#include <cstddef>
#include <functional>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace sota::adapters {

/// One row of a batch file: where it starts and its fields by column name (lower-case).
struct BatchRow {
    std::size_t line = 0;  ///< 1-based line the row starts on
    std::map<std::string, std::string> fields;
};

/// Streams a batch file row by row without holding it whole: RFC 4180 CSV with a header row
/// (quoted fields with commas, quotes and newlines, CRLF or LF, a UTF-8 BOM; libcsv), or JSON
/// lines (one object per line, detected by a leading '{'). A CSV row with more fields than the
/// header is an error naming its line; fewer fields leave the rest empty. `on_row` may return
/// false to stop. Errors name `source` and the line.
core::Status read_batch(std::istream& in, const std::string& source,
                        const std::function<bool(BatchRow)>& on_row);

}  // namespace sota::adapters
