#include "cli/context.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "adapters/config_file.hpp"
#include "adapters/environment.hpp"
#include "adapters/keys_file.hpp"
#include "adapters/logging.hpp"
#include "adapters/private_files.hpp"
#include "adapters/services.hpp"
#include "cli/output.hpp"
#include "core/schedule/schedule.hpp"

namespace sota::cli {
namespace {

using core::ErrorKind;

// SOTA_* variables that are not config keys.
const std::vector<std::string> k_non_config_vars = {"SOTA_HOME",
                                                    core::schedule::k_batch_id_variable};

core::Status apply_flag(core::Config& config, const std::string& key, const std::string& value,
                        const std::string& flag) {
    return config.set(key, core::RawValue{value}, core::Origin{core::Layer::flags, flag});
}

core::Expected<std::map<std::string, std::string>> parse_key_flags(
    const std::vector<std::string>& flags) {
    std::map<std::string, std::string> keys;
    for (const auto& item : flags) {
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0) {
            return core::fail(
                ErrorKind::usage, "keys.bad_flag",
                "--key expects NAME=VALUE or NAME=@FILE (e.g. --key openai=@~/.openai); "
                "got an argument without '='");
        }
        const std::string name = item.substr(0, eq);
        auto valid = core::validate_secret_name(name);
        if (!valid) {
            return core::fail(valid.error());
        }
        std::string value = item.substr(eq + 1);
        if (value.starts_with("@")) {
            auto text = adapters::read_file(value.substr(1));
            if (!text) {
                return core::fail(ErrorKind::credentials, "keys.unreadable",
                                  "--key " + name + "=@FILE: " + text.error().message);
            }
            value = *text;
            while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
                value.pop_back();
            }
        }
        if (value.empty()) {
            return core::fail(ErrorKind::usage, "keys.empty",
                              "--key " + name + " has an empty value");
        }
        keys[name] = value;
    }
    return keys;
}

}  // namespace

bool is_tty(int fd) {
    return ::isatty(fd) == 1;
}

bool use_color(const Context& ctx, int fd) {
    const std::string mode = ctx.config().get(core::keys::color);
    if (mode == "always") {
        return true;
    }
    if (mode == "never") {
        return false;
    }
    const auto no_color = ctx.env().find("NO_COLOR");
    if (no_color != ctx.env().end() && !no_color->second.empty()) {
        return false;
    }
    const auto term = ctx.env().find("TERM");
    if (term != ctx.env().end() && term->second == "dumb") {
        return false;
    }
    return is_tty(fd);
}

core::Expected<Context> Context::load(const GlobalOptions& globals, core::EnvMap env) {
    Context ctx;
    ctx.m_env = std::move(env);
    ctx.m_redactor = std::make_shared<core::Redactor>();

    // Register secret values from the environment before anything can log.
    for (const auto& spec : core::known_secrets()) {
        if (const auto it = ctx.m_env.find(std::string(spec.env_var)); it != ctx.m_env.end()) {
            ctx.m_redactor->add_secret(spec.name, it->second);
        }
    }
    auto flag_keys = parse_key_flags(globals.keys);
    if (!flag_keys) {
        return core::fail(flag_keys.error());
    }
    ctx.m_flag_keys = std::move(*flag_keys);
    for (const auto& [name, value] : ctx.m_flag_keys) {
        ctx.m_redactor->add_secret(name, value);
    }

    auto paths = core::resolve_paths(ctx.m_env, adapters::current_uid());
    if (!paths) {
        return core::fail(paths.error());
    }
    ctx.m_paths = std::move(*paths);

    auto& config = ctx.m_config;
    for (const auto& [file, layer] :
         {std::pair{ctx.m_paths.system_config_file, core::Layer::system_file},
          std::pair{ctx.m_paths.user_config_file(), core::Layer::user_file}}) {
        auto status = adapters::load_config_file(file, layer, config);
        if (!status) {
            return core::fail(status.error());
        }
    }
    auto unknown = config.apply_environment(ctx.m_env, k_non_config_vars);
    if (!unknown) {
        return core::fail(unknown.error());
    }
    for (const auto& item : globals.set) {
        const auto eq = item.find('=');
        if (eq == std::string::npos) {
            return core::fail(
                ErrorKind::usage, "config.bad_flag",
                "--set expects KEY=VALUE (e.g. --set log.level=debug); got '" + item + "'");
        }
        auto status = apply_flag(config, item.substr(0, eq), item.substr(eq + 1),
                                 "--set " + item.substr(0, eq));
        if (!status) {
            return core::fail(status.error());
        }
    }
    const std::pair<const std::string*, const char*> dedicated[] = {
        {&globals.log_level, "log.level"},
        {&globals.log_format, "log.format"},
        {&globals.color, "color"}};
    for (const auto& [value, key] : dedicated) {
        if (!value->empty()) {
            std::string flag = std::string("--") + key;
            std::replace(flag.begin(), flag.end(), '.', '-');
            auto status = apply_flag(config, key, *value, flag);
            if (!status) {
                return core::fail(status.error());
            }
        }
    }

    adapters::LogSettings settings;
    settings.level = config.get(core::keys::log_level);
    settings.json = config.get(core::keys::log_format) == "json";
    settings.color = !settings.json && use_color(ctx, 2);
    adapters::install_logger(
        adapters::make_logger(settings, ctx.m_redactor, adapters::stderr_writer()));
    set_error_output(settings.json, ctx.m_redactor);
    for (const auto& name : *unknown) {
        spdlog::warn(
            "ignoring environment variable {}: it names no config key (`sota config show` "
            "lists them)",
            name);
    }
    return ctx;
}

core::Expected<const core::SecretResolver*> Context::secrets() {
    if (m_secrets) {
        return static_cast<const core::SecretResolver*>(m_secrets.get());
    }
    if (m_secrets_error) {
        return core::fail(*m_secrets_error);
    }
    const adapters::KeysFile file(m_paths.keys_file());
    auto stored = file.load();
    if (!stored) {
        m_secrets_error = stored.error();
        return core::fail(stored.error());
    }
    for (const auto& [name, value] : *stored) {
        m_redactor->add_secret(name, value);
    }
    m_secrets = std::make_unique<core::SecretResolver>(m_flag_keys, std::move(*stored),
                                                       file.path().string(), m_env);
    return static_cast<const core::SecretResolver*>(m_secrets.get());
}

core::Expected<std::unique_ptr<adapters::Services>> Context::services(bool with_store) {
    auto resolver = secrets();
    if (!resolver) {
        return core::fail(resolver.error());
    }
    auto created = adapters::Services::create(m_config, **resolver, m_redactor);
    if (!created) {
        return core::fail(created.error());
    }
    if (with_store) {
        if (auto opened = (*created)->open_store(m_paths.database_file()); !opened) {
            return core::fail(opened.error());
        }
    }
    return created;
}

}  // namespace sota::cli
