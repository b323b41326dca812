#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sota::core {

/// The kinds of value a config key holds.
enum class ValueType {
    string,
    integer,  ///< whole number, bounded by min/max
    number,   ///< floating point, bounded by min/max
    boolean,
    duration,  ///< "250ms", "30s", "5m", "2h", "7d", "1h30m"; a bare integer means seconds
    size,      ///< bytes: "512", "64KiB", "32MiB", "1GiB"
    choice,    ///< one of a fixed set of words
    url,       ///< an http:// or https:// URL with a host (empty only where the default is)
};

/// A typed config value. Durations are milliseconds; sizes are bytes (held as integer).
using ConfigValue =
    std::variant<std::string, std::int64_t, double, bool, std::chrono::milliseconds>;

/// One row of the config table: the key, its type, its default and its limits.
struct KeySpec {
    std::string_view name;  ///< dotted, e.g. "log.level"
    ValueType type;
    std::string_view default_text;  ///< parsed like any other layer's value
    std::string_view help;          ///< one line, shown by `config show` and the man page
    double min = 0;                 ///< integer/number/duration(ms)/size bounds, inclusive
    double max = 0;                 ///< 0 = no upper bound
    std::vector<std::string_view> choices = {};
};

/// The one table of every config key and its default.
const std::vector<KeySpec>& config_schema();

/// The row for a key, or nullptr if the key does not exist.
const KeySpec* find_key(std::string_view name);

/// Every key name (for suggestions and completion).
std::vector<std::string> config_key_names();

/// The environment variable that sets a key: SOTA_ + upper-case name, dots as underscores.
std::string env_var_for_key(std::string_view name);

/// Human name of a type ("duration", ...) for error messages.
const char* to_string(ValueType type);

/// A compile-time handle on a key that fixes the C++ type its value is read as.
template <typename T>
struct Key {
    std::string_view name;
};

/// Handles for the keys code reads. Every handle names a row of config_schema() (a test checks).
namespace keys {
inline constexpr Key<std::string> log_level{"log.level"};
inline constexpr Key<std::string> log_format{"log.format"};
inline constexpr Key<std::string> color{"color"};
inline constexpr Key<std::string> llm_provider{"llm.provider"};
inline constexpr Key<std::string> llm_model{"llm.model"};
inline constexpr Key<std::string> openai_base_url{"providers.openai.base_url"};
inline constexpr Key<std::string> anthropic_base_url{"providers.anthropic.base_url"};
inline constexpr Key<std::string> gemini_base_url{"providers.gemini.base_url"};
inline constexpr Key<std::string> openai_compatible_base_url{
    "providers.openai_compatible.base_url"};
inline constexpr Key<std::string> serper_base_url{"providers.serper.base_url"};
inline constexpr Key<std::chrono::milliseconds> http_connect_timeout{"http.connect_timeout"};
inline constexpr Key<std::chrono::milliseconds> http_request_timeout{"http.request_timeout"};
inline constexpr Key<std::chrono::milliseconds> http_stream_idle_timeout{
    "http.stream_idle_timeout"};
inline constexpr Key<std::int64_t> http_max_response_size{"http.max_response_size"};
inline constexpr Key<std::string> http_record{"http.record"};
inline constexpr Key<std::string> http_replay{"http.replay"};
inline constexpr Key<std::string> serp_gl{"serp.gl"};
inline constexpr Key<std::string> serp_hl{"serp.hl"};
inline constexpr Key<std::int64_t> serp_num{"serp.num"};
inline constexpr Key<bool> web_allow_private{"web.allow_private"};
inline constexpr Key<bool> web_respect_robots{"web.respect_robots"};
inline constexpr Key<std::int64_t> web_max_redirects{"web.max_redirects"};
inline constexpr Key<std::chrono::milliseconds> web_timeout{"web.timeout"};
inline constexpr Key<std::int64_t> web_max_page_size{"web.max_page_size"};
inline constexpr Key<std::string> wordpress_url{"wordpress.url"};
inline constexpr Key<std::string> wordpress_user{"wordpress.user"};
}  // namespace keys

}  // namespace sota::core
