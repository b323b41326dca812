#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "core/cancel.hpp"
#include "core/clock.hpp"
#include "core/expected.hpp"
#include "core/resilience/circuit_breaker.hpp"
#include "core/resilience/rate_limiter.hpp"
#include "core/resilience/retry.hpp"

namespace sota::core::resilience {

/// Everything that governs calls to one service.
struct ServicePolicy {
    RetryPolicy retry;
    BreakerPolicy breaker;  ///< per service
    BreakerPolicy key_breaker{6, Millis(120'000), Millis(60'000),
                              1};  ///< per credential: > 5 failures
    RateLimit requests;            ///< per service and credential
    RateLimit tokens;
    bool wait_when_open = false;  ///< wait for an open breaker instead of failing fast
    /// How long a call waits for a half-open breaker's trial call to be answered before it is
    /// refused like the rest.
    Millis trial_wait{10'000};
};

/// Progress a caller may want to show ("rate limited", "retry 2 in 4 s", "breaker open").
struct CallHooks {
    std::function<void(int retry, Millis delay, const Error& why)> on_retry;
    std::function<void(Millis wait)> on_rate_limited;
    std::function<void(const std::string& breaker, Millis wait)> on_breaker_open;
};

/// One logical call: which service and key it uses and what it may spend.
struct CallOptions {
    std::string service;     ///< "openai", "serper", ...
    std::string credential;  ///< a short fingerprint of the key ("" if none)
    std::string scope;       ///< what limits are kept per besides service and key: the model
    double tokens = 0;       ///< expected token use, charged to the token bucket
    RetryBudget* budget = nullptr;
    CancelToken cancel;
    CallHooks hooks;
};

/// How an error counts against breakers.
enum class Verdict { success, service_failure, key_failure, neutral };

/// 5xx, timeouts, resets and overload count against the service; 429 and 401/403 against the key
/// (a rate limit says "slow down", not "broken"); cancellation counts for nothing; other answers
/// (404, 400, billing) show the service is up.
Verdict judge(const Error& error);

/// The one path every outbound call takes: rate limiter -> circuit breakers (service and key)
/// -> attempt -> retry with backoff and jitter (honouring the server's delay, within the job's
/// retry budget). Shared by every job in the process. Thread-safe.
class Resilience {
  public:
    Resilience(const Clock& clock, Timers& timers, BreakerStore* store,
               std::uint64_t seed = std::random_device{}());

    /// Sets the policy for a service (before calls are made).
    void set_policy(const std::string& service, ServicePolicy policy);
    const ServicePolicy& policy(const std::string& service) const;

    /// Runs `attempt` (which starts one try and reports its result) under the service's policy;
    /// `done` gets the first success or the final error. The final error's message says how many
    /// attempts were made.
    template <typename T>
    void call(CallOptions options, std::function<void(std::function<void(Expected<T>)>)> attempt,
              std::function<void(Expected<T>)> done);

    BreakerRegistry& breakers() { return m_breakers; }
    RateLimiters& limiters() { return m_limiters; }
    const Clock& clock() const { return m_clock; }
    Timers& timers() { return m_timers; }

    /// Breaker names for a service and a key.
    static std::string service_breaker(const std::string& service) { return "service:" + service; }
    static std::string key_breaker(const std::string& service, const std::string& credential) {
        return "key:" + service + ":" + credential;
    }
    /// The rate limiters' name prefix for a service, key and model ("openai:3f2a9c1e:gpt-4o");
    /// ":requests" and ":tokens" follow.
    static std::string limiter(const std::string& service, const std::string& credential,
                               const std::string& scope) {
        std::string name = service;
        for (const std::string* part : {&credential, &scope}) {
            if (!part->empty()) {
                name += ":" + *part;
            }
        }
        return name;
    }

  private:
    template <typename T>
    struct Run;

    std::uint64_t next_seed();

    const Clock& m_clock;
    Timers& m_timers;
    BreakerRegistry m_breakers;
    RateLimiters m_limiters;
    std::map<std::string, ServicePolicy> m_policies;
    ServicePolicy m_default;
    std::mutex m_seed_mutex;
    std::mt19937_64 m_seeds;
};

// ---- template implementation ---------------------------------------------------------------

template <typename T>
struct Resilience::Run : std::enable_shared_from_this<Run<T>> {
    Resilience* owner;
    CallOptions options;
    ServicePolicy policy;
    std::function<void(std::function<void(Expected<T>)>)> attempt;
    std::function<void(Expected<T>)> done;
    Backoff backoff;
    int attempts = 0;
    bool rate_checked = false;
    Millis trial_waited{0};  // spent waiting for a half-open breaker's trial call
    static constexpr Millis k_trial_poll{100};

    Run(Resilience* o, CallOptions opts, ServicePolicy p, std::uint64_t seed)
        : owner(o), options(std::move(opts)), policy(std::move(p)), backoff(policy.retry, seed) {}

    void finish(Expected<T> result) {
        auto d = std::move(done);
        d(std::move(result));
    }

    void later(Millis delay) {
        auto self = this->shared_from_this();
        owner->m_timers.after(delay, [self] { self->step(); });
    }

    void step() {
        if (options.cancel.cancelled()) {
            finish(fail(ErrorKind::cancelled, "call.cancelled",
                        options.service + " call was cancelled"));
            return;
        }
        if (!rate_checked) {
            rate_checked = true;
            const std::string bucket = limiter(options.service, options.credential, options.scope);
            Millis wait = owner->m_limiters.get(bucket + ":requests", policy.requests).reserve(1);
            if (options.tokens > 0) {
                wait = std::max(wait, owner->m_limiters.get(bucket + ":tokens", policy.tokens)
                                          .reserve(options.tokens));
            }
            if (wait.count() > 0) {
                if (options.hooks.on_rate_limited) {
                    options.hooks.on_rate_limited(wait);
                }
                later(wait);
                return;
            }
        }
        auto& service = owner->m_breakers.get(service_breaker(options.service), policy.breaker);
        CircuitBreaker* key =
            options.credential.empty()
                ? nullptr
                : &owner->m_breakers.get(key_breaker(options.service, options.credential),
                                         policy.key_breaker);
        for (CircuitBreaker* b : {&service, key}) {
            if (!b) {
                continue;
            }
            if (const auto wait = b->acquire()) {
                if (b == key) {
                    service.on_neutral();
                }
                if (b->state() == BreakerState::half_open && trial_waited < policy.trial_wait) {
                    // Another call is the breaker's trial: its answer decides whether this
                    // one may go (the breaker closes) or is refused (it opens again).
                    trial_waited += k_trial_poll;
                    later(k_trial_poll);
                    return;
                }
                if (options.hooks.on_breaker_open) {
                    options.hooks.on_breaker_open(b->name(), *wait);
                }
                if (policy.wait_when_open) {
                    later(*wait);
                    return;
                }
                Error e{ErrorKind::provider, "breaker.open",
                        "the circuit breaker " + b->name() +
                            " is open after repeated failures; it lets a trial call "
                            "through in " +
                            std::to_string((wait->count() + 999) / 1000) +
                            " s (`sota breakers` shows it)",
                        true};
                e.retry_after = *wait;
                e.detail = b->name();
                finish(fail(std::move(e)));
                return;
            }
        }
        ++attempts;
        if (attempts == 1 && options.budget) {
            options.budget->on_call();
        }
        auto self = this->shared_from_this();
        attempt([self, key, &service](Expected<T> result) {
            self->outcome(std::move(result), service, key);
        });
    }

    void outcome(Expected<T> result, CircuitBreaker& service, CircuitBreaker* key) {
        Verdict v = result ? Verdict::success : judge(result.error());
        const std::string bucket = limiter(options.service, options.credential, options.scope);
        if (!result && result.error().code == "provider.rate_limited" &&
            !(owner->m_limiters.get(bucket + ":requests", policy.requests).unlimited() &&
              owner->m_limiters.get(bucket + ":tokens", policy.tokens).unlimited())) {
            // With the key's rate known, a 429 is pacing's concern (its retry-after holds
            // every caller), not a sign of a broken key.
            v = Verdict::neutral;
        }
        auto record = [&](CircuitBreaker& b, bool failed) {
            const auto before = b.snapshot().state;
            failed ? b.on_failure() : b.on_success();
            if (b.snapshot().state != before) {
                owner->m_breakers.persist(b);
            }
        };
        switch (v) {
            case Verdict::success:
                record(service, false);
                if (key) {
                    record(*key, false);
                }
                break;
            case Verdict::service_failure:
                record(service, true);
                if (key) {
                    key->on_neutral();
                }
                break;
            case Verdict::key_failure:
                record(service, false);
                if (key) {
                    record(*key, true);
                }
                break;
            case Verdict::neutral:
                service.on_neutral();
                if (key) {
                    key->on_neutral();
                }
                break;
        }
        if (result) {
            finish(std::move(result));
            return;
        }
        const Error& error = result.error();
        const bool may_retry = is_retryable(error) && attempts <= policy.retry.max_retries &&
                               !options.cancel.cancelled();
        if (!may_retry || (options.budget && !options.budget->try_spend())) {
            Error final_error = error;
            if (attempts > 1) {
                final_error.message += " (after " + std::to_string(attempts) + " attempts)";
            } else if (may_retry) {
                final_error.message += " (not retried: the job's retry budget is spent)";
            }
            finish(fail(std::move(final_error)));
            return;
        }
        if (error.code == "provider.rate_limited" && error.retry_after) {
            owner->m_limiters.get(bucket + ":requests", policy.requests)
                .pause(std::min(*error.retry_after, policy.retry.max_server_delay));
        }
        const Millis delay = backoff.next(attempts, error.retry_after);
        if (options.hooks.on_retry) {
            options.hooks.on_retry(attempts, delay, error);
        }
        rate_checked = false;
        later(delay);
    }
};

template <typename T>
void Resilience::call(CallOptions options,
                      std::function<void(std::function<void(Expected<T>)>)> attempt,
                      std::function<void(Expected<T>)> done) {
    const ServicePolicy& p = policy(options.service);
    auto run = std::make_shared<Run<T>>(this, std::move(options), p, next_seed());
    run->attempt = std::move(attempt);
    run->done = std::move(done);
    run->step();
}

}  // namespace sota::core::resilience
