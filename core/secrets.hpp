#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/paths.hpp"

namespace sota::core {

/// A credential sota knows by name, and the environment variable that may hold it.
struct SecretSpec {
    std::string_view name;     ///< "openai"
    std::string_view env_var;  ///< "OPENAI_API_KEY"
    std::string_view help;
};

/// The credentials sota uses out of the box. Other names are allowed (custom endpoints).
const std::vector<SecretSpec>& known_secrets();

/// The known secret with this name, or nullptr.
const SecretSpec* find_secret(std::string_view name);

/// Checks a secret name: 1-64 characters of a-z, 0-9, '_', '-', '.', starting with a letter.
Status validate_secret_name(std::string_view name);

/// Where a secret's value came from, highest precedence first.
enum class SecretSource { flag, keys_file, environment };

/// "flag", "keys file", "environment".
const char* to_string(SecretSource source);

/// A secret's value and its source. The value must never be printed.
struct ResolvedSecret {
    std::string name;
    std::string value;
    SecretSource source;
    std::string where;  ///< "--key", the keys file path, or the variable name
};

/// One row of `sota keys list`: a name, the source that wins, and every source that has it.
struct SecretListing {
    std::string name;
    std::optional<SecretSource> winner;
    std::string winner_where;
    std::vector<SecretSource> present;
};

/// Resolves secrets with precedence flag > keys file > environment. Holds values in memory
/// only; immutable once built, so safe to read from many threads.
class SecretResolver {
  public:
    SecretResolver(std::map<std::string, std::string> from_flags,
                   std::map<std::string, std::string> from_file, std::string file_path,
                   const EnvMap& env);

    /// The winning value for a name, or nothing if no source has it.
    std::optional<ResolvedSecret> resolve(std::string_view name) const;

    /// Every known name plus every name any source has, sorted, with its sources.
    std::vector<SecretListing> list() const;

    /// Every (name, value) pair from every source, for the redactor.
    std::vector<std::pair<std::string, std::string>> all_values() const;

  private:
    std::map<std::string, std::string> m_flags;
    std::map<std::string, std::string> m_file;
    std::map<std::string, std::string> m_env;  // secret name -> value, from known env vars
    std::string m_file_path;
};

}  // namespace sota::core
