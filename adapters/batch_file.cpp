#include "adapters/batch_file.hpp"

#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace sota::adapters {

namespace {

/// A field this long is a quote left open, or not a batch file: 1 MiB is also the most sotad
/// takes in one request.
constexpr std::size_t k_max_field = 1024 * 1024;

const char* const k_quote_fix =
    "put the whole field in quotes and double each quote inside it, as in \"12\"\" pizza\"";

std::string byte_hex(unsigned char c) {
    static const char digits[] = "0123456789ABCDEF";
    return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

/// Checks UTF-8 one byte at a time (RFC 3629: no overlong forms, no surrogates, nothing past
/// U+10FFFF).
class Utf8Check {
  public:
    /// Whether `c` starts a character (so advances the column).
    static bool starts_character(unsigned char c) { return (c & 0xC0) != 0x80; }

    /// False if `c` cannot come next; the check then starts over at `c`.
    bool next(unsigned char c) {
        if (m_need > 0) {
            if (c >= m_lo && c <= m_hi) {
                --m_need;
                m_lo = 0x80;
                m_hi = 0xBF;
                return true;
            }
            m_need = 0;
            lead(c);
            return false;
        }
        return lead(c);
    }

    /// Whether a character is cut short.
    bool pending() const { return m_need > 0; }

  private:
    bool lead(unsigned char c) {
        m_lo = 0x80;
        m_hi = 0xBF;
        if (c < 0x80) {
            return true;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            m_need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            m_need = 2;
            m_lo = c == 0xE0 ? 0xA0 : 0x80;
            m_hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            m_need = 3;
            m_lo = c == 0xF0 ? 0x90 : 0x80;
            m_hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            return false;
        }
        return true;
    }

    int m_need = 0;
    unsigned char m_lo = 0x80;
    unsigned char m_hi = 0xBF;
};

const char* const k_utf8_fix = "save the file as UTF-8 (in a spreadsheet: CSV UTF-8)";

/// The strict RFC 4180 reader: bytes in, rows out.
class CsvReader {
  public:
    CsvReader(std::string source, const std::function<bool(BatchRow)>& on_row,
              const std::function<void(BadRow)>& on_bad_row)
        : m_source(std::move(source)), m_on_row(on_row), m_on_bad_row(on_bad_row) {}

    /// False once reading should end (an error, or `on_row` said stop).
    bool feed(const char* data, std::size_t size) {
        for (std::size_t i = 0; i < size && !m_error && !m_stopped; ++i) {
            byte(static_cast<unsigned char>(data[i]));
        }
        return !m_error && !m_stopped;
    }

    core::Status finish() {
        if (!m_error && !m_stopped) {
            if (m_utf8.pending()) {
                problem(m_lead_line, m_lead_column,
                        "the file ends inside a UTF-8 character; " + std::string(k_utf8_fix));
            }
            if (m_state == State::quoted) {
                fail_at(m_quote_line, m_quote_column,
                        "the quoted field that starts here is never closed (it runs to the end "
                        "of the file, taking every row after it); add the closing quote, and "
                        "double each quote inside the field (\"\")");
            } else if (m_in_row) {
                ++m_column;
                end_row();
            }
        }
        if (m_error) {
            return core::fail(*m_error);
        }
        if (m_header.empty() && !m_stopped) {
            return core::fail(core::ErrorKind::usage, "batch.empty",
                              m_source +
                                  ": the file is empty; a CSV needs a header row with a "
                                  "'keyword' column");
        }
        return {};
    }

  private:
    enum class State { field_start, unquoted, quoted, quote_in_quoted };

    std::string where(std::size_t line, std::size_t column) const {
        return m_source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
    }

    void fail_at(std::size_t line, std::size_t column, const std::string& text) {
        if (!m_error) {
            m_error = core::Error{core::ErrorKind::usage, "batch.csv", where(line, column) + text};
        }
    }

    /// Notes the row's first problem; the row is read to its end and then refused.
    void problem(std::size_t line, std::size_t column, const std::string& text) {
        if (!m_problem) {
            m_problem = where(line, column) + text;
        }
    }

    void byte(unsigned char c) {
        if (m_skip_lf) {
            m_skip_lf = false;
            if (c == '\n') {
                return;  // the LF of a CRLF already counted at the CR
            }
        }
        // A character cut short is reported where it starts; a stray byte where it is.
        const bool pending = m_utf8.pending();
        if (Utf8Check::starts_character(c) || !pending) {
            ++m_column;
        }
        const bool fits = m_utf8.next(c);
        if (!fits) {
            problem(pending ? m_lead_line : m_line, pending ? m_lead_column : m_column,
                    "this is not UTF-8 (byte " + byte_hex(pending ? m_lead : c) + "); " +
                        std::string(k_utf8_fix));
        }
        if (c >= 0x80 && Utf8Check::starts_character(c) && (!pending || !fits)) {
            m_lead_line = m_line;
            m_lead_column = m_column;
            m_lead = c;
        }
        if (!m_in_row) {
            m_in_row = true;
            m_row_line = m_line;
        }
        csv(c);
        if (c == '\n' || (c == '\r' && m_state != State::quoted)) {
            ++m_line;
            m_column = 0;
        }
    }

    void csv(unsigned char c) {
        switch (m_state) {
            case State::field_start:
                if (m_fields.size() == m_header.size() && !m_header.empty()) {
                    m_extra_line = m_line;
                    m_extra_column = m_column;
                }
                if (c == '"') {
                    m_state = State::quoted;
                    m_quoted = true;
                    m_quote_line = m_line;
                    m_quote_column = m_column;
                    return;
                }
                if (separator(c)) {
                    return;
                }
                m_state = State::unquoted;
                break;
            case State::unquoted:
                if (separator(c)) {
                    return;
                }
                if (c == '"') {
                    problem(m_line, m_column,
                            "a quote inside a field that does not start with one; " +
                                std::string(k_quote_fix));
                }
                break;
            case State::quoted:
                if (c == '"') {
                    m_state = State::quote_in_quoted;
                    return;
                }
                break;
            case State::quote_in_quoted:
                if (c == '"') {
                    m_state = State::quoted;  // "" is one quote
                    break;
                }
                if (separator(c)) {
                    return;
                }
                problem(m_line, m_column,
                        "text after the closing quote of a field; " + std::string(k_quote_fix));
                m_state = State::unquoted;
                break;
        }
        if (m_field.size() >= k_max_field) {
            if (m_state == State::quoted) {
                fail_at(m_quote_line, m_quote_column,
                        "this quoted field is longer than 1 MiB: is its closing quote missing? "
                        "Add it, and double each quote inside the field (\"\")");
            } else {
                fail_at(m_line, m_column, "a field is longer than 1 MiB; keep each under 1 MiB");
            }
            return;
        }
        m_field.push_back(static_cast<char>(c));
    }

    /// Handles a comma or a line break outside quotes; false for any other byte.
    bool separator(unsigned char c) {
        if (c != ',' && c != '\n' && c != '\r') {
            return false;
        }
        m_fields.push_back(std::move(m_field));
        m_field.clear();
        m_state = State::field_start;
        if (c != ',') {
            m_skip_lf = c == '\r';
            end_row();
        }
        return true;
    }

    void end_row() {
        if (m_state != State::field_start) {
            m_fields.push_back(std::move(m_field));
            m_field.clear();
            m_state = State::field_start;
        }
        std::vector<std::string> fields = std::move(m_fields);
        m_fields.clear();
        std::optional<std::string> problem_text = std::move(m_problem);
        m_problem.reset();
        const bool quoted = m_quoted;
        m_quoted = false;
        m_in_row = false;
        const std::size_t line = m_row_line;
        if (fields.size() == 1 && !quoted && core::trim(fields[0]).empty() && !problem_text) {
            return;  // a blank line
        }
        if (m_header.empty()) {
            read_header(fields, problem_text);
            return;
        }
        if (!problem_text && fields.size() < m_header.size()) {
            const std::size_t missing = m_header.size() - fields.size();
            std::string names;
            for (std::size_t i = fields.size(); i < m_header.size(); ++i) {
                names += (names.empty() ? "" : ", ") + m_header[i];
            }
            problem_text = where(m_line, m_column) + std::to_string(fields.size()) +
                           " fields but the header has " + std::to_string(m_header.size()) +
                           "; add the missing " + (missing == 1 ? "field" : "fields") + " (" +
                           names + "), an empty one as nothing between two commas";
        }
        if (!problem_text && fields.size() > m_header.size()) {
            problem_text = where(m_extra_line, m_extra_column) + std::to_string(fields.size()) +
                           " fields but the header has " + std::to_string(m_header.size()) +
                           "; quote fields that contain commas";
        }
        if (problem_text) {
            if (m_on_bad_row) {
                m_on_bad_row(BadRow{line, *problem_text});
            } else {
                m_error = core::Error{core::ErrorKind::usage, "batch.csv", *problem_text};
            }
            return;
        }
        BatchRow row;
        row.line = line;
        for (std::size_t i = 0; i < m_header.size(); ++i) {
            row.fields[m_header[i]] = std::move(fields[i]);
        }
        m_stopped = !m_on_row(std::move(row));
    }

    void read_header(std::vector<std::string>& fields, const std::optional<std::string>& problem) {
        if (problem) {
            m_error =
                core::Error{core::ErrorKind::usage, "batch.csv", *problem + " (in the header row)"};
            return;
        }
        std::map<std::string, std::size_t> seen;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            std::string name = core::to_lower(core::trim(fields[i]));
            const auto [at, added] = seen.emplace(name, i + 1);
            if (!added) {
                m_error = core::Error{
                    core::ErrorKind::usage, "batch.csv",
                    m_source + ":" + std::to_string(m_row_line) + ": the header names column '" +
                        name + "' twice (columns " + std::to_string(at->second) + " and " +
                        std::to_string(i + 1) + "); rename or remove one"};
                return;
            }
            m_header.push_back(std::move(name));
        }
    }

    std::string m_source;
    const std::function<bool(BatchRow)>& m_on_row;
    const std::function<void(BadRow)>& m_on_bad_row;
    std::vector<std::string> m_header;

    State m_state = State::field_start;
    Utf8Check m_utf8;
    std::string m_field;
    std::vector<std::string> m_fields;
    bool m_quoted = false;  // the row has a quoted field (so `""` alone is not a blank line)
    bool m_in_row = false;
    bool m_skip_lf = false;
    std::size_t m_line = 1;
    std::size_t m_column = 0;  // of the character being read
    std::size_t m_row_line = 1;
    std::size_t m_quote_line = 0, m_quote_column = 0;  // the last opening quote
    std::size_t m_lead_line = 0, m_lead_column = 0;    // the last character past ASCII
    unsigned char m_lead = 0;
    std::size_t m_extra_line = 0, m_extra_column = 0;  // where a field past the header's began
    std::optional<std::string> m_problem;
    std::optional<core::Error> m_error;
    bool m_stopped = false;
};

/// Where UTF-8 breaks in `text` (1-based column), or 0; `byte` is the byte that is wrong.
std::size_t bad_utf8_column(const std::string& text, unsigned char* byte) {
    Utf8Check check;
    std::size_t column = 0, lead_column = 0;
    unsigned char lead = 0;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        const bool pending = check.pending();
        column += Utf8Check::starts_character(c) || !pending ? 1 : 0;
        if (!check.next(c)) {
            *byte = pending ? lead : c;
            return pending ? lead_column : column;
        }
        if (c >= 0x80 && !pending) {
            lead = c;
            lead_column = column;
        }
    }
    *byte = lead;
    return check.pending() ? lead_column : 0;
}

core::Status read_json_lines(std::istream& in, const std::string& source, std::string first,
                             const std::function<bool(BatchRow)>& on_row,
                             const std::function<void(BadRow)>& on_bad_row) {
    std::string line = std::move(first);
    std::size_t number = 1;
    do {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (!core::trim(line).empty()) {
            const std::string at = source + ":" + std::to_string(number) + ":";
            std::optional<std::string> problem;
            nlohmann::json doc;
            unsigned char byte = 0;
            if (const auto column = bad_utf8_column(line, &byte); column > 0) {
                problem = at + std::to_string(column) + ": this is not UTF-8" +
                          (byte ? " (byte " + byte_hex(byte) + ")" : std::string()) + "; " +
                          k_utf8_fix;
            } else {
                doc = nlohmann::json::parse(line, nullptr, false);
                if (doc.is_discarded() || !doc.is_object()) {
                    problem = at +
                              "1: not a JSON object; each line holds one job, as in "
                              "{\"keyword\": \"best espresso grinder\"}";
                }
            }
            if (problem) {
                if (!on_bad_row) {
                    return core::fail(core::ErrorKind::usage, "batch.bad_json", *problem);
                }
                on_bad_row(BadRow{number, *problem});
            } else {
                BatchRow row;
                row.line = number;
                for (const auto& [key, value] : doc.items()) {
                    row.fields[core::to_lower(key)] = value.is_string() ? value.get<std::string>()
                                                      : value.is_null() ? std::string()
                                                                        : value.dump();
                }
                if (!on_row(std::move(row))) {
                    return {};
                }
            }
        }
        ++number;
    } while (std::getline(in, line));
    return {};
}

}  // namespace

core::Status read_batch(std::istream& in, const std::string& source,
                        const std::function<bool(BatchRow)>& on_row,
                        const std::function<void(BadRow)>& on_bad_row) {
    // Skip a UTF-8 byte order mark, then look at the first character to tell the format.
    char bom[3] = {0, 0, 0};
    in.read(bom, 3);
    const std::streamsize got = in.gcount();
    std::string start;
    if (!(got == 3 && bom[0] == '\xEF' && bom[1] == '\xBB' && bom[2] == '\xBF')) {
        start.assign(bom, static_cast<std::size_t>(got));
    }
    // Enough of the start to see its first character past blank space.
    while (start.find_first_not_of(" \t\r\n") == std::string::npos && start.size() < 4096 &&
           in.peek() != std::char_traits<char>::eof()) {
        start.push_back(static_cast<char>(in.get()));
    }
    const auto first = start.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && start[first] == '{') {
        std::string line;
        std::getline(in, line);
        return read_json_lines(in, source, start + line, on_row, on_bad_row);
    }
    CsvReader reader(source, on_row, on_bad_row);
    bool going = reader.feed(start.data(), start.size());
    std::vector<char> buffer(64 * 1024);
    while (going && in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        going = reader.feed(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    return reader.finish();
}

}  // namespace sota::adapters
