#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancel.hpp"
#include "core/expected.hpp"
#include "core/http.hpp"
#include "core/llm/model_quirks.hpp"
#include "core/provider_error.hpp"
#include "core/retry_hints.hpp"

namespace sota::core::llm {

/// One turn of a conversation.
struct Message {
    std::string role;  ///< "user" or "assistant"
    std::string content;
};

/// Why generation stopped, the same for every provider.
enum class FinishReason { stop, length, content_filter, tool_use, refusal, other };

/// "stop", "length", ...
const char* to_string(FinishReason reason);

/// Token counts for one call. Input includes cached input; output includes reasoning.
struct Usage {
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cached_input_tokens = 0;
    std::int64_t reasoning_tokens = 0;
};

/// The largest max_output_tokens a prompt or workflow step may ask for.
constexpr int k_max_output_tokens = 128'000;

/// What to ask a model.
struct Request {
    std::string model;
    std::string system;
    std::vector<Message> messages;
    std::optional<double> temperature;  ///< omitted for models whose quirks say so
    std::optional<int> max_output_tokens;
    std::optional<nlohmann::json> output_schema;  ///< JSON Schema the answer must follow
    std::string schema_name = "answer";
    /// If set, the call streams and this receives text as it arrives.
    std::function<void(std::string_view)> on_text;
    /// Called before a streamed call that already delivered text is retried from the start; the
    /// receiver must discard what it got. Without it, such a call is not replayed.
    std::function<void()> on_stream_restart;
    CancelToken cancel;
};

/// A model's answer.
struct Response {
    std::string text;
    FinishReason finish = FinishReason::other;
    std::string raw_finish_reason;  ///< the provider's own word
    Usage usage;
    std::string model;  ///< as the provider reported it
    std::string request_id;
    std::chrono::milliseconds first_token{0};
    std::chrono::milliseconds total{0};
    RateInfo rate;          ///< what the provider's rate-limit headers said
    std::string served_by;  ///< "provider:model" that answered (set by the resilient layer)
    std::vector<std::string> fallbacks;  ///< what was tried before it and why
    int attempts = 1;
};

using Callback = std::function<void(Expected<Response>)>;

/// Where and how to reach one provider.
struct Endpoint {
    std::string base_url;  ///< e.g. https://api.openai.com/v1
    std::string api_key;   ///< may be empty (Ollama)
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds request_timeout{120'000};     ///< whole non-streaming call
    std::chrono::milliseconds stream_idle_timeout{30'000};  ///< silence allowed mid-stream
    std::int64_t max_response_bytes = 32LL << 20;
};

/// A large language model behind one interface. Thread-safe; calls are asynchronous.
class Provider {
  public:
    virtual ~Provider() = default;

    /// Which wire format this provider speaks.
    virtual ProviderKind kind() const = 0;

    /// Starts a call; `done` runs once with the answer or a classified Error (see
    /// classify_http_error; a broken or truncated stream is retryable ErrorKind::network).
    virtual void complete(Request request, Callback done) = 0;

    /// Starts a call and waits for it.
    Expected<Response> complete_sync(Request request);
};

/// Makes the provider for `kind` (openai, openai_compatible, anthropic, gemini) over `http`,
/// which must outlive it.
std::unique_ptr<Provider> make_provider(ProviderKind kind, HttpClient& http, Endpoint endpoint,
                                        std::shared_ptr<const ModelQuirks> quirks);

}  // namespace sota::core::llm
