#include "core/schedule/cron.hpp"

#include <array>
#include <chrono>

#include "core/text.hpp"

namespace sota::core::schedule {

namespace {

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = static_cast<int>(y - era * 400);
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

CivilTime civil_from_minutes(std::int64_t minutes) {
    std::int64_t days = minutes / 1440;
    std::int64_t rest = minutes % 1440;
    if (rest < 0) {
        rest += 1440;
        --days;
    }
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int doe = static_cast<int>(z - era * 146097);
    const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int mp = (5 * doy + 2) / 153;
    CivilTime c;
    c.day = doy - (153 * mp + 2) / 5 + 1;
    c.month = mp < 10 ? mp + 3 : mp - 9;
    c.year = static_cast<int>(yoe + era * 400) + (c.month <= 2);
    c.hour = static_cast<int>(rest / 60);
    c.minute = static_cast<int>(rest % 60);
    return c;
}

std::int64_t to_minutes(const CivilTime& c) {
    return days_from_civil(c.year, c.month, c.day) * 1440 + c.hour * 60 + c.minute;
}

Unexpected invalid(const std::string& field, const std::string& message) {
    return fail(ErrorKind::usage, "cron.invalid", field + ": " + message);
}

const std::array<const char*, 12> k_months = {"jan", "feb", "mar", "apr", "may", "jun",
                                              "jul", "aug", "sep", "oct", "nov", "dec"};
const std::array<const char*, 7> k_days = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

/// A number or, for months and weekdays, a three-letter name.
std::optional<int> value_of(const std::string& token, int field) {
    const std::string lower = to_lower(token);
    if (field == 3) {
        for (std::size_t i = 0; i < k_months.size(); ++i) {
            if (lower == k_months[i]) {
                return static_cast<int>(i) + 1;
            }
        }
    }
    if (field == 4) {
        for (std::size_t i = 0; i < k_days.size(); ++i) {
            if (lower == k_days[i]) {
                return static_cast<int>(i);
            }
        }
    }
    if (token.empty() || token.find_first_not_of("0123456789") != std::string::npos ||
        token.size() > 4) {
        return std::nullopt;
    }
    return std::stoi(token);
}

/// Parses one field into the values it allows.
Expected<std::vector<int>> parse_field(const std::string& text, int field) {
    static const char* names[] = {"minute", "hour", "day of month", "month", "day of week"};
    static const int lows[] = {0, 0, 1, 1, 0};
    static const int highs[] = {59, 23, 31, 12, 7};
    const std::string name = names[field];
    const int low = lows[field], high = highs[field];
    std::vector<int> values;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto comma = text.find(',', start);
        if (comma == std::string::npos) {
            comma = text.size();
        }
        const std::string part = text.substr(start, comma - start);
        start = comma + 1;
        if (part.empty()) {
            return invalid(name, "an empty item in '" + text + "'");
        }
        int step = 1;
        std::string range = part;
        if (const auto slash = part.find('/'); slash != std::string::npos) {
            const auto s = value_of(part.substr(slash + 1), -1);
            if (!s || *s == 0) {
                return invalid(name, "the step in '" + part + "' must be a positive number");
            }
            step = *s;
            range = part.substr(0, slash);
        }
        int from = low, to = high;
        if (range != "*") {
            const auto dash = range.find('-');
            const auto a = value_of(range.substr(0, dash), field);
            if (!a) {
                return invalid(
                    name, "'" + range + "' is not a number" + (field >= 3 ? " or a name" : ""));
            }
            from = *a;
            to = *a;
            if (dash != std::string::npos) {
                const auto b = value_of(range.substr(dash + 1), field);
                if (!b) {
                    return invalid(name, "'" + range + "' is not a range");
                }
                to = *b;
            } else if (part.find('/') != std::string::npos) {
                to = high;  // "5/15" means from 5 to the end, every 15
            }
        }
        if (from < low || to > high || from > to) {
            return invalid(name, "'" + part + "' is outside " + std::to_string(low) + "-" +
                                     std::to_string(high));
        }
        for (int v = from; v <= to; v += step) {
            values.push_back(field == 4 && v == 7 ? 0 : v);
        }
        if (comma == text.size()) {
            break;
        }
    }
    return values;
}

}  // namespace

int weekday(int year, int month, int day) {
    const std::int64_t days = days_from_civil(year, month, day);
    return static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
}

int days_in_month(int year, int month) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

std::vector<WallTime> UtcZone::from_local(const CivilTime& local) const {
    return {WallTime(std::chrono::minutes(to_minutes(local)))};
}

CivilTime UtcZone::to_local(WallTime instant) const {
    return civil_from_minutes(
        std::chrono::floor<std::chrono::minutes>(instant.time_since_epoch()).count());
}

Expected<CronExpr> CronExpr::parse(std::string_view text) {
    std::string expr = trim(text);
    static const std::pair<const char*, const char*> macros[] = {
        {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"}};
    if (!expr.empty() && expr[0] == '@') {
        bool known = false;
        for (const auto& [macro, fields] : macros) {
            if (to_lower(expr) == macro) {
                expr = fields;
                known = true;
            }
        }
        if (!known) {
            return fail(
                ErrorKind::usage, "cron.invalid",
                "unknown macro '" + expr + "'; use @yearly, @monthly, @weekly, @daily or @hourly");
        }
    }
    std::vector<std::string> fields;
    std::size_t pos = 0;
    while (pos < expr.size()) {
        const auto start = expr.find_first_not_of(" \t", pos);
        if (start == std::string::npos) {
            break;
        }
        const auto end = expr.find_first_of(" \t", start);
        fields.push_back(expr.substr(start, end - start));
        pos = end == std::string::npos ? expr.size() : end;
    }
    if (fields.size() != 5) {
        return fail(ErrorKind::usage, "cron.invalid",
                    "a cron expression has 5 fields (minute hour day-of-month month "
                    "day-of-week), got " +
                        std::to_string(fields.size()) + " in '" + std::string(text) + "'");
    }
    CronExpr cron;
    cron.m_text = trim(text);
    for (int f = 0; f < 5; ++f) {
        auto values = parse_field(fields[static_cast<std::size_t>(f)], f);
        if (!values) {
            return fail(values.error());
        }
        for (int v : *values) {
            switch (f) {
                case 0:
                    cron.m_minutes.set(static_cast<std::size_t>(v));
                    break;
                case 1:
                    cron.m_hours.set(static_cast<std::size_t>(v));
                    break;
                case 2:
                    cron.m_days.set(static_cast<std::size_t>(v));
                    break;
                case 3:
                    cron.m_months.set(static_cast<std::size_t>(v));
                    break;
                default:
                    cron.m_weekdays.set(static_cast<std::size_t>(v));
            }
        }
    }
    cron.m_any_day = fields[2][0] == '*';
    cron.m_any_weekday = fields[4][0] == '*';
    return cron;
}

bool CronExpr::matches(const CivilTime& c) const {
    return m_minutes.test(static_cast<std::size_t>(c.minute)) &&
           m_hours.test(static_cast<std::size_t>(c.hour)) &&
           m_months.test(static_cast<std::size_t>(c.month)) && matches_day(c);
}

bool CronExpr::matches_day(const CivilTime& c) const {
    const bool day = m_days.test(static_cast<std::size_t>(c.day));
    const bool wday = m_weekdays.test(static_cast<std::size_t>(weekday(c.year, c.month, c.day)));
    if (!m_any_day && !m_any_weekday) {
        return day || wday;
    }
    return day && wday;
}

std::optional<WallTime> CronExpr::next(WallTime after, const TimeZone& zone) const {
    CivilTime c = zone.to_local(after);
    std::int64_t minutes = to_minutes(c) + 1;
    const std::int64_t limit = minutes + 10LL * 366 * 1440;
    while (minutes < limit) {
        c = civil_from_minutes(minutes);
        if (!m_months.test(static_cast<std::size_t>(c.month))) {
            // To the first minute of the next month.
            const int year = c.month == 12 ? c.year + 1 : c.year;
            const int month = c.month == 12 ? 1 : c.month + 1;
            minutes = days_from_civil(year, month, 1) * 1440;
            continue;
        }
        if (!matches_day(c)) {
            minutes = (days_from_civil(c.year, c.month, c.day) + 1) * 1440;
            continue;
        }
        if (!m_hours.test(static_cast<std::size_t>(c.hour))) {
            minutes = minutes - c.minute + 60;
            continue;
        }
        if (!m_minutes.test(static_cast<std::size_t>(c.minute))) {
            ++minutes;
            continue;
        }
        auto instants = zone.from_local(c);
        if (instants.empty()) {
            // In a spring-forward gap: the run happens when the gap ends.
            for (int shift = 1; shift <= 180 && instants.empty(); ++shift) {
                instants = zone.from_local(civil_from_minutes(minutes + shift));
            }
        }
        // In a repeated hour only the first occurrence runs.
        if (!instants.empty() && instants.front() > after) {
            return instants.front();
        }
        ++minutes;
    }
    return std::nullopt;
}

}  // namespace sota::core::schedule
