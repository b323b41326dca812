#pragma once

#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sota::core {

/// Masks secret values in any text before it leaves the process (logs, errors, events, the
/// store, recordings). Knows the exact values of loaded secrets and also masks credentials in
/// common shapes (Authorization/api-key headers, "sk-..." style tokens). Thread-safe.
class Redactor {
  public:
    /// Registers a secret value under a name; the mask reads "[redacted:NAME]". Values shorter
    /// than 4 characters are not registered (masking them would garble ordinary text).
    void add_secret(std::string_view name, std::string_view value);

    /// The text with every known secret value and credential-shaped token masked.
    std::string redact(std::string_view text) const;

    /// True if any registered secret value occurs in the text (used by tests and assertions).
    bool contains_secret(std::string_view text) const;

  private:
    struct Secret {
        std::string name;
        std::string value;
    };
    mutable std::shared_mutex m_mutex;
    std::vector<Secret> m_secrets;  // longest value first, so overlapping secrets mask fully
};

}  // namespace sota::core
