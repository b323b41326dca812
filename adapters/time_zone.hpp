#pragma once

#include <memory>
#include <string>

#include "core/expected.hpp"
#include "core/schedule/cron.hpp"

namespace sota::adapters {

/// An IANA time zone ("Europe/Berlin") from the system's zoneinfo, through Howard Hinnant's
/// date/tz library; "" is the system's own zone, "UTC" is UTC. An unknown name is an error
/// (ErrorKind::usage, "tz.unknown") that shows the expected form.
core::Expected<std::unique_ptr<core::schedule::TimeZone>> load_time_zone(const std::string& name);

}  // namespace sota::adapters
