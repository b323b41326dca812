#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/llm/llm.hpp"
#include "core/pricing.hpp"
#include "core/resilience/resilience.hpp"

namespace sota::core::resilience {

/// One link of a model downgrade chain.
struct ChainEntry {
    llm::Provider* provider = nullptr;
    std::string model;       ///< replaces the request's model when not empty
    std::string service;     ///< breaker and limiter name, e.g. "openai"
    std::string credential;  ///< key fingerprint, for the per-key breaker
};

/// What a job has spent, against its budget. Thread-safe.
class CostMeter {
  public:
    explicit CostMeter(double budget_usd = 0) : m_budget(budget_usd) {}
    void add(double usd);
    double spent() const;
    /// True once spending has reached a non-zero budget.
    bool over() const;

  private:
    mutable std::mutex m_mutex;
    double m_spent = 0;
    double m_budget;
};

/// An LLM provider with the resilient call path and fallbacks: each link of the chain is tried
/// under its service's policy; when one fails for good (not for bad input or a cancel), the next
/// is tried, and the answer records what was skipped. A job over its cost budget goes straight to
/// the last (cheapest) link. A stream that already delivered text is retried only if the request
/// has on_stream_restart. Thread-safe.
class ResilientProvider final : public llm::Provider {
  public:
    ResilientProvider(Resilience& resilience, std::vector<ChainEntry> chain,
                      const PriceTable* prices = nullptr, RetryBudget* budget = nullptr,
                      CostMeter* cost = nullptr, CallHooks hooks = {});

    ProviderKind kind() const override { return m_chain.front().provider->kind(); }
    void complete(llm::Request request, llm::Callback done) override;

  private:
    void observe_rate(const ChainEntry& link, const std::string& model, const RateInfo& rate);
    void try_link(std::size_t index, std::shared_ptr<llm::Request> request,
                  std::shared_ptr<std::vector<std::string>> notes, llm::Callback done);

    Resilience& m_resilience;
    std::vector<ChainEntry> m_chain;
    const PriceTable* m_prices;
    RetryBudget* m_budget;
    CostMeter* m_cost;
    CallHooks m_hooks;
};

}  // namespace sota::core::resilience
