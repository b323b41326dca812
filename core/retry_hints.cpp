#include "core/retry_hints.hpp"

#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

namespace sota::core {
namespace {

std::optional<double> number(std::string_view text) {
    double v = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || ptr != end || text.empty()) {
        return std::nullopt;
    }
    return v;
}

std::chrono::milliseconds clamp_ms(double ms) {
    return std::chrono::milliseconds(ms < 0 ? 0 : std::llround(ms));
}

std::chrono::milliseconds until(std::chrono::system_clock::time_point t,
                                std::chrono::system_clock::time_point now) {
    const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(t - now);
    return d.count() < 0 ? std::chrono::milliseconds(0) : d;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    double total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t start = i;
        while (i < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
            ++i;
        }
        const auto value = number(text.substr(start, i - start));
        const std::size_t unit_start = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) {
            ++i;
        }
        const std::string_view unit = text.substr(unit_start, i - unit_start);
        if (!value) {
            return std::nullopt;
        }
        if (unit == "ms") {
            total += *value;
        } else if (unit == "s") {
            total += *value * 1000;
        } else if (unit == "m") {
            total += *value * 60'000;
        } else if (unit == "h") {
            total += *value * 3'600'000;
        } else {
            return std::nullopt;
        }
    }
    return clamp_ms(total);
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
    std::tm tm{};
    const std::string s(text);
    const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) {
        return std::nullopt;
    }
    double fraction = 0;
    if (*rest == '.') {
        const char* start = rest;
        ++rest;
        while (std::isdigit(static_cast<unsigned char>(*rest))) {
            ++rest;
        }
        fraction = std::stod(std::string("0") + std::string(start, rest));
    }
    long offset_seconds = 0;
    if (*rest == '+' || *rest == '-') {
        int hh = 0, mm = 0;
        if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) {
            return std::nullopt;
        }
        offset_seconds = (hh * 3600L + mm * 60L) * (*rest == '+' ? 1 : -1);
    } else if (*rest != 'Z' && *rest != 'z') {
        return std::nullopt;
    }
    const std::time_t t = timegm(&tm) - offset_seconds;
    return std::chrono::system_clock::from_time_t(t) +
           std::chrono::milliseconds(std::llround(fraction * 1000));
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
    std::tm tm{};
    const std::string s(text);
    const char* rest = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!rest || *rest != '\0') {
        return std::nullopt;
    }
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::optional<std::chrono::milliseconds> retry_delay_from_headers(
    const HttpHeaders& headers, std::chrono::system_clock::time_point now) {
    if (const auto ms = find_header(headers, "retry-after-ms")) {
        if (const auto v = number(*ms)) {
            return clamp_ms(*v);
        }
    }
    if (const auto ra = find_header(headers, "retry-after")) {
        if (const auto v = number(*ra)) {
            return clamp_ms(*v * 1000);
        }
        if (const auto date = parse_http_date(*ra)) {
            return until(*date, now);
        }
    }
    // Rate-limit reset headers: only the limit that is exhausted says when to come back.
    std::optional<std::chrono::milliseconds> longest;
    auto consider = [&](std::optional<std::chrono::milliseconds> d) {
        if (d && (!longest || *d > *longest)) {
            longest = d;
        }
    };
    for (const char* kind : {"requests", "tokens"}) {
        const auto remaining = find_header(headers, std::string("x-ratelimit-remaining-") + kind);
        const auto reset = find_header(headers, std::string("x-ratelimit-reset-") + kind);
        if (remaining && reset && number(*remaining).value_or(1) <= 0) {
            consider(parse_go_duration(*reset));
        }
    }
    for (const char* kind : {"requests", "tokens", "input-tokens", "output-tokens"}) {
        const auto remaining =
            find_header(headers, std::string("anthropic-ratelimit-") + kind + "-remaining");
        const auto reset =
            find_header(headers, std::string("anthropic-ratelimit-") + kind + "-reset");
        if (remaining && reset && number(*remaining).value_or(1) <= 0) {
            if (const auto t = parse_rfc3339(*reset)) {
                consider(until(*t, now));
            }
        }
    }
    return longest;
}

RateInfo rate_info_from_headers(const HttpHeaders& headers,
                                std::chrono::system_clock::time_point now) {
    RateInfo info;
    auto lowest = [](std::optional<double>& slot, std::optional<double> v) {
        if (v && (!slot || *v < *slot)) {
            slot = v;
        }
    };
    for (const char* name : {"x-ratelimit-limit-requests", "anthropic-ratelimit-requests-limit"}) {
        if (const auto v = find_header(headers, name)) {
            lowest(info.limit_requests, number(*v));
        }
    }
    for (const char* name : {"x-ratelimit-limit-tokens", "anthropic-ratelimit-tokens-limit"}) {
        if (const auto v = find_header(headers, name)) {
            lowest(info.limit_tokens, number(*v));
        }
    }
    if (const auto v = find_header(headers, "x-ratelimit-remaining-requests")) {
        lowest(info.remaining_requests, number(*v));
        if (const auto r = find_header(headers, "x-ratelimit-reset-requests")) {
            info.requests_reset = parse_go_duration(*r);
        }
    }
    if (const auto v = find_header(headers, "x-ratelimit-remaining-tokens")) {
        lowest(info.remaining_tokens, number(*v));
        if (const auto r = find_header(headers, "x-ratelimit-reset-tokens")) {
            info.tokens_reset = parse_go_duration(*r);
        }
    }
    if (const auto v = find_header(headers, "anthropic-ratelimit-requests-remaining")) {
        lowest(info.remaining_requests, number(*v));
        if (const auto r = find_header(headers, "anthropic-ratelimit-requests-reset")) {
            if (const auto t = parse_rfc3339(*r)) {
                info.requests_reset = until(*t, now);
            }
        }
    }
    for (const char* kind : {"tokens", "input-tokens", "output-tokens"}) {
        if (const auto v =
                find_header(headers, std::string("anthropic-ratelimit-") + kind + "-remaining")) {
            lowest(info.remaining_tokens, number(*v));
            if (const auto r =
                    find_header(headers, std::string("anthropic-ratelimit-") + kind + "-reset")) {
                if (const auto t = parse_rfc3339(*r)) {
                    info.tokens_reset = until(*t, now);
                }
            }
        }
    }
    return info;
}

}  // namespace sota::core
