#include "adapters/services.hpp"

#include <map>
#include <mutex>

#include "adapters/cassette.hpp"
#include "adapters/curl_http_client.hpp"
#include "adapters/sqlite_store.hpp"
#include "core/redacting_http.hpp"
#include "core/resilience/policy_config.hpp"
#include "core/resilience/pool.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"

namespace sota::adapters {

namespace keys = core::keys;

std::optional<core::ProviderKind> llm_kind_from_name(const std::string& name) {
    if (name == "openai") {
        return core::ProviderKind::openai;
    }
    if (name == "anthropic") {
        return core::ProviderKind::anthropic;
    }
    if (name == "gemini") {
        return core::ProviderKind::gemini;
    }
    if (name == "openai_compatible") {
        return core::ProviderKind::openai_compatible;
    }
    return std::nullopt;
}

const char* secret_name(core::ProviderKind kind) {
    switch (kind) {
        case core::ProviderKind::openai:
            return "openai";
        case core::ProviderKind::anthropic:
            return "anthropic";
        case core::ProviderKind::gemini:
            return "gemini";
        case core::ProviderKind::openai_compatible:
            return "openai_compatible";
        case core::ProviderKind::serper:
            return "serper";
        case core::ProviderKind::wordpress:
            return "wordpress";
        case core::ProviderKind::web:
            return "";
    }
    return "";
}

core::Expected<std::unique_ptr<Services>> Services::create(
    const core::Config& config, const core::SecretResolver& secrets,
    std::shared_ptr<const core::Redactor> redactor) {
    auto s = std::unique_ptr<Services>(new Services());
    s->m_config = &config;
    s->m_secrets = &secrets;
    s->m_redactor = redactor ? redactor : std::make_shared<core::Redactor>();
    s->m_quirks = core::llm::ModelQuirks::built_in();
    const std::string replay = config.get(keys::http_replay);
    const std::string record = config.get(keys::http_record);
    if (!replay.empty() && !record.empty()) {
        return core::fail(core::ErrorKind::usage, "http.record_and_replay",
                          "http.record and http.replay are both set; choose one");
    }
    std::vector<std::string> passthrough;
    const std::string passthrough_list =
        config.get(core::Key<std::string>{"http.replay_passthrough"});
    for (std::size_t pos = 0; pos < passthrough_list.size();) {
        const auto comma = std::min(passthrough_list.find(',', pos), passthrough_list.size());
        const std::string host = core::trim(passthrough_list.substr(pos, comma - pos));
        if (!host.empty()) {
            passthrough.push_back(host);
        }
        pos = comma + 1;
    }
    std::unique_ptr<ReplayHttpClient> replaying;
    if (!replay.empty()) {
        auto client = ReplayHttpClient::open(replay, redactor);
        if (!client) {
            return core::fail(client.error());
        }
        replaying = std::move(*client);
        s->m_mode = "replay";
        s->m_cassette = replay;
        if (passthrough.empty()) {
            s->m_live = std::move(replaying);
            s->m_http = std::make_unique<core::RedactingHttpClient>(*s->m_live, s->m_redactor);
            return s;
        }
    }
    CurlHttpClient::Options http_options;
    const std::string connect_to = config.get(core::Key<std::string>{"http.connect_to"});
    for (std::size_t pos = 0; pos < connect_to.size();) {
        const auto comma = std::min(connect_to.find(',', pos), connect_to.size());
        const std::string rule = core::trim(connect_to.substr(pos, comma - pos));
        if (!rule.empty()) {
            http_options.connect_to.push_back(rule);
        }
        pos = comma + 1;
    }
    http_options.plain_http = config.get(core::Key<bool>{"http.plain_client"});
    s->m_live = std::make_unique<CurlHttpClient>(std::move(http_options));
    if (replaying) {
        // The hosts listed are reached live (the demo publishing to a real site).
        replaying->set_passthrough(std::move(passthrough), s->m_live.get());
        s->m_redacting = std::move(replaying);
        s->m_http = std::make_unique<core::RedactingHttpClient>(*s->m_redacting, s->m_redactor);
        return s;
    }
    // Answers are redacted before anything reads them, the recorder included.
    auto redacting = std::make_unique<core::RedactingHttpClient>(*s->m_live, s->m_redactor);
    if (!record.empty()) {
        s->m_http = std::make_unique<RecordingHttpClient>(*redacting, record, redactor);
        s->m_redacting = std::move(redacting);
        s->m_mode = "record";
        s->m_cassette = record;
    } else {
        s->m_http = std::move(redacting);
    }
    return s;
}

core::llm::Endpoint Services::llm_endpoint(core::ProviderKind kind) const {
    core::llm::Endpoint e;
    switch (kind) {
        case core::ProviderKind::openai:
            e.base_url = m_config->get(keys::openai_base_url);
            break;
        case core::ProviderKind::anthropic:
            e.base_url = m_config->get(keys::anthropic_base_url);
            break;
        case core::ProviderKind::gemini:
            e.base_url = m_config->get(keys::gemini_base_url);
            break;
        default:
            e.base_url = m_config->get(keys::openai_compatible_base_url);
            break;
    }
    if (const auto key = m_secrets->resolve(secret_name(kind))) {
        e.api_key = key->value;
    }
    e.connect_timeout = m_config->get(keys::http_connect_timeout);
    e.request_timeout = m_config->get(keys::http_request_timeout);
    e.stream_idle_timeout = m_config->get(keys::http_stream_idle_timeout);
    e.max_response_bytes = m_config->get(keys::http_max_response_size);
    return e;
}

bool Services::has_key(core::ProviderKind kind) const {
    return kind == core::ProviderKind::openai_compatible ||
           m_secrets->resolve(secret_name(kind)).has_value();
}

std::unique_ptr<core::llm::Provider> Services::llm(core::ProviderKind kind) {
    const std::string name = secret_name(kind);
    const std::string extra =
        std::get<std::string>(m_config->entry("pool." + name + ".endpoints").value);
    if (extra.empty()) {
        return core::llm::make_provider(kind, *m_http, llm_endpoint(kind), m_quirks);
    }
    std::vector<core::resilience::PoolMember> members;
    const auto first = llm_endpoint(kind);
    members.push_back({core::llm::make_provider(kind, *m_http, first, m_quirks), name + "#1"});
    std::size_t pos = 0;
    int n = 1;
    while (pos < extra.size()) {
        const auto comma = extra.find(',', pos);
        std::string url =
            extra.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        pos = comma == std::string::npos ? extra.size() : comma + 1;
        url.erase(0, url.find_first_not_of(" \t"));
        url.erase(url.find_last_not_of(" \t") + 1);
        if (url.empty()) {
            continue;
        }
        ++n;
        auto endpoint = first;
        endpoint.base_url = url;
        if (const auto key = m_secrets->resolve(name + "." + std::to_string(n))) {
            endpoint.api_key = key->value;
        }
        members.push_back({core::llm::make_provider(kind, *m_http, endpoint, m_quirks),
                           name + "#" + std::to_string(n)});
    }
    const auto balance = core::resilience::balance_from_name(m_config->text("pool.balance"))
                             .value_or(core::resilience::Balance::round_robin);
    return std::make_unique<core::resilience::PooledProvider>(
        std::move(members), balance, m_clock, 2,
        std::get<core::Millis>(m_config->entry("pool.cooldown").value));
}

core::SerpEndpoint Services::serp_endpoint() const {
    core::SerpEndpoint e;
    e.base_url = m_config->get(keys::serper_base_url);
    if (const auto key = m_secrets->resolve("serper")) {
        e.api_key = key->value;
    }
    e.connect_timeout = m_config->get(keys::http_connect_timeout);
    e.request_timeout = m_config->get(keys::http_request_timeout);
    return e;
}

core::WpEndpoint Services::wordpress_endpoint() const {
    core::WpEndpoint e;
    e.site_url = m_config->get(keys::wordpress_url);
    e.user = m_config->get(keys::wordpress_user);
    if (const auto key = m_secrets->resolve("wordpress")) {
        e.app_password = key->value;
    }
    e.timeout = m_config->get(keys::http_request_timeout);
    return e;
}

core::WebFetchOptions Services::web_options() const {
    core::WebFetchOptions o;
    o.allow_private = m_config->get(keys::web_allow_private);
    o.respect_robots = m_config->get(keys::web_respect_robots);
    o.max_redirects = static_cast<int>(m_config->get(keys::web_max_redirects));
    o.timeout = m_config->get(keys::web_timeout);
    o.max_bytes = m_config->get(keys::web_max_page_size);
    return o;
}

Services::~Services() {
    // Stop what calls back into the resilient path before taking it apart: the transport fails
    // requests in flight (their callbacks still find everything alive), then the timer thread
    // stops and drops pending retries.
    m_http.reset();
    m_redacting.reset();
    m_live.reset();
    m_timers.reset();
    flush_cache_counts();
}

void Services::flush_cache_counts() {
    if (!m_store || !m_cache) {
        return;
    }
    std::lock_guard lock(m_flush_mutex);
    const auto now = m_cache->stats();
    std::map<std::string, core::resilience::CacheKindStats> delta;
    for (const auto& [kind, s] : now) {
        const auto& was = m_flushed[kind];
        core::resilience::CacheKindStats d;
        d.l1_hits = s.l1_hits - was.l1_hits;
        d.l2_hits = s.l2_hits - was.l2_hits;
        d.misses = s.misses - was.misses;
        d.coalesced = s.coalesced - was.coalesced;
        d.stale_served = s.stale_served - was.stale_served;
        if (d.l1_hits + d.l2_hits + d.misses + d.coalesced + d.stale_served > 0) {
            delta[kind] = d;
        }
    }
    if (!delta.empty()) {
        m_store->add_cache_counts(delta);
    }
    m_flushed = now;
}

core::Status Services::open_store(const std::filesystem::path& database) {
    if (m_store) {
        return {};
    }
    auto store = SqliteStore::open(database);
    if (!store) {
        return core::fail(store.error());
    }
    m_store = std::move(*store);
    m_timers = std::make_unique<core::ThreadTimers>();
    m_resilience =
        std::make_unique<core::resilience::Resilience>(m_clock, *m_timers, m_store.get());
    core::resilience::configure(*m_resilience, *m_config);
    m_cache = std::make_unique<core::resilience::TieredCache>(
        m_clock, m_store.get(),
        static_cast<std::size_t>(m_config->get(core::Key<std::int64_t>{"cache.l1_entries"})),
        m_config->get(core::Key<core::Millis>{"cache.l1_ttl"}));
    return {};
}

namespace {
// A short, stable, non-reversible name for a key, for per-key breakers and limiters.
std::string key_fingerprint(const std::string& key) {
    if (key.empty()) {
        return "";
    }
    // Asked for each job's model chain: the few keys in use are hashed once.
    static std::mutex mutex;
    static std::map<std::string, std::string> known;
    std::lock_guard lock(mutex);
    auto& fingerprint = known[key];
    if (fingerprint.empty()) {
        fingerprint = core::sha256_hex(key).substr(0, 8);
    }
    return fingerprint;
}
}  // namespace

core::Expected<std::unique_ptr<core::resilience::ResilientProvider>> Services::resilient_llm(
    core::resilience::RetryBudget* budget, core::resilience::CostMeter* cost,
    core::resilience::CallHooks hooks, const std::string& model) {
    if (!m_resilience) {
        return core::fail(core::ErrorKind::internal, "services.no_store",
                          "the job database is not open");
    }
    // Every LLM call of every step asks for its chain: the configuration and keys are fixed for
    // this object's life, so each model's chain is worked out once.
    {
        std::lock_guard lock(m_owned_mutex);
        if (const auto known = m_chains.find(model); known != m_chains.end()) {
            return std::make_unique<core::resilience::ResilientProvider>(
                *m_resilience, known->second, &m_config->prices(), budget, cost, std::move(hooks));
        }
    }
    auto primary = llm_kind_from_name(m_config->get(keys::llm_provider));
    if (!primary) {
        return core::fail(core::ErrorKind::config, "config.bad_provider",
                          "llm.provider names no known provider");
    }
    std::string primary_model = m_config->get(keys::llm_model);
    if (!model.empty()) {
        const auto colon = model.find(':');
        const auto named =
            colon == std::string::npos ? std::nullopt : llm_kind_from_name(model.substr(0, colon));
        if (named) {
            primary = named;
            primary_model = model.substr(colon + 1);
        } else {
            primary_model = model;
        }
    }
    auto fallbacks = core::resilience::parse_fallback_chain(
        m_config->get(core::Key<std::string>{"llm.fallback"}));
    if (!fallbacks) {
        return core::fail(fallbacks.error());
    }
    std::vector<core::resilience::FallbackLink> links{{*primary, primary_model}};
    links.insert(links.end(), fallbacks->begin(), fallbacks->end());
    std::vector<core::resilience::ChainEntry> chain;
    std::lock_guard lock(m_owned_mutex);  // steps build their clients concurrently
    for (const auto& link : links) {
        // One client (or pool) per provider for the whole process: every job's chain shares it.
        auto& client = m_links[link.provider];
        if (!client) {
            client = llm(link.provider);
        }
        chain.push_back({client.get(), link.model, secret_name(link.provider),
                         key_fingerprint(llm_endpoint(link.provider).api_key)});
    }
    m_chains[model] = chain;
    return std::make_unique<core::resilience::ResilientProvider>(
        *m_resilience, std::move(chain), &m_config->prices(), budget, cost, std::move(hooks));
}

core::resilience::ResilientSerp& Services::serp() {
    std::lock_guard lock(m_owned_mutex);  // jobs running at once may ask first together
    if (!m_serp) {
        m_serp_client = std::make_unique<core::SerpClient>(*m_http, serp_endpoint());
        m_serp = std::make_unique<core::resilience::ResilientSerp>(
            *m_resilience, *m_serp_client, m_cache.get(), key_fingerprint(serp_endpoint().api_key),
            m_config->get(core::Key<core::Millis>{"cache.ttl.serp"}),
            m_config->get(core::Key<core::Millis>{"cache.stale_serp_max_age"}));
    }
    return *m_serp;
}

}  // namespace sota::adapters
