#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/config_schema.hpp"
#include "core/expected.hpp"
#include "core/pricing.hpp"

namespace sota::core {

/// Where a value came from, lowest precedence first.
enum class Layer { defaults, system_file, user_file, environment, flags };

/// Lower-case layer name as shown by `config show` ("default", "system", "user", "env", "flag").
const char* to_string(Layer layer);

/// The layer and the exact place within it: "path/config.toml:12", "SOTA_LOG_LEVEL",
/// "--log-format".
struct Origin {
    Layer layer = Layer::defaults;
    std::string where;
};

/// A value as a layer supplies it, before it is checked against the key's type. Files give
/// typed values; the environment and flags give text.
using RawValue = std::variant<std::string, std::int64_t, double, bool>;

/// The effective value of one key and the layer that set it.
struct ConfigEntry {
    const KeySpec* spec = nullptr;
    ConfigValue value;
    Origin origin;
};

/// Parses "250ms", "1.5s", "30s", "5m", "2h", "7d", "1h30m" or a bare number of seconds.
Expected<std::chrono::milliseconds> parse_duration(std::string_view text);

/// Parses "512", "64KiB", "32MiB", "1GiB" (also KB/MB/GB as powers of 1000) into bytes.
Expected<std::int64_t> parse_size(std::string_view text);

/// Canonical text of a value of the given type ("30s", "32MiB", "true", "info").
std::string format_value(ValueType type, const ConfigValue& value);

/// The one typed configuration. Starts at the defaults; each layer applied in order of
/// precedence overrides what came before and records itself as the value's origin.
/// Not thread-safe for writes; read-only use from many threads is fine.
class Config {
  public:
    /// Every key at its default.
    Config();

    /// Checks `raw` against the key's type and limits and, if it fits, makes it the key's value.
    /// Errors name the key and the origin; an unknown key suggests the closest one.
    Status set(std::string_view key, const RawValue& raw, const Origin& origin);

    /// Applies every `SOTA_*` variable that names a key. Variables in `ignored` (SOTA_HOME, ...)
    /// are skipped; other unknown SOTA_* names are returned so the caller can warn about them.
    Expected<std::vector<std::string>> apply_environment(
        const std::map<std::string, std::string>& env, const std::vector<std::string>& ignored);

    /// The entry for a key that exists in the schema (asserts otherwise).
    const ConfigEntry& entry(std::string_view key) const;

    /// Entries in schema order.
    const std::vector<ConfigEntry>& entries() const { return m_entries; }

    /// Typed read through a compile-time key handle.
    template <typename T>
    T get(Key<T> key) const {
        return std::get<T>(entry(key.name).value);
    }

    /// The canonical text of a key's current value.
    std::string text(std::string_view key) const;

    /// Model prices: the built-in rows plus [prices."MODEL"] rows from config files.
    const PriceTable& prices() const { return m_prices; }
    /// Adds or replaces one price row (validated; errors name price.origin).
    Status set_price(const std::string& model, Price price) {
        return m_prices.set(model, std::move(price));
    }

  private:
    std::vector<ConfigEntry> m_entries;
    PriceTable m_prices = PriceTable::built_in();
};

}  // namespace sota::core
