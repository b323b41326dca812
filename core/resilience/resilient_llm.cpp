#include "core/resilience/resilient_llm.hpp"

#include <atomic>

#include "core/tokens.hpp"

namespace sota::core::resilience {

namespace {

// Output charged before the answer when a request sets no max_output_tokens; settled against
// the answer's usage afterwards.
constexpr double k_unknown_output_tokens = 1000;

// What a request is charged against a tokens-per-minute limit before it is sent: its prompt's
// tokens (estimate_tokens, plus the chat format's few tokens of framing per message) and the
// most it may write (max_output_tokens), as the providers count it.
double prompt_tokens(const llm::Request& request) {
    constexpr std::size_t k_per_message = 4;
    std::size_t tokens = estimate_tokens(request.system) + k_per_message;
    for (const auto& m : request.messages) {
        tokens += estimate_tokens(m.content) + k_per_message;
    }
    return static_cast<double>(tokens);
}

}  // namespace

void CostMeter::add(double usd) {
    std::lock_guard lock(m_mutex);
    m_spent += usd;
}

double CostMeter::spent() const {
    std::lock_guard lock(m_mutex);
    return m_spent;
}

bool CostMeter::over() const {
    std::lock_guard lock(m_mutex);
    return m_budget > 0 && m_spent >= m_budget;
}

ResilientProvider::ResilientProvider(Resilience& resilience, std::vector<ChainEntry> chain,
                                     const PriceTable* prices, RetryBudget* budget, CostMeter* cost,
                                     CallHooks hooks)
    : m_resilience(resilience),
      m_chain(std::move(chain)),
      m_prices(prices),
      m_budget(budget),
      m_cost(cost),
      m_hooks(std::move(hooks)) {}

void ResilientProvider::observe_rate(const ChainEntry& link, const std::string& model,
                                     const RateInfo& rate) {
    // The provider's own count of what is left can only lower ours.
    const auto& policy = m_resilience.policy(link.service);
    const std::string bucket = Resilience::limiter(link.service, link.credential, model);
    auto& requests = m_resilience.limiters().get(bucket + ":requests", policy.requests);
    auto& tokens = m_resilience.limiters().get(bucket + ":tokens", policy.tokens);
    if (rate.limit_requests) {
        requests.learn(*rate.limit_requests);
    }
    if (rate.limit_tokens) {
        tokens.learn(*rate.limit_tokens);
    }
    if (rate.remaining_requests) {
        requests.observe(rate.remaining_requests, rate.requests_reset);
    }
    if (rate.remaining_tokens) {
        tokens.observe(rate.remaining_tokens, rate.tokens_reset);
    }
}

void ResilientProvider::complete(llm::Request request, llm::Callback done) {
    auto notes = std::make_shared<std::vector<std::string>>();
    std::size_t start = 0;
    if (m_cost && m_cost->over() && m_chain.size() > 1) {
        start = m_chain.size() - 1;
        notes->push_back("cost budget reached: using " + m_chain.back().service + ":" +
                         (m_chain.back().model.empty() ? request.model : m_chain.back().model));
    }
    try_link(start, std::make_shared<llm::Request>(std::move(request)), notes, std::move(done));
}

void ResilientProvider::try_link(std::size_t index, std::shared_ptr<llm::Request> original,
                                 std::shared_ptr<std::vector<std::string>> notes,
                                 llm::Callback done) {
    const ChainEntry& link = m_chain[index];
    auto request = std::make_shared<llm::Request>(*original);
    if (!link.model.empty()) {
        request->model = link.model;
    }
    const std::string label = link.service + ":" + request->model;
    // Track streamed output so a broken stream is not silently replayed.
    auto delivered = std::make_shared<std::atomic<std::size_t>>(0);
    if (original->on_text) {
        request->on_text = [delivered, sink = original->on_text](std::string_view piece) {
            *delivered += piece.size();
            sink(piece);
        };
    }
    CallOptions options;
    options.service = link.service;
    options.credential = link.credential;
    options.scope = request->model;
    options.tokens = prompt_tokens(*request) +
                     (request->max_output_tokens ? static_cast<double>(*request->max_output_tokens)
                                                 : k_unknown_output_tokens);
    const double reserved = options.tokens;
    options.budget = m_budget;
    options.cancel = request->cancel;
    options.hooks = m_hooks;
    auto attempts = std::make_shared<int>(0);
    llm::Provider* provider = link.provider;
    auto attempt = [provider, request, delivered, attempts,
                    original](std::function<void(Expected<llm::Response>)> cb) {
        ++*attempts;
        if (*delivered > 0 && original->on_stream_restart) {
            original->on_stream_restart();
            *delivered = 0;
        }
        provider->complete(
            *request, [cb = std::move(cb), delivered, original](Expected<llm::Response> r) {
                if (!r && *delivered > 0 && !original->on_stream_restart && r.error().retryable) {
                    Error e = r.error();
                    e.retryable = false;
                    e.message += " (the stream had already delivered " +
                                 std::to_string(delivered->load()) +
                                 " characters, so it is not replayed automatically)";
                    cb(fail(std::move(e)));
                    return;
                }
                cb(std::move(r));
            });
    };
    m_resilience.call<llm::Response>(
        std::move(options), attempt,
        [this, index, original, notes, label, attempts, request, reserved,
         done = std::move(done)](Expected<llm::Response> r) mutable {
            if (r) {
                if (!request->max_output_tokens && r->usage.output_tokens > 0) {
                    // The provider counts what the answer really used; so do we.
                    const ChainEntry& used = m_chain[index];
                    m_resilience.limiters()
                        .get(Resilience::limiter(used.service, used.credential, request->model) +
                                 ":tokens",
                             m_resilience.policy(used.service).tokens)
                        .adjust(
                            static_cast<double>(r->usage.input_tokens + r->usage.output_tokens) -
                            reserved);
                }
                observe_rate(m_chain[index], request->model, r->rate);
                r->served_by = label;
                r->fallbacks = *notes;
                r->attempts = *attempts;
                if (m_cost && m_prices) {
                    if (const auto usd = m_prices->cost(
                            request->model, {r->usage.input_tokens, r->usage.cached_input_tokens,
                                             r->usage.output_tokens})) {
                        m_cost->add(*usd);
                    }
                }
                done(std::move(r));
                return;
            }
            const Error& e = r.error();
            const bool can_fall_back =
                e.kind != ErrorKind::cancelled && e.kind != ErrorKind::usage &&
                e.code != "provider.invalid_request" && index + 1 < m_chain.size();
            if (can_fall_back) {
                notes->push_back(label + " failed (" + e.code + ")");
                try_link(index + 1, original, notes, std::move(done));
                return;
            }
            Error final_error = e;
            for (const auto& n : *notes) {
                final_error.message += "; before that " + n;
            }
            done(fail(std::move(final_error)));
        });
}

}  // namespace sota::core::resilience
