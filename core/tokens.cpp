#include "core/tokens.hpp"

#include <array>
#include <cstdint>

namespace sota::core {
namespace {

// Costs are summed in 48ths of a token, so that every fraction of the rule (1/2, 1/3, 1/4, 1/8,
// 1/16) is a whole number and the sum is rounded once, at the end.
constexpr std::uint64_t k_unit = 48;

// What a code point is, for cutting pieces. Only two-byte UTF-8 sequences can be letters:
// the Latin, Greek, Cyrillic, Hebrew and Arabic blocks; three- and four-byte ones (curly
// quotes, dashes, CJK, emoji) count as symbols.
enum class Kind : std::uint8_t { letter, digit, space, newline, symbol };

enum class ByteClass : std::uint8_t { lower, upper, digit, space, newline, punct, high };

constexpr std::array<ByteClass, 256> make_byte_classes() {
    std::array<ByteClass, 256> classes{};
    for (int byte = 0; byte < 256; ++byte) {
        auto& c = classes[static_cast<std::size_t>(byte)];
        if (byte >= 'a' && byte <= 'z') {
            c = ByteClass::lower;
        } else if (byte >= 'A' && byte <= 'Z') {
            c = ByteClass::upper;
        } else if (byte >= '0' && byte <= '9') {
            c = ByteClass::digit;
        } else if (byte == ' ' || byte == '\t' || byte == '\v' || byte == '\f') {
            c = ByteClass::space;
        } else if (byte == '\n' || byte == '\r') {
            c = ByteClass::newline;
        } else if (byte >= 0x80) {
            c = ByteClass::high;
        } else {
            c = ByteClass::punct;
        }
    }
    return classes;
}

constexpr std::array<ByteClass, 256> k_byte_classes = make_byte_classes();

struct CodePoint {
    Kind kind;
    std::size_t length;  // in bytes
};

class Estimator {
  public:
    explicit Estimator(std::string_view text)
        : m_bytes(reinterpret_cast<const unsigned char*>(text.data())), m_size(text.size()) {}

    std::uint64_t run();

  private:
    ByteClass byte_class(std::size_t i) const { return k_byte_classes[m_bytes[i]]; }
    CodePoint code_point(std::size_t i) const;
    // Past the end reads as a line break: nothing joins it.
    Kind kind_at(std::size_t i) const { return i < m_size ? code_point(i).kind : Kind::newline; }

    enum class Prefix : std::uint8_t { none, space, punct };
    // Each adds the cost of the piece that starts at `i` (its letters or symbols: a prefix is
    // already passed) and returns where the next piece starts.
    std::size_t word(std::size_t i, Prefix prefix);
    std::size_t punctuation(std::size_t i);
    std::size_t whitespace(std::size_t i);

    const unsigned char* m_bytes;
    std::size_t m_size;
    std::uint64_t m_cost = 0;
};

CodePoint Estimator::code_point(std::size_t i) const {
    switch (byte_class(i)) {
        case ByteClass::lower:
        case ByteClass::upper:
            return {Kind::letter, 1};
        case ByteClass::digit:
            return {Kind::digit, 1};
        case ByteClass::space:
            return {Kind::space, 1};
        case ByteClass::newline:
            return {Kind::newline, 1};
        case ByteClass::punct:
            return {Kind::symbol, 1};
        case ByteClass::high:
            break;
    }
    const unsigned lead = m_bytes[i];
    const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (i + length > m_size) {
        return {Kind::symbol, m_size - i};  // cut off at the end: one symbol
    }
    if (length == 2) {
        // U+00C0 and up, less × and ÷: letters; U+0080 to U+00BF (NBSP, ©, °, «, ») symbols.
        const unsigned value = ((lead & 0x1FU) << 6U) | (m_bytes[i + 1] & 0x3FU);
        if (value >= 0xC0 && value != 0xD7 && value != 0xF7) {
            return {Kind::letter, 2};
        }
    }
    return {Kind::symbol, length};
}

// Cost of `count` beyond `free`, at 1/`per_token` of a token each, in 48ths.
constexpr std::uint64_t beyond(std::uint64_t count, std::uint64_t free, std::uint64_t per_token) {
    return count > free ? (count - free) * (k_unit / per_token) : 0;
}

std::size_t Estimator::word(std::size_t i, Prefix prefix) {
    std::size_t j = i;
    std::uint64_t letters = 0;
    std::uint64_t upper = 0;
    std::uint64_t non_ascii = 0;
    const bool first_upper = byte_class(j) == ByteClass::upper;
    bool previous_lower = false;
    while (j < m_size) {
        const ByteClass c = byte_class(j);
        if (c == ByteClass::lower) {
            const std::size_t start = j;
            do {
                ++j;
            } while (j < m_size && byte_class(j) == ByteClass::lower);
            letters += j - start;
            previous_lower = true;
        } else if (c == ByteClass::upper) {
            if (previous_lower) {
                break;  // o200k starts a new piece at "fooBar"'s B
            }
            ++upper;
            ++letters;
            ++j;
        } else if (c == ByteClass::high) {
            const CodePoint point = code_point(j);
            if (point.kind != Kind::letter) {
                break;
            }
            ++non_ascii;
            ++letters;
            previous_lower = true;
            j += point.length;
        } else {
            break;
        }
    }

    std::uint64_t cost = k_unit;
    if (upper > 1 && upper < letters) {
        cost += beyond(letters, 2, 3);  // mixed case: "HJNRh", base64
    } else if (upper > 1) {
        cost += beyond(letters, 2, 4) + (prefix == Prefix::punct ? k_unit / 2 : 0);
    } else if (upper == 0 && prefix == Prefix::space) {
        cost += beyond(letters, 5, 16);
    } else if (upper == 1 && first_upper && prefix != Prefix::punct) {
        cost += beyond(letters, 7, 8);
    } else if (prefix == Prefix::none) {
        cost += beyond(letters, 5, 3);
    } else {
        cost += beyond(letters, 2, 3);  // after punctuation: ",delivered", "/search"
    }
    if (non_ascii > 0) {
        cost += k_unit / 2 + (non_ascii - 1) * (k_unit / 8);
    }
    m_cost += cost;
    return j;
}

std::size_t Estimator::punctuation(std::size_t i) {
    std::size_t j = i;
    std::uint64_t ascii = 0;
    std::uint64_t non_ascii = 0;
    std::uint64_t four_byte = 0;
    while (j < m_size) {
        if (byte_class(j) == ByteClass::punct) {
            ++ascii;
            ++j;
            continue;
        }
        const CodePoint point = code_point(j);
        if (point.kind != Kind::symbol) {
            break;
        }
        ++non_ascii;
        four_byte += point.length == 4 ? 1 : 0;
        j += point.length;
    }
    // tiktoken keeps the line breaks (and, in o200k, slashes) after punctuation in its piece.
    while (j < m_size && (m_bytes[j] == '\n' || m_bytes[j] == '\r' || m_bytes[j] == '/')) {
        ++j;
    }
    m_cost += k_unit + beyond(ascii, 2, 4) + beyond(non_ascii, 1, 1) + four_byte * k_unit;
    return j;
}

std::size_t Estimator::whitespace(std::size_t i) {
    std::size_t j = i;
    std::size_t after_last_newline = 0;
    while (j < m_size) {
        const ByteClass c = byte_class(j);
        if (c == ByteClass::newline) {
            after_last_newline = j + 1;
        } else if (c != ByteClass::space) {
            break;
        }
        ++j;
    }
    if (after_last_newline != 0) {
        m_cost += k_unit;  // everything up to the last line break is one piece
        return after_last_newline;
    }
    if (j == m_size) {
        m_cost += k_unit;
        return j;
    }
    const Kind next = code_point(j).kind;
    if (next == Kind::digit) {
        // A number takes no space: "   12" is "  ", " " and "12".
        m_cost += j - i >= 2 ? 2 * k_unit : k_unit;
        return j;
    }
    if (j - i >= 2) {
        m_cost += k_unit;  // all but the last space
    }
    // The last space goes with what follows (" word", " (").
    return next == Kind::letter ? word(j, Prefix::space) : punctuation(j);
}

std::uint64_t Estimator::run() {
    std::size_t i = 0;
    while (i < m_size) {
        switch (byte_class(i)) {
            case ByteClass::lower:
            case ByteClass::upper:
                i = word(i, Prefix::none);
                break;
            case ByteClass::digit: {
                const std::size_t start = i;
                do {
                    ++i;
                } while (i < m_size && byte_class(i) == ByteClass::digit);
                m_cost += (i - start + 2) / 3 * k_unit;
                break;
            }
            case ByteClass::space:
                // The usual case first: one space before an ASCII word.
                if (i + 1 < m_size && (byte_class(i + 1) == ByteClass::lower ||
                                       byte_class(i + 1) == ByteClass::upper)) {
                    i = word(i + 1, Prefix::space);
                } else {
                    i = whitespace(i);
                }
                break;
            case ByteClass::newline:
                i = whitespace(i);
                break;
            case ByteClass::punct:
            case ByteClass::high: {
                const CodePoint point = code_point(i);
                if (point.kind == Kind::letter) {
                    i = word(i, Prefix::none);
                } else if (kind_at(i + point.length) == Kind::letter) {
                    // One symbol right before a word belongs to it; an underscore joins like a
                    // space (snake_case).
                    i = word(i + point.length, m_bytes[i] == '_' ? Prefix::space : Prefix::punct);
                } else {
                    i = punctuation(i);
                }
                break;
            }
        }
    }
    return (m_cost + k_unit - 1) / k_unit;
}

}  // namespace

std::size_t estimate_tokens(std::string_view text) {
    return static_cast<std::size_t>(Estimator(text).run());
}

}  // namespace sota::core
