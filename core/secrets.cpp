#include "core/secrets.hpp"

#include <set>

namespace sota::core {

const std::vector<SecretSpec>& known_secrets() {
    static const std::vector<SecretSpec> table = {
        {"openai", "OPENAI_API_KEY", "OpenAI API key (Chat Completions)"},
        {"anthropic", "ANTHROPIC_API_KEY", "Anthropic API key (Messages)"},
        {"gemini", "GEMINI_API_KEY", "Google Gemini API key"},
        {"openai_compatible", "OPENAI_COMPATIBLE_API_KEY",
         "key for an OpenAI-compatible server (llama.cpp/vLLM --api-key; Ollama needs none)"},
        {"serper", "SERPER_API_KEY", "Serper (Google SERP) API key"},
        {"wordpress", "WORDPRESS_APP_PASSWORD", "WordPress application password"},
    };
    return table;
}

const SecretSpec* find_secret(std::string_view name) {
    for (const auto& spec : known_secrets()) {
        if (spec.name == name) {
            return &spec;
        }
    }
    return nullptr;
}

Status validate_secret_name(std::string_view name) {
    const bool starts_ok = !name.empty() && name.front() >= 'a' && name.front() <= 'z';
    bool chars_ok = name.size() <= 64;
    for (const char c : name) {
        chars_ok = chars_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                                c == '-' || c == '.');
    }
    if (!starts_ok || !chars_ok) {
        return fail(ErrorKind::usage, "keys.bad_name",
                    "'" + std::string(name) +
                        "' is not a valid key name: use 1-64 characters of a-z, 0-9, '_', '-' "
                        "and '.', starting with a letter (known names: openai, anthropic, gemini, "
                        "openai_compatible, serper, wordpress)");
    }
    return {};
}

const char* to_string(SecretSource source) {
    switch (source) {
        case SecretSource::flag:
            return "flag";
        case SecretSource::keys_file:
            return "keys file";
        case SecretSource::environment:
            return "environment";
    }
    return "environment";
}

SecretResolver::SecretResolver(std::map<std::string, std::string> from_flags,
                               std::map<std::string, std::string> from_file, std::string file_path,
                               const EnvMap& env)
    : m_flags(std::move(from_flags)),
      m_file(std::move(from_file)),
      m_file_path(std::move(file_path)) {
    for (const auto& spec : known_secrets()) {
        const auto it = env.find(std::string(spec.env_var));
        if (it != env.end() && !it->second.empty()) {
            m_env[std::string(spec.name)] = it->second;
        }
    }
}

std::optional<ResolvedSecret> SecretResolver::resolve(std::string_view name) const {
    const std::string key(name);
    if (const auto it = m_flags.find(key); it != m_flags.end()) {
        return ResolvedSecret{key, it->second, SecretSource::flag, "--key"};
    }
    if (const auto it = m_file.find(key); it != m_file.end()) {
        return ResolvedSecret{key, it->second, SecretSource::keys_file, m_file_path};
    }
    if (const auto it = m_env.find(key); it != m_env.end()) {
        const auto* spec = find_secret(name);
        return ResolvedSecret{key, it->second, SecretSource::environment,
                              spec ? std::string(spec->env_var) : key};
    }
    return std::nullopt;
}

std::vector<SecretListing> SecretResolver::list() const {
    std::set<std::string> names;
    for (const auto& spec : known_secrets()) {
        names.insert(std::string(spec.name));
    }
    for (const auto* source : {&m_flags, &m_file, &m_env}) {
        for (const auto& [name, value] : *source) {
            names.insert(name);
        }
    }
    std::vector<SecretListing> rows;
    for (const auto& name : names) {
        SecretListing row{name, std::nullopt, "", {}};
        if (m_flags.count(name)) {
            row.present.push_back(SecretSource::flag);
        }
        if (m_file.count(name)) {
            row.present.push_back(SecretSource::keys_file);
        }
        if (m_env.count(name)) {
            row.present.push_back(SecretSource::environment);
        }
        if (const auto resolved = resolve(name)) {
            row.winner = resolved->source;
            row.winner_where = resolved->where;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<std::pair<std::string, std::string>> SecretResolver::all_values() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto* source : {&m_flags, &m_file, &m_env}) {
        for (const auto& [name, value] : *source) {
            out.emplace_back(name, value);
        }
    }
    return out;
}

}  // namespace sota::core
