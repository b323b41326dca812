#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/http.hpp"
#include "core/llm/llm.hpp"
#include "core/redactor.hpp"
#include "core/resilience/cache.hpp"
#include "core/resilience/resilience.hpp"
#include "core/resilience/resilient_llm.hpp"
#include "core/resilience/resilient_serp.hpp"
#include "core/secrets.hpp"
#include "core/serp.hpp"
#include "core/thread_timers.hpp"
#include "core/web_fetcher.hpp"
#include "core/wordpress.hpp"

namespace sota::adapters {

class SqliteStore;

/// The outside world as configured: one HTTP transport (live, recording, or replaying a
/// cassette) and the endpoints of every provider with their keys. Built once per process.
class Services {
  public:
    /// Builds the transport from http.record / http.replay and reads endpoints from `config`
    /// and keys from `secrets`. Fails if the replay cassette cannot be read.
    static core::Expected<std::unique_ptr<Services>> create(
        const core::Config& config, const core::SecretResolver& secrets,
        std::shared_ptr<const core::Redactor> redactor);
    /// Writes this process's cache hit/miss counts to the store.
    ~Services();

    /// Opens the job database (once) and sets up the resilient call path over it: breakers
    /// persisted there, the L2 cache there, policies from config. Needed before the calls below.
    core::Status open_store(const std::filesystem::path& database);

    /// The configured model (llm.provider, llm.model) followed by the llm.fallback chain, every
    /// link through the resilient call path. `budget` and `cost` may be null. `model` replaces
    /// the first link: "provider:model", or a model name for llm.provider.
    core::Expected<std::unique_ptr<core::resilience::ResilientProvider>> resilient_llm(
        core::resilience::RetryBudget* budget = nullptr,
        core::resilience::CostMeter* cost = nullptr, core::resilience::CallHooks hooks = {},
        const std::string& model = "");

    /// Serper through the resilient path, cached, with the stale fallback.
    core::resilience::ResilientSerp& serp();

    core::resilience::Resilience& resilience() { return *m_resilience; }
    /// The job database opened by open_store().
    SqliteStore& store() { return *m_store; }
    core::resilience::TieredCache& cache() { return *m_cache; }
    /// Adds the cache's hits and misses since the last flush to the store's running totals
    /// (at exit, and periodically in sotad).
    void flush_cache_counts();

    /// The transport every provider client uses. Its answers and errors are redacted
    /// (core::RedactingHttpClient) before anything else sees them.
    core::HttpClient& http() { return *m_http; }
    /// Knows every secret value; applied to whatever is stored or shown.
    const core::Redactor& redactor() const { return *m_redactor; }
    const core::SecretResolver& secrets() const { return *m_secrets; }
    /// "live", "record" or "replay".
    const std::string& mode() const { return m_mode; }
    /// The cassette being recorded or replayed ("" when live).
    const std::string& cassette() const { return m_cassette; }

    /// The endpoint for an LLM provider kind, with its key ("" if none is set).
    core::llm::Endpoint llm_endpoint(core::ProviderKind kind) const;
    /// Whether a key is set for the provider (always true for openai_compatible, which may need
    /// none).
    bool has_key(core::ProviderKind kind) const;
    /// A provider client over the transport; a pool over every endpoint when
    /// pool.<provider>.endpoints lists more (member i uses key NAME.i, else NAME).
    std::unique_ptr<core::llm::Provider> llm(core::ProviderKind kind);

    core::SerpEndpoint serp_endpoint() const;
    core::WpEndpoint wordpress_endpoint() const;
    core::WebFetchOptions web_options() const;

  private:
    const core::Config* m_config = nullptr;
    const core::SecretResolver* m_secrets = nullptr;
    std::shared_ptr<const core::Redactor> m_redactor;
    std::string m_mode = "live";
    std::string m_cassette;
    std::unique_ptr<core::HttpClient> m_live;       // libcurl, or the cassette replayed
    std::unique_ptr<core::HttpClient> m_redacting;  // over m_live: under a recorder, or the replay
    std::unique_ptr<core::HttpClient> m_http;       // what every client sends through
    std::shared_ptr<const core::llm::ModelQuirks> m_quirks;
    core::SystemClock m_clock;
    std::unique_ptr<SqliteStore> m_store;
    std::unique_ptr<core::ThreadTimers> m_timers;
    std::unique_ptr<core::resilience::Resilience> m_resilience;
    std::unique_ptr<core::resilience::TieredCache> m_cache;
    std::mutex m_owned_mutex;
    std::mutex m_flush_mutex;
    std::map<std::string, core::resilience::CacheKindStats> m_flushed;  // counts already added
    /// The links of resilient chains, one per provider, shared by every chain.
    std::map<core::ProviderKind, std::unique_ptr<core::llm::Provider>> m_links;
    /// Each model's chain (as a step names it; "" for the configured one), once worked out.
    std::map<std::string, std::vector<core::resilience::ChainEntry>> m_chains;
    std::unique_ptr<core::SerpClient> m_serp_client;
    std::unique_ptr<core::resilience::ResilientSerp> m_serp;
};

/// Parses "openai", "anthropic", "gemini", "openai_compatible".
std::optional<core::ProviderKind> llm_kind_from_name(const std::string& name);

/// The secret name for a provider kind ("openai", ..., "serper", "wordpress").
const char* secret_name(core::ProviderKind kind);

}  // namespace sota::adapters
