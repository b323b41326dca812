#include "core/config_schema.hpp"

#include <algorithm>
#include <cctype>

namespace sota::core {

const std::vector<KeySpec>& config_schema() {
    static const std::vector<KeySpec> table = {
        {"log.level",
         ValueType::choice,
         "info",
         "least severe log level written to stderr",
         0,
         0,
         {"trace", "debug", "info", "warn", "error", "off"}},
        {"log.format",
         ValueType::choice,
         "text",
         "log line format: text (human-readable) or json (one object per line)",
         0,
         0,
         {"text", "json"}},
        {"color",
         ValueType::choice,
         "auto",
         "colour on a terminal: auto (when stderr is a TTY and NO_COLOR is unset), always, never",
         0,
         0,
         {"auto", "always", "never"}},

        {"llm.provider",
         ValueType::choice,
         "openai",
         "LLM provider for steps that name none",
         0,
         0,
         {"openai", "anthropic", "gemini", "openai_compatible"}},
        {"llm.model", ValueType::string, "gpt-4o-mini", "model for steps that name none"},

        {"providers.openai.base_url", ValueType::url, "https://api.openai.com/v1",
         "OpenAI API base URL"},
        {"providers.anthropic.base_url", ValueType::url, "https://api.anthropic.com/v1",
         "Anthropic API base URL"},
        {"providers.gemini.base_url", ValueType::url,
         "https://generativelanguage.googleapis.com/v1beta", "Gemini API base URL"},
        {"providers.openai_compatible.base_url", ValueType::url, "http://localhost:11434/v1",
         "OpenAI-compatible server (Ollama, llama.cpp, vLLM) base URL"},
        {"providers.serper.base_url", ValueType::url, "https://google.serper.dev",
         "Serper API base URL"},

        {"http.connect_timeout", ValueType::duration, "10s", "time allowed to connect", 100,
         300'000},
        {"http.request_timeout", ValueType::duration, "120s",
         "time allowed for a whole non-streaming request", 1000, 3'600'000},
        {"http.stream_idle_timeout", ValueType::duration, "30s",
         "silence allowed in the middle of a streamed answer", 1000, 600'000},
        {"http.max_response_size", ValueType::size, "32MiB", "largest response body accepted", 1024,
         1024.0 * 1024 * 1024},

        {"http.record", ValueType::string, "",
         "record every provider exchange to this cassette file (secrets redacted)"},
        {"http.connect_to", ValueType::string, "",
         "send one host's requests to another, like curl --connect-to: comma-separated "
         "HOST:PORT:CONNECT_HOST:CONNECT_PORT rules"},
        {"http.plain_client", ValueType::boolean, "true",
         "send plain-HTTP requests to an IP address or localhost that ask for no compression (a "
         "local "
         "model server's API) over sota's own HTTP/1.1 client, which costs less CPU than libcurl"},
        {"http.replay", ValueType::string, "",
         "answer provider requests from this cassette file instead of the network"},

        {"serp.gl", ValueType::string, "us", "SERP country (Google gl)"},
        {"serp.hl", ValueType::string, "en", "SERP language (Google hl)"},
        {"serp.num", ValueType::integer, "10", "results per SERP page", 1, 100},

        {"web.allow_private", ValueType::boolean, "false",
         "let the web fetcher reach loopback, private and link-local addresses"},
        {"web.respect_robots", ValueType::boolean, "true", "obey robots.txt when fetching pages"},
        {"web.max_redirects", ValueType::integer, "5", "redirects followed per page", 0, 20},
        {"web.timeout", ValueType::duration, "15s", "time allowed to fetch one page", 1000,
         300'000},
        {"web.max_page_size", ValueType::size, "5MiB", "largest page fetched", 1024,
         256.0 * 1024 * 1024},

        {"retry.max_retries", ValueType::integer, "5", "retries after the first attempt", 0, 20},
        {"retry.initial_delay", ValueType::duration, "1s",
         "backoff unit: retry k waits initial_delay x multiplier^k (2, 4, 8, 16, 32 s)", 1,
         600'000},
        {"retry.multiplier", ValueType::number, "2", "backoff growth per retry", 1, 10},
        {"retry.max_delay", ValueType::duration, "60s", "longest wait between retries", 1,
         3'600'000},
        {"retry.jitter",
         ValueType::choice,
         "proportional",
         "randomisation: proportional (+/- retry.jitter_fraction), full, decorrelated or none",
         0,
         0,
         {"proportional", "full", "decorrelated", "none"}},
        {"retry.jitter_fraction", ValueType::number, "0.2", "spread of proportional jitter", 0, 1},
        {"retry.max_server_delay", ValueType::duration, "60s",
         "longest Retry-After honoured; a longer one is cut to this", 0, 3'600'000},
        {"retry.budget", ValueType::number, "10", "retries a job may spend before earning more", 0,
         10'000},
        {"retry.budget_ratio", ValueType::number, "0.1", "retries a job earns per call made", 0, 1},

        {"breaker.llm.failures", ValueType::integer, "10",
         "LLM failures that open its breaker (when they are breaker.failure_rate of its calls)", 1,
         1000},
        {"breaker.llm.window", ValueType::duration, "120s",
         "window the LLM failures are counted in", 1000, 86'400'000},
        {"breaker.llm.open_for", ValueType::duration, "30s", "how long an LLM breaker stays open",
         100, 86'400'000},
        {"breaker.serper.failures", ValueType::integer, "5",
         "Serper failures that open its breaker", 1, 1000},
        {"breaker.serper.window", ValueType::duration, "60s",
         "window the Serper failures are counted in", 1000, 86'400'000},
        {"breaker.serper.open_for", ValueType::duration, "10s",
         "how long the Serper breaker stays open", 100, 86'400'000},
        {"breaker.wordpress.failures", ValueType::integer, "2",
         "WordPress failures that open its breaker", 1, 1000},
        {"breaker.wordpress.window", ValueType::duration, "60s",
         "window the WordPress failures are counted in", 1000, 86'400'000},
        {"breaker.wordpress.open_for", ValueType::duration, "5s",
         "how long the WordPress breaker stays open", 100, 86'400'000},
        {"breaker.key.failures", ValueType::integer, "6",
         "401/429 answers that pause one key's work (more than 5)", 1, 1000},
        {"breaker.key.window", ValueType::duration, "120s",
         "window the key failures are counted in", 1000, 86'400'000},
        {"breaker.key.open_for", ValueType::duration, "60s", "how long a paused key stays paused",
         100, 86'400'000},
        {"breaker.trial_calls", ValueType::integer, "1", "calls let through by a half-open breaker",
         1, 100},
        {"breaker.wait", ValueType::boolean, "false",
         "wait for an open breaker to half-open instead of failing the call at once"},
        {"breaker.failure_rate", ValueType::number, "0.5",
         "share of a breaker's calls within its window that must have failed for its failures "
         "to open it (0 = the count alone)",
         0, 1},
        {"breaker.consecutive_failures", ValueType::integer, "8",
         "failures in a row that open a breaker whatever the rate (0 = off)", 0, 1000},
        {"job.retries", ValueType::integer, "10",
         "times sotad resumes a job after a step failed for a passing reason (a provider error "
         "after its call retries, a step timeout); waiting out an open breaker does not count",
         0, 1000},
        {"job.max_wait", ValueType::duration, "6h",
         "longest a job in sotad waits in all for providers to recover (parked, holding no "
         "worker) before it fails",
         0, 604'800'000},
        {"job.retry_delay", ValueType::duration, "15s",
         "first wait before sotad resumes a job whose step failed; doubles each time, up to 5 "
         "minutes",
         100, 3'600'000},

        {"rate.openai.requests_per_minute", ValueType::number, "0",
         "OpenAI request limit (0 = none)", 0, 1e9},
        {"rate.openai.tokens_per_minute", ValueType::number, "0", "OpenAI token limit (0 = none)",
         0, 1e12},
        {"rate.anthropic.requests_per_minute", ValueType::number, "0",
         "Anthropic request limit (0 = none)", 0, 1e9},
        {"rate.anthropic.tokens_per_minute", ValueType::number, "0",
         "Anthropic token limit (0 = none)", 0, 1e12},
        {"rate.gemini.requests_per_minute", ValueType::number, "0",
         "Gemini request limit (0 = none)", 0, 1e9},
        {"rate.gemini.tokens_per_minute", ValueType::number, "0", "Gemini token limit (0 = none)",
         0, 1e12},
        {"rate.openai_compatible.requests_per_minute", ValueType::number, "0",
         "OpenAI-compatible server request limit (0 = none)", 0, 1e9},
        {"rate.serper.requests_per_minute", ValueType::number, "0",
         "Serper request limit (0 = none)", 0, 1e9},

        {"cache.l1_entries", ValueType::integer, "4096", "entries kept in memory", 0, 10'000'000},
        {"cache.l1_ttl", ValueType::duration, "5m", "longest an entry stays in memory", 0,
         86'400'000},
        {"cache.ttl.keywords", ValueType::duration, "24h", "semantic keyword results", 0,
         31'536'000'000.0},
        {"cache.ttl.gaps", ValueType::duration, "12h", "competitor gap analyses", 0,
         31'536'000'000.0},
        {"cache.ttl.serp", ValueType::duration, "24h", "SERP answers", 0, 31'536'000'000.0},
        {"cache.ttl.references", ValueType::duration, "7d", "reference URL checks", 0,
         31'536'000'000.0},
        {"cache.stale_serp_max_age", ValueType::duration, "7d",
         "oldest cached SERP answer served, marked stale, when Serper fails", 0, 31'536'000'000.0},

        {"llm.fallback", ValueType::string, "",
         "downgrade chain after llm.provider/llm.model fails: comma-separated provider:model"},
        {"job.cost_budget", ValueType::number, "0",
         "USD a job may spend before it moves to the last model of llm.fallback (0 = no budget)", 0,
         1e6},
        {"pool.openai.endpoints", ValueType::string, "",
         "more OpenAI base URLs to balance over, comma-separated (keys openai.2, openai.3, ...)"},
        {"pool.anthropic.endpoints", ValueType::string, "",
         "more Anthropic base URLs to balance over"},
        {"pool.gemini.endpoints", ValueType::string, "", "more Gemini base URLs to balance over"},
        {"pool.openai_compatible.endpoints", ValueType::string, "",
         "more OpenAI-compatible servers to balance over"},
        {"pool.balance",
         ValueType::choice,
         "round_robin",
         "how a pool picks an endpoint",
         0,
         0,
         {"round_robin", "least_in_flight", "lowest_latency"}},
        {"pool.cooldown", ValueType::duration, "30s", "how long a failing endpoint is skipped", 0,
         3'600'000},

        {"llm.allowed_models", ValueType::string, "gpt-*,chatgpt-*,o1*,o3*,o4*,claude-*,gemini-*",
         "models a job may use: comma-separated patterns with * (empty = any model)"},
        {"pipeline.deadline", ValueType::duration, "900s",
         "a job's overall deadline (set explicitly, it replaces the built-in workflows' own)", 1000,
         86'400'000},
        {"pipeline.max_tokens", ValueType::integer, "4096",
         "the most a workflow's prompt step may answer, in tokens, when the step sets no "
         "max_tokens (sent with the request and charged against tokens-per-minute limits)",
         1, 128'000},
        {"pipeline.structured_retries", ValueType::integer, "2",
         "times an answer that breaks its JSON schema is asked again, with the problem", 0, 5},
        {"pipeline.competitors", ValueType::integer, "5",
         "top-ranking pages read by the gap analysis", 1, 10},
        {"pipeline.references", ValueType::integer, "5", "verified sources cited per article", 0,
         20},
        {"pipeline.internal_links", ValueType::integer, "5", "internal links placed per article", 0,
         50},
        {"pipeline.parallel_calls", ValueType::integer, "4",
         "calls a step makes at once (sections, competitor pages, reference checks)", 1, 16},
        {"step.semantic_keywords.timeout", ValueType::duration, "30s",
         "timeout of the semantic keywords step", 1000, 3'600'000},
        {"step.gap_analysis.timeout", ValueType::duration, "45s",
         "timeout of the gap analysis step", 1000, 3'600'000},
        {"step.blueprint.timeout", ValueType::duration, "20s", "timeout of the blueprint step",
         1000, 3'600'000},
        {"step.generate.timeout", ValueType::duration, "120s", "timeout of the generation step",
         1000, 3'600'000},
        {"step.auto_fix.timeout", ValueType::duration, "30s",
         "timeout of one auto-fix step (all its passes)", 1000, 3'600'000},
        {"step.references.timeout", ValueType::duration, "60s", "timeout of the references step",
         1000, 3'600'000},
        {"step.internal_links.timeout", ValueType::duration, "30s",
         "timeout of the internal links step", 1000, 3'600'000},
        {"step.validate.timeout", ValueType::duration, "30s", "timeout of the validation step",
         1000, 3'600'000},
        {"site.url", ValueType::url, "",
         "your site, whose links count as internal (default: wordpress.url)"},
        {"site.pages", ValueType::string, "",
         "your site's pages for internal links: a CSV or URL-list file, or a sitemap URL"},
        {"run.out_dir", ValueType::string, "articles",
         "where `sota run` writes an article's directory (articles/SLUG) unless --out is given"},

        {"daemon.workers", ValueType::integer, "4", "jobs sotad runs at once", 1, 1024},
        {"daemon.autostart", ValueType::boolean, "false",
         "start sotad when a job command finds it not running"},
        {"daemon.priority_share", ValueType::number, "0.25",
         "share of sotad's workers kept for the priority queue, idle when it is empty (workers "
         "20 and 0.25: 15 standard jobs at once); 0 keeps none",
         0, 0.9},
        {"daemon.housekeeping", ValueType::duration, "60s",
         "how often sotad retries deferred WordPress posts, prunes expired cache entries and "
         "saves cache counts",
         1000, 86'400'000},
        {"daemon.max_connections", ValueType::integer, "4096",
         "connections sotad keeps open at once; past it, 503 daemon.busy", 16, 1'000'000},
        {"daemon.max_connections_per_client", ValueType::integer, "512",
         "connections one client process may keep open to sotad; past it, 429", 1, 1'000'000},
        {"daemon.header_timeout", ValueType::duration, "10s",
         "time a client has to send a request's line and headers; then 408", 100, 3'600'000},
        {"daemon.body_timeout", ValueType::duration, "30s",
         "time a client has to send a request's body after its headers; then 408", 100, 3'600'000},
        {"daemon.idle_timeout", ValueType::duration, "60s",
         "a connection with no traffic either way this long is closed (an event stream sends a "
         "keep-alive every 15 s)",
         1000, 86'400'000},
        {"daemon.http_threads", ValueType::integer, "2",
         "threads serving sotad's API (each polls its connections with epoll)", 1, 64},
        {"schedule.missed",
         ValueType::choice,
         "once",
         "runs a schedule missed while sotad was down: once (run one now) or skip",
         0,
         0,
         {"once", "skip"}},

        {"wordpress.url", ValueType::url, "", "WordPress site URL, e.g. https://example.com"},
        {"wordpress.user", ValueType::string, "", "WordPress user for the application password"},
        {"wordpress.on_conflict",
         ValueType::choice,
         "new_slug",
         "a new article whose slug belongs to a post: new_slug (publish under SLUG-2, SLUG-3, "
         "...), refuse (exit 2), or update (only a post sota made, known by its sota_job post "
         "meta or the job database; others are refused)",
         0,
         0,
         {"new_slug", "refuse", "update"}},
        {"wordpress.create_terms", ValueType::boolean, "true",
         "create categories and tags named by --category, --tag or a batch row when the site "
         "lacks them (false: a missing one is an error)"},
        {"http.replay_passthrough", ValueType::string, "",
         "hosts (or host:port) a replayed run reaches live, e.g. your WordPress site: a TOML list "
         "or comma-separated; everything else is answered from the recording"},
    };
    return table;
}

const KeySpec* find_key(std::string_view name) {
    const auto& table = config_schema();
    const auto it = std::find_if(table.begin(), table.end(),
                                 [&](const KeySpec& spec) { return spec.name == name; });
    return it == table.end() ? nullptr : &*it;
}

std::vector<std::string> config_key_names() {
    std::vector<std::string> names;
    for (const auto& spec : config_schema()) {
        names.emplace_back(spec.name);
    }
    return names;
}

std::string env_var_for_key(std::string_view name) {
    std::string var = "SOTA_";
    for (const char c : name) {
        var += c == '.' || c == '-'
                   ? '_'
                   : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return var;
}

const char* to_string(ValueType type) {
    switch (type) {
        case ValueType::string:
            return "string";
        case ValueType::integer:
            return "integer";
        case ValueType::number:
            return "number";
        case ValueType::boolean:
            return "boolean";
        case ValueType::duration:
            return "duration";
        case ValueType::size:
            return "size";
        case ValueType::choice:
            return "choice";
        case ValueType::url:
            return "url";
    }
    return "string";
}

}  // namespace sota::core
