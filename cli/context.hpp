#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/paths.hpp"
#include "core/redactor.hpp"
#include "core/secrets.hpp"

namespace sota::adapters {
class Services;
}

namespace sota::cli {

/// Flags that apply to every command. Empty strings mean "not given".
struct GlobalOptions {
    std::string log_level;
    std::string log_format;
    std::string color;
    std::vector<std::string> set;   ///< --set KEY=VALUE, in order
    std::vector<std::string> keys;  ///< --key NAME=VALUE or NAME=@FILE
};

/// What every command runs with: paths, the layered config, secrets and the redactor.
class Context {
  public:
    /// Resolves paths, applies config layers (defaults < system file < user file < SOTA_*
    /// environment < flags), installs logging, and registers every secret value already in memory
    /// with the redactor. The keys file is read on first use of secrets().
    static core::Expected<Context> load(const GlobalOptions& globals, core::EnvMap env);

    const core::EnvMap& env() const { return m_env; }
    const core::Paths& paths() const { return m_paths; }
    const core::Config& config() const { return m_config; }
    std::shared_ptr<core::Redactor> redactor() const { return m_redactor; }

    /// The resolver over --key flags, the keys file and the environment; loading the keys file
    /// may fail (unsafe permissions, corrupt file), and that error is returned every time.
    core::Expected<const core::SecretResolver*> secrets();

    /// The configured outside world (transport, providers, keys); with `with_store`, the job
    /// database opened too. Errors: the keys file, a replay cassette, the database.
    core::Expected<std::unique_ptr<adapters::Services>> services(bool with_store);

  private:
    core::EnvMap m_env;
    core::Paths m_paths;
    core::Config m_config;
    std::map<std::string, std::string> m_flag_keys;
    std::shared_ptr<core::Redactor> m_redactor;
    std::unique_ptr<core::SecretResolver> m_secrets;
    std::optional<core::Error> m_secrets_error;
};

/// True if the given stream (1 = stdout, 2 = stderr) is a terminal.
bool is_tty(int fd);

/// Whether to colour output on `fd` given the `color` config value and NO_COLOR.
bool use_color(const Context& ctx, int fd);

}  // namespace sota::cli
