#include "core/resilience/resilient_llm.hpp"

#include <atomic>

namespace sota::core::resilience {

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

void ResilientProvider::observe_rate(const ChainEntry& link, const RateInfo& rate) {
    // The provider's own count of what is left can only lower ours.
    const auto& policy = m_resilience.policy(link.service);
    const std::string bucket =
        link.service + (link.credential.empty() ? "" : ":" + link.credential);
    if (rate.remaining_requests) {
        m_resilience.limiters()
            .get(bucket + ":requests", policy.requests)
            .observe(rate.remaining_requests, rate.requests_reset);
    }
    if (rate.remaining_tokens) {
        m_resilience.limiters()
            .get(bucket + ":tokens", policy.tokens)
            .observe(rate.remaining_tokens, rate.tokens_reset);
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
    std::size_t prompt_chars = request->system.size();
    for (const auto& m : request->messages) {
        prompt_chars += m.content.size();
    }
    CallOptions options;
    options.service = link.service;
    options.credential = link.credential;
    options.tokens = static_cast<double>(
        prompt_chars / 4 + static_cast<std::size_t>(request->max_output_tokens.value_or(1000)));
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
        [this, index, original, notes, label, attempts, request,
         done = std::move(done)](Expected<llm::Response> r) mutable {
            if (r) {
                observe_rate(m_chain[index], r->rate);
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
