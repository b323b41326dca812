#include "core/pipeline/step.hpp"
#include "core/text.hpp"

#include <atomic>

#include "core/fiber.hpp"
#include "core/pipeline/structured.hpp"

namespace sota::core::pipeline {

using nlohmann::json;

json StepUsage::to_json() const {
    // Members added in key order, each at the end: no key is compared, and no braced list
    // builds a two-element array per key first (this runs several times per step).
    json::object_t doc;
    doc.emplace_hint(doc.end(), "cache_hits", cache_hits);
    doc.emplace_hint(doc.end(), "cost_usd", cost_usd);
    doc.emplace_hint(doc.end(), "fetches", fetches);
    doc.emplace_hint(doc.end(), "input_tokens", input_tokens);
    doc.emplace_hint(doc.end(), "llm_calls", llm_calls);
    doc.emplace_hint(doc.end(), "output_tokens", output_tokens);
    doc.emplace_hint(doc.end(), "retries", retries);
    doc.emplace_hint(doc.end(), "serp_calls", serp_calls);
    return json(std::move(doc));
}

void StepUsage::add(const StepUsage& o) {
    input_tokens += o.input_tokens;
    output_tokens += o.output_tokens;
    cost_usd += o.cost_usd;
    llm_calls += o.llm_calls;
    serp_calls += o.serp_calls;
    fetches += o.fetches;
    retries += o.retries;
    cache_hits += o.cache_hits;
}

StepUsage StepUsage::from_json(const json& doc) {
    StepUsage u;
    if (!doc.is_object()) {
        return u;
    }
    u.input_tokens = doc.value("input_tokens", std::int64_t{0});
    u.output_tokens = doc.value("output_tokens", std::int64_t{0});
    u.cost_usd = doc.value("cost_usd", 0.0);
    u.llm_calls = doc.value("llm_calls", 0);
    u.serp_calls = doc.value("serp_calls", 0);
    u.fetches = doc.value("fetches", 0);
    u.retries = doc.value("retries", 0);
    u.cache_hits = doc.value("cache_hits", 0);
    return u;
}

StepContext::StepContext(const StepSpec& spec, const JobRecord& job, json inputs,
                         StepServices& services, Reporter& reporter, const Clock& clock,
                         CancelToken cancel)
    : m_spec(spec),
      m_job(job),
      m_inputs(std::move(inputs)),
      m_services(services),
      m_reporter(reporter),
      m_clock(clock),
      m_cancel(std::move(cancel)) {}

const json& StepContext::input(const std::string& name) const {
    static const json null_value;
    const auto it = m_inputs.find(name);
    return it == m_inputs.end() ? null_value : *it;
}

std::string StepContext::model() const {
    if (!m_spec.model.empty()) {
        return m_spec.model;
    }
    if (!m_job.spec.model.empty()) {
        return m_job.spec.model;
    }
    return m_services.default_model;
}

void StepContext::emit(EventType type, json data) {
    Event event;
    event.job_id = m_job.id;
    event.type = type;
    event.step = m_spec.id;
    event.time = m_clock.wall();
    event.data = std::move(data);
    m_reporter.on_event(event);
}

Expected<llm::Response> StepContext::complete(llm::Request request) {
    if (!m_services.llm) {
        return fail(ErrorKind::config, "step.no_llm", "step " + m_spec.id + " needs an LLM");
    }
    llm::Provider* provider = nullptr;
    {
        std::lock_guard lock(m_mutex);
        if (!m_llm) {
            resilience::CallHooks hooks;
            hooks.on_retry = [this](int retry, Millis delay, const Error& why) {
                {
                    std::lock_guard inner(m_mutex);
                    ++m_usage.retries;
                }
                emit(EventType::retry, {{"attempt", retry},
                                        {"delay_ms", delay.count()},
                                        {"reason", why.code},
                                        {"message", why.message}});
            };
            hooks.on_rate_limited = [this](Millis wait) {
                if (m_on_paced) {
                    m_on_paced(wait);
                }
            };
            hooks.on_breaker_open = [this](const std::string& breaker, Millis wait) {
                log("warn", "circuit breaker " + breaker + " is open for " +
                                std::to_string(wait.count()) + " ms more");
            };
            std::string spec_model = m_spec.model.empty() ? m_job.spec.model : m_spec.model;
            auto made = m_services.llm(spec_model, std::move(hooks));
            if (!made) {
                return fail(made.error());
            }
            m_llm = std::move(*made);
        }
        provider = m_llm.get();
    }
    request.cancel = m_cancel;
    if (request.model.empty()) {
        const std::string m = model();
        const auto colon = m.find(':');
        request.model = colon == std::string::npos ? m : m.substr(colon + 1);
    }
    auto response = provider->complete_sync(std::move(request));
    if (!response) {
        return response;
    }
    std::string priced_model = response->served_by;
    if (const auto colon = priced_model.find(':'); colon != std::string::npos) {
        priced_model = priced_model.substr(colon + 1);
    }
    if (priced_model.empty()) {
        priced_model = response->model;
    }
    double cost = 0;
    if (m_services.prices) {
        cost = m_services.prices
                   ->cost(priced_model, TokenCounts{response->usage.input_tokens,
                                                    response->usage.cached_input_tokens,
                                                    response->usage.output_tokens})
                   .value_or(0.0);
    }
    {
        std::lock_guard lock(m_mutex);
        ++m_usage.llm_calls;
        m_usage.input_tokens += response->usage.input_tokens;
        m_usage.output_tokens += response->usage.output_tokens;
        m_usage.cost_usd += cost;
    }
    for (const auto& note : response->fallbacks) {
        log("warn", "fell back: " + note);
    }
    progress("model answered");
    return response;
}

Expected<llm::Request> StepContext::prompt_request(const std::string& prompt_name,
                                                   const json& vars) const {
    if (!m_services.prompts) {
        return fail(ErrorKind::internal, "step.no_prompts", "no prompt library");
    }
    auto prompt = m_services.prompts->get(prompt_name);
    if (!prompt) {
        return fail(prompt.error());
    }
    auto system = render_template((*prompt)->system, vars);
    if (!system) {
        return fail(system.error());
    }
    auto user = render_template((*prompt)->user, vars);
    if (!user) {
        return fail(user.error());
    }
    llm::Request request;
    request.system = std::move(*system);
    request.messages.push_back({"user", std::move(*user)});
    request.schema_name = prompt_name;
    request.max_output_tokens = (*prompt)->max_tokens;
    return request;
}

Expected<std::string> StepContext::ask_text(const std::string& prompt_name, const json& vars) {
    auto request = prompt_request(prompt_name, vars);
    if (!request) {
        return fail(request.error());
    }
    auto answer = complete(std::move(*request));
    if (!answer) {
        return fail(answer.error());
    }
    return answer->text;
}

Expected<json> StepContext::ask_json(const std::string& prompt_name, const json& vars,
                                     const json& schema) {
    auto request = prompt_request(prompt_name, vars);
    if (!request) {
        return fail(request.error());
    }
    auto answer = complete_structured([this](llm::Request r) { return complete(std::move(r)); },
                                      std::move(*request), schema, m_services.structured_retries);
    if (!answer) {
        return fail(answer.error());
    }
    if (answer->attempts > 1) {
        log("warn", prompt_name + ": " + std::to_string(answer->attempts - 1) +
                        " answer(s) did not follow the schema and were asked again");
    }
    return std::move(answer->value);
}

Expected<json> StepContext::ask_json_cached(const std::string& kind, Millis ttl,
                                            const std::vector<std::string>& key_parts,
                                            const std::string& prompt_name, const json& vars,
                                            const json& schema) {
    if (!m_services.cache || ttl.count() <= 0) {
        return ask_json(prompt_name, vars, schema);
    }
    auto prompt =
        m_services.prompts
            ? m_services.prompts->get(prompt_name)
            : Expected<const Prompt*>(fail(ErrorKind::internal, "step.no_prompts", "no prompts"));
    if (!prompt) {
        return fail(prompt.error());
    }
    std::vector<std::string> parts = {kind, model(), (*prompt)->cache_tag()};
    parts.insert(parts.end(), key_parts.begin(), key_parts.end());
    std::atomic<bool> computed{false};
    auto text = m_services.cache->get_or_compute(kind, resilience::cache_key(parts), ttl,
                                                 [&]() -> Expected<std::string> {
                                                     computed = true;
                                                     auto doc = ask_json(prompt_name, vars, schema);
                                                     if (!doc) {
                                                         return fail(doc.error());
                                                     }
                                                     return doc->dump();
                                                 });
    if (!text) {
        return fail(text.error());
    }
    if (!computed) {
        count_cache_hit();
    }
    auto doc = core::parse_json(*text);
    if (doc.is_discarded() || !schema_problem(doc, schema).empty()) {
        // A cached answer from an older schema: ask afresh.
        return ask_json(prompt_name, vars, schema);
    }
    return doc;
}

Expected<SerpResult> StepContext::search(const std::string& query) {
    if (!m_services.serp) {
        return fail(ErrorKind::config, "step.no_serp", "step " + m_spec.id + " needs Serper");
    }
    SerpQuery q;
    q.q = query;
    q.gl = m_services.serp_gl;
    q.hl = m_services.serp_hl;
    auto result = m_services.serp->search_sync(q, m_cancel, m_services.budget);
    {
        std::lock_guard lock(m_mutex);
        if (result && result->from_cache) {
            ++m_usage.cache_hits;
        } else {
            ++m_usage.serp_calls;
        }
    }
    if (result && result->stale) {
        log("warn",
            "Serper failed; using the cached answer for '" + query + "' from " + result->cached_at);
    }
    return result;
}

void StepContext::count_fetch() {
    std::lock_guard lock(m_mutex);
    ++m_usage.fetches;
}

void StepContext::count_cache_hit() {
    std::lock_guard lock(m_mutex);
    ++m_usage.cache_hits;
}

void StepContext::progress(const std::string& detail) {
    if (!m_reporter.wants(EventType::progress_update)) {
        return;
    }
    json data = usage().to_json();
    data["detail"] = detail;
    emit(EventType::progress_update, std::move(data));
}

void StepContext::log(const std::string& level, const std::string& text) {
    emit(EventType::log, {{"level", level}, {"text", text}});
}

StepUsage StepContext::usage() const {
    std::lock_guard lock(m_mutex);
    return m_usage;
}

void parallel_for(std::size_t n, int parallel, const std::function<void(std::size_t)>& fn) {
    if (n == 0) {
        return;
    }
    const std::size_t workers =
        std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, parallel)));
    std::atomic<std::size_t> next{0};
    TaskGroup tasks;
    for (std::size_t w = 0; w < workers; ++w) {
        tasks.run([&] {
            for (std::size_t i = next++; i < n; i = next++) {
                fn(i);
            }
        });
    }
    tasks.join();
}

}  // namespace sota::core::pipeline
