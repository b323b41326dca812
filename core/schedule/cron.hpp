#pragma once

#include <bitset>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"

namespace sota::core::schedule {

/// A wall-clock time in some zone, to the minute.
struct CivilTime {
    int year = 1970;
    int month = 1;  ///< 1-12
    int day = 1;    ///< 1-31
    int hour = 0;
    int minute = 0;
};

/// 0 = Sunday ... 6 = Saturday.
int weekday(int year, int month, int day);
int days_in_month(int year, int month);

/// A time zone's rules: which instants a local time names, and the local time of an instant.
class TimeZone {
  public:
    virtual ~TimeZone() = default;
    virtual std::string name() const = 0;
    /// The instants `local` names, earliest first: none in a spring-forward gap, two in a
    /// repeated fall-back hour, else one.
    virtual std::vector<WallTime> from_local(const CivilTime& local) const = 0;
    virtual CivilTime to_local(WallTime instant) const = 0;
};

/// UTC: no gaps, no repeats.
class UtcZone final : public TimeZone {
  public:
    std::string name() const override { return "UTC"; }
    std::vector<WallTime> from_local(const CivilTime& local) const override;
    CivilTime to_local(WallTime instant) const override;
};

/// A standard five-field cron expression: minute, hour, day of month, month, day of week, with
/// `*`, ranges, steps, lists, month and day names (JAN, MON), 7 as Sunday, and the macros
/// @yearly @annually @monthly @weekly @daily @midnight @hourly. When both day of month and day
/// of week are restricted, a day matching either runs (the usual cron rule).
class CronExpr {
  public:
    /// Errors name the field and what was wrong (ErrorKind::usage, "cron.invalid").
    static Expected<CronExpr> parse(std::string_view text);

    bool matches(const CivilTime& local) const;

    /// The first run strictly after `after`, in `zone`, searching up to 10 years ahead.
    /// A run that falls in a spring-forward gap happens when the gap ends; a run in a repeated
    /// fall-back hour happens once, at its first occurrence.
    std::optional<WallTime> next(WallTime after, const TimeZone& zone) const;

    const std::string& text() const { return m_text; }

  private:
    bool matches_day(const CivilTime& local) const;

    std::string m_text;
    std::bitset<60> m_minutes;
    std::bitset<24> m_hours;
    std::bitset<32> m_days;    // 1-31
    std::bitset<13> m_months;  // 1-12
    std::bitset<7> m_weekdays;
    bool m_any_day = true;
    bool m_any_weekday = true;
};

}  // namespace sota::core::schedule
