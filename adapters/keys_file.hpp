#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace sota::adapters {

/// The owner-only JSON file of API keys: {"openai": "...", ...}.
class KeysFile {
  public:
    explicit KeysFile(std::filesystem::path path) : m_path(std::move(path)) {}

    const std::filesystem::path& path() const { return m_path; }

    /// Every stored key. A missing file is an empty map. A file readable by others, owned by
    /// someone else or not valid JSON is refused with the fix in the message.
    core::Expected<std::map<std::string, std::string>> load() const;

    /// Stores or replaces one key; the file is created 0600 (its directory 0700) and replaced
    /// atomically, so it is never readable by others, not even for a moment.
    core::Status set(std::string_view name, std::string_view value) const;

    /// Removes one key; ErrorKind::not_found if the file does not hold it.
    core::Status remove(std::string_view name) const;

  private:
    core::Status save(const std::map<std::string, std::string>& keys) const;

    std::filesystem::path m_path;
};

}  // namespace sota::adapters
