#include "core/resilience/policy_config.hpp"

namespace sota::core::resilience {
namespace {

Millis duration(const Config& c, const std::string& key) {
    return std::get<Millis>(c.entry(key).value);
}
double number(const Config& c, const std::string& key) {
    return std::get<double>(c.entry(key).value);
}
int integer(const Config& c, const std::string& key) {
    return static_cast<int>(std::get<std::int64_t>(c.entry(key).value));
}

BreakerPolicy breaker(const Config& c, const std::string& group) {
    return BreakerPolicy{integer(c, "breaker." + group + ".failures"),
                         duration(c, "breaker." + group + ".window"),
                         duration(c, "breaker." + group + ".open_for"),
                         integer(c, "breaker.trial_calls"),
                         number(c, "breaker.failure_rate"),
                         integer(c, "breaker.consecutive_failures")};
}

}  // namespace

const std::vector<std::string>& governed_services() {
    static const std::vector<std::string> services = {
        "openai", "anthropic", "gemini", "openai_compatible", "serper", "wordpress"};
    return services;
}

ServicePolicy service_policy(const Config& c, const std::string& service) {
    ServicePolicy p;
    p.retry.max_retries = integer(c, "retry.max_retries");
    p.retry.initial = duration(c, "retry.initial_delay");
    p.retry.multiplier = number(c, "retry.multiplier");
    p.retry.max_delay = duration(c, "retry.max_delay");
    p.retry.jitter = jitter_from_name(std::get<std::string>(c.entry("retry.jitter").value))
                         .value_or(Jitter::proportional);
    p.retry.jitter_fraction = number(c, "retry.jitter_fraction");
    p.retry.max_server_delay = duration(c, "retry.max_server_delay");
    p.breaker = breaker(c, service == "serper"      ? "serper"
                           : service == "wordpress" ? "wordpress"
                                                    : "llm");
    p.key_breaker = breaker(c, "key");
    p.wait_when_open = std::get<bool>(c.entry("breaker.wait").value);
    if (find_key("rate." + service + ".requests_per_minute")) {
        p.requests.per_minute = number(c, "rate." + service + ".requests_per_minute");
    }
    if (find_key("rate." + service + ".tokens_per_minute")) {
        p.tokens.per_minute = number(c, "rate." + service + ".tokens_per_minute");
    }
    return p;
}

void configure(Resilience& resilience, const Config& config) {
    for (const auto& service : governed_services()) {
        resilience.set_policy(service, service_policy(config, service));
    }
}

Expected<std::vector<FallbackLink>> parse_fallback_chain(const std::string& text) {
    std::vector<FallbackLink> chain;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto comma = text.find(',', pos);
        std::string item =
            text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        pos = comma == std::string::npos ? text.size() : comma + 1;
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (item.empty()) {
            continue;
        }
        const auto colon = item.find(':');
        const std::string provider = item.substr(0, colon);
        const std::string model = colon == std::string::npos ? "" : item.substr(colon + 1);
        std::optional<ProviderKind> kind;
        if (provider == "openai") {
            kind = ProviderKind::openai;
        } else if (provider == "anthropic") {
            kind = ProviderKind::anthropic;
        } else if (provider == "gemini") {
            kind = ProviderKind::gemini;
        } else if (provider == "openai_compatible") {
            kind = ProviderKind::openai_compatible;
        }
        if (!kind || model.empty()) {
            return fail(ErrorKind::config, "config.bad_fallback",
                        "llm.fallback entry '" + item +
                            "' is not provider:model (providers: openai, anthropic, gemini, "
                            "openai_compatible)");
        }
        chain.push_back({*kind, model});
    }
    return chain;
}

}  // namespace sota::core::resilience
