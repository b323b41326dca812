#include "core/provider_error.hpp"

#include <nlohmann/json.hpp>

#include "core/retry_hints.hpp"
#include "core/text.hpp"

namespace sota::core {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key)) {
        return "";
    }
    const auto& v = j.at(key);
    if (v.is_string()) {
        return v.get<std::string>();
    }
    if (v.is_number_integer()) {
        return std::to_string(v.get<long long>());
    }
    return "";
}

std::string truncated(const std::string& body) {
    return body.size() > 2048 ? body.substr(0, 2048) + "…" : body;
}

struct Parsed {
    std::string code;  // provider's error code or type
    std::string type;
    std::string message;
    std::string request_id;
    std::optional<std::chrono::milliseconds> retry_delay;  // from the body (Gemini)
    bool billing = false;
};

Parsed parse_body(ProviderKind kind, const std::string& body) {
    Parsed p;
    const json j = parse_json(body);
    if (j.is_discarded() || !j.is_object()) {
        std::string text = body.substr(0, 300);
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
            text.pop_back();
        }
        p.message = text;
        return p;
    }
    if (kind == ProviderKind::serper || kind == ProviderKind::wordpress) {
        p.message = str(j, "message");
        p.code = str(j, "code");
        p.billing = p.message.find("Not enough credits") != std::string::npos;
        return p;
    }
    // vLLM's older flat shape: {"object":"error","message",...}
    const json& e = j.contains("error") && j["error"].is_object() ? j["error"] : j;
    p.message = str(e, "message");
    p.type = str(e, "type");
    p.code = str(e, "code");
    p.request_id = str(j, "request_id");
    if (kind == ProviderKind::gemini) {
        p.code = str(e, "status");
        if (e.contains("details") && e["details"].is_array()) {
            for (const auto& d : e["details"]) {
                const std::string delay = str(d, "retryDelay");
                if (!delay.empty()) {
                    p.retry_delay = parse_go_duration(delay);
                }
            }
        }
    }
    if (kind == ProviderKind::anthropic && e.contains("details") && e["details"].is_object()) {
        p.billing = str(e["details"], "error_code") == "enforced_spend_limit_reached";
    }
    p.billing = p.billing || p.type == "insufficient_quota" || p.code == "insufficient_quota" ||
                p.code == "credit_balance_exhausted" || p.type == "billing_error";
    return p;
}

}  // namespace

const char* display_name(ProviderKind kind) {
    switch (kind) {
        case ProviderKind::openai:
            return "OpenAI";
        case ProviderKind::openai_compatible:
            return "the OpenAI-compatible server";
        case ProviderKind::anthropic:
            return "Anthropic";
        case ProviderKind::gemini:
            return "Gemini";
        case ProviderKind::serper:
            return "Serper";
        case ProviderKind::wordpress:
            return "WordPress";
        case ProviderKind::web:
            return "the web server";
    }
    return "the provider";
}

Error classify_http_error(ProviderKind kind, const HttpResponse& response,
                          std::chrono::system_clock::time_point now) {
    const int status = response.status;
    Parsed p = parse_body(kind, response.body);
    if (p.request_id.empty()) {
        p.request_id =
            response.header("x-request-id").value_or(response.header("request-id").value_or(""));
    }
    std::string label = p.code.empty() ? p.type : p.code;
    std::string message = std::string(display_name(kind)) + " answered " + std::to_string(status);
    if (!label.empty()) {
        message += " " + label;
    }
    if (!p.message.empty()) {
        message += ": " + p.message;
    }
    if (!p.request_id.empty()) {
        message += " (request " + p.request_id + ")";
    }

    Error error;
    error.http_status = status;
    error.request_id = p.request_id;
    error.detail = truncated(response.body);
    error.kind = ErrorKind::provider;
    error.retryable = false;

    if (p.billing || (status == 402)) {
        error.kind = ErrorKind::billing;
        error.code = "provider.billing";
        error.message = message +
                        ". This is a billing or quota limit, not a passing rate limit: "
                        "sota will not retry; add credit or raise the limit, then run again";
        return error;
    }
    if (status == 401 || status == 403) {
        error.kind = ErrorKind::credentials;
        error.code = "provider.auth";
        error.message = message +
                        ". Check the key with `sota keys list` and store a working one "
                        "with `sota keys set`";
        return error;
    }
    if (status == 429) {
        error.code = "provider.rate_limited";
        error.retryable = true;
    } else if (status == 408 || status == 504) {
        error.code = "provider.timeout";
        error.retryable = true;
    } else if (status == 503 || status == 529) {
        error.code = "provider.overloaded";
        error.retryable = true;
    } else if (status == 409 || status >= 500) {
        error.code = "provider.server_error";
        error.retryable = true;
    } else if (status == 404) {
        error.code = "provider.not_found";
        message += ". Check the model name and base URL (`sota config show`)";
    } else {
        error.code = "provider.invalid_request";
    }
    if (const auto should = response.header("x-should-retry")) {
        error.retryable = *should == "true";
    }
    error.retry_after = retry_delay_from_headers(response.headers, now);
    if (!error.retry_after) {
        error.retry_after = p.retry_delay;
    }
    error.message = message;
    return error;
}

Error malformed_response(ProviderKind kind, std::string_view what, const HttpResponse& response) {
    Error error{ErrorKind::provider, "provider.malformed",
                std::string(display_name(kind)) + " sent an answer sota cannot read (" +
                    std::string(what) + ")",
                true};
    error.http_status = response.status;
    error.detail = truncated(response.body);
    error.request_id =
        response.header("x-request-id").value_or(response.header("request-id").value_or(""));
    return error;
}

}  // namespace sota::core
