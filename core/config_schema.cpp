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

        {"providers.openai.base_url", ValueType::string, "https://api.openai.com/v1",
         "OpenAI API base URL"},
        {"providers.anthropic.base_url", ValueType::string, "https://api.anthropic.com/v1",
         "Anthropic API base URL"},
        {"providers.gemini.base_url", ValueType::string,
         "https://generativelanguage.googleapis.com/v1beta", "Gemini API base URL"},
        {"providers.openai_compatible.base_url", ValueType::string, "http://localhost:11434/v1",
         "OpenAI-compatible server (Ollama, llama.cpp, vLLM) base URL"},
        {"providers.serper.base_url", ValueType::string, "https://google.serper.dev",
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

        {"wordpress.url", ValueType::string, "", "WordPress site URL, e.g. https://example.com"},
        {"wordpress.user", ValueType::string, "", "WordPress user for the application password"},
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
    }
    return "string";
}

}  // namespace sota::core
