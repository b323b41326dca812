#pragma once

#include <cstddef>
#include <functional>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace sota::adapters {

/// One row of a batch file: where it starts and its fields by column name (lower-case). Every
/// column of the header is present; an empty field is "".
struct BatchRow {
    std::size_t line = 0;  ///< 1-based line the row starts on
    std::map<std::string, std::string> fields;
};

/// A row that cannot be read: the line it starts on and what is wrong, as
/// "FILE:LINE:COLUMN: problem; fix".
struct BadRow {
    std::size_t line = 0;
    std::string message;
};

/// Streams a batch file row by row without holding it whole: strict RFC 4180 CSV with a header
/// row (quoted fields with commas, doubled quotes and newlines; CRLF, LF or CR; a UTF-8 BOM), or
/// JSON lines (one object per line, detected by a leading '{').
///
/// The CSV reader is written here rather than taken from libcsv because it says where a file is
/// wrong (FILE:LINE:COLUMN) and refuses what libcsv let through: a quoted field never closed
/// (libcsv swallowed the following rows into it), text after a closing quote, a quote inside an
/// unquoted field, a row with fewer or more fields than the header, and bytes that are not
/// UTF-8. Such a row goes to `on_bad_row` and reading goes on with the next row; without
/// `on_bad_row` the first one is the error. A header that names a column twice, a header with a
/// problem, or a quote left open at the end of the file is always the error. `on_row` may
/// return false to stop.
core::Status read_batch(std::istream& in, const std::string& source,
                        const std::function<bool(BatchRow)>& on_row,
                        const std::function<void(BadRow)>& on_bad_row = nullptr);

}  // namespace sota::adapters
