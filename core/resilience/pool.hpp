#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/llm/llm.hpp"

namespace sota::core::resilience {

/// How a pool picks the endpoint for the next call.
enum class Balance { round_robin, least_in_flight, lowest_latency };

/// Parses "round_robin", "least_in_flight", "lowest_latency".
std::optional<Balance> balance_from_name(std::string_view name);

/// One endpoint or key of a pool.
struct PoolMember {
    std::unique_ptr<llm::Provider> provider;
    std::string name;  ///< for messages, e.g. "openai#2"
};

/// Several endpoints or keys for one provider behind one Provider: each call goes to a healthy
/// member chosen by the balancing policy; a member that fails `unhealthy_after` times in a row
/// (retryable failures) is skipped for `cooldown`; a retryable failure fails over to the next
/// healthy member within the same call. Thread-safe.
class PooledProvider final : public llm::Provider {
  public:
    PooledProvider(std::vector<PoolMember> members, Balance balance, const Clock& clock,
                   int unhealthy_after = 2, Millis cooldown = Millis(30'000));

    ProviderKind kind() const override { return m_members.front().provider->kind(); }
    void complete(llm::Request request, llm::Callback done) override;

    /// Calls in flight and smoothed latency per member, for tests and status.
    struct MemberState {
        std::string name;
        int in_flight = 0;
        double latency_ms = 0;
        int consecutive_failures = 0;
        bool healthy = true;
    };
    std::vector<MemberState> state() const;

  private:
    struct Member {
        std::unique_ptr<llm::Provider> provider;
        std::string name;
        int in_flight = 0;
        double latency_ms = 0;  // exponentially weighted
        int consecutive_failures = 0;
        SteadyTime down_until{};
    };
    std::optional<std::size_t> pick(const std::vector<bool>& tried);
    void attempt(std::shared_ptr<llm::Request> request, std::shared_ptr<std::vector<bool>> tried,
                 std::shared_ptr<std::vector<std::string>> notes, llm::Callback done);

    std::vector<Member> m_members;
    Balance m_balance;
    const Clock& m_clock;
    int m_unhealthy_after;
    Millis m_cooldown;
    mutable std::mutex m_mutex;
    std::size_t m_next = 0;
};

}  // namespace sota::core::resilience
