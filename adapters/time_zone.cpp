#include "adapters/time_zone.hpp"

#include <date/tz.h>

namespace sota::adapters {

namespace {

using core::schedule::CivilTime;

class IanaZone final : public core::schedule::TimeZone {
  public:
    explicit IanaZone(const date::time_zone* zone) : m_zone(zone) {}

    std::string name() const override { return std::string(m_zone->name()); }

    std::vector<core::WallTime> from_local(const CivilTime& c) const override {
        const auto day = date::local_days{date::year{c.year} / c.month / c.day};
        const date::local_seconds local =
            day + std::chrono::hours(c.hour) + std::chrono::minutes(c.minute);
        const auto info = m_zone->get_info(local);
        std::vector<core::WallTime> out;
        switch (info.result) {
            case date::local_info::unique:
                out.push_back(to_wall(local - info.first.offset));
                break;
            case date::local_info::ambiguous:
                out.push_back(to_wall(local - info.first.offset));
                out.push_back(to_wall(local - info.second.offset));
                break;
            case date::local_info::nonexistent:
                break;
        }
        return out;
    }

    CivilTime to_local(core::WallTime instant) const override {
        const auto local =
            m_zone->to_local(std::chrono::time_point_cast<std::chrono::seconds>(instant));
        const auto day = date::floor<date::days>(local);
        const date::year_month_day ymd{day};
        const date::hh_mm_ss<std::chrono::seconds> time{local - day};
        return CivilTime{static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month())),
                         static_cast<int>(unsigned(ymd.day())),
                         static_cast<int>(time.hours().count()),
                         static_cast<int>(time.minutes().count())};
    }

  private:
    static core::WallTime to_wall(date::local_seconds utc_as_local) {
        return core::WallTime(
            std::chrono::duration_cast<core::WallTime::duration>(utc_as_local.time_since_epoch()));
    }

    const date::time_zone* m_zone;
};

}  // namespace

core::Expected<std::unique_ptr<core::schedule::TimeZone>> load_time_zone(const std::string& name) {
    if (name == "UTC" || name == "Etc/UTC") {
        return std::unique_ptr<core::schedule::TimeZone>(new core::schedule::UtcZone());
    }
    try {
        const date::time_zone* zone = name.empty() ? date::current_zone() : date::locate_zone(name);
        return std::unique_ptr<core::schedule::TimeZone>(new IanaZone(zone));
    } catch (const std::exception& e) {
        return core::fail(core::ErrorKind::usage, "tz.unknown",
                          "unknown time zone '" + name +
                              "'; use an IANA name such as Europe/Berlin or America/New_York "
                              "(from the tzdata package)");
    }
}

}  // namespace sota::adapters
