#pragma once

#include <string>
#include <vector>

#include "core/http.hpp"
#include "core/llm/llm.hpp"
#include "core/serp.hpp"
#include "core/wordpress.hpp"

namespace sota::core {

/// The outcome of one check: passed, failed, or not run (and why).
enum class CheckState { ok, failed, skipped };

/// "ok", "failed", "skipped".
const char* to_string(CheckState state);

struct Check {
    CheckState state = CheckState::skipped;
    std::string detail;
};

/// What `sota doctor` found about one provider.
struct ProviderReport {
    std::string name;       ///< "openai", "serper", ...
    bool required = false;  ///< the run cannot work without it
    Check key;              ///< a credential is present
    Check endpoint;         ///< the endpoint answers (model list, API root)
    Check model;            ///< the configured model is listed
    Check call;             ///< a one-token call (or one search) works

    /// True unless a check failed (skipped checks pass).
    bool healthy() const;
};

/// Checks an LLM provider: key present (`has_key`), GET {base}/models answers, `model` is in the
/// list, and with `allow_call` a one-token completion succeeds.
ProviderReport check_llm(ProviderKind kind, HttpClient& http, llm::Provider& provider,
                         const llm::Endpoint& endpoint, bool has_key, const std::string& model,
                         bool required, bool allow_call);

/// Checks Serper: key present; with `allow_call`, one search (it costs a credit).
ProviderReport check_serper(SerpClient& serp, bool has_key, bool required, bool allow_call);

/// Checks WordPress: site, user and application password configured, API root found, and the
/// credentials accepted (users/me).
ProviderReport check_wordpress(WordPressClient& wp, const WpEndpoint& endpoint, bool required);

/// The model ids in a models-list answer (OpenAI/compatible/Anthropic `data[].id`, Gemini
/// `models[].name` without the "models/" prefix).
std::vector<std::string> parse_model_list(ProviderKind kind, const std::string& body);

}  // namespace sota::core
