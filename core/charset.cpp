#include "core/charset.hpp"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include "core/text.hpp"

namespace sota::core {
namespace {

std::string charset_after(std::string_view text, std::size_t pos) {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '"' || text[pos] == '\'' || text[pos] == '=')) {
        ++pos;
    }
    std::size_t end = pos;
    while (end < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '-' ||
            text[end] == '_' || text[end] == '.' || text[end] == ':')) {
        ++end;
    }
    return to_lower(text.substr(pos, end - pos));
}

}  // namespace

std::string charset_from_content_type(std::string_view content_type) {
    const std::string lowered = to_lower(content_type);
    const auto at = lowered.find("charset");
    return at == std::string::npos ? "" : charset_after(lowered, at + 7);
}

std::string charset_from_html(std::string_view html) {
    const std::string head = to_lower(html.substr(0, 2048));
    std::size_t at = 0;
    while ((at = head.find("<meta", at)) != std::string::npos) {
        const auto close = head.find('>', at);
        const std::string tag =
            head.substr(at, close == std::string::npos ? std::string::npos : close - at);
        if (const auto c = tag.find("charset"); c != std::string::npos) {
            return charset_after(tag, c + 7);
        }
        at += 5;
    }
    return "";
}

bool is_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t continuation = 0;
        if (c < 0x80) {
            continuation = 0;
        } else if ((c >> 5) == 0x6) {
            continuation = 1;
        } else if ((c >> 4) == 0xe) {
            continuation = 2;
        } else if ((c >> 3) == 0x1e) {
            continuation = 3;
        } else {
            return false;
        }
        if (i + continuation >= s.size() && continuation > 0) {
            return false;
        }
        for (std::size_t k = 1; k <= continuation; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) {
                return false;
            }
        }
        i += continuation + 1;
    }
    return true;
}

Expected<std::string> to_utf8(std::string_view bytes, std::string_view charset) {
    std::string cs = to_lower(charset);
    if (cs.empty() || cs == "utf-8" || cs == "utf8") {
        if (is_valid_utf8(bytes)) {
            return std::string(bytes);
        }
        cs = "windows-1252";
    }
    if (cs == "iso-8859-1" || cs == "latin1" || cs == "us-ascii" || cs == "ascii") {
        cs = "windows-1252";  // per the WHATWG Encoding standard
    }
    iconv_t cd = iconv_open("UTF-8", cs.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) {
        return fail(ErrorKind::provider, "web.unknown_charset",
                    "the page is in charset '" + cs + "', which sota cannot read");
    }
    std::string out;
    out.resize(bytes.size() * 4 + 16);
    char* in_ptr = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size();
    char* out_ptr = out.data();
    std::size_t out_left = out.size();
    while (in_left > 0) {
        if (iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left) == static_cast<std::size_t>(-1)) {
            if (errno == EILSEQ || errno == EINVAL) {
                ++in_ptr;  // skip an undecodable byte rather than lose the page
                --in_left;
                continue;
            }
            break;
        }
    }
    iconv_close(cd);
    out.resize(out.size() - out_left);
    return out;
}

}  // namespace sota::core
