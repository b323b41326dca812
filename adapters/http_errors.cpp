#include "adapters/http_errors.hpp"

namespace sota::adapters::http_errors {

namespace {

std::string seconds_text(std::chrono::milliseconds ms) {
    return std::to_string(ms.count() / 1000) +
           (ms.count() % 1000 ? "." + std::to_string(ms.count() % 1000 / 100) : "") + "s";
}

}  // namespace

using core::ErrorKind;

std::string safe_url(const std::string& url) {
    const auto cut = url.find_first_of("?#");
    return cut == std::string::npos ? url : url.substr(0, cut) + "?…";
}

core::Error too_large(const core::HttpRequest& request) {
    return {ErrorKind::provider, "http.too_large",
            safe_url(request.url) + " sent more than " +
                std::to_string(request.max_response_bytes) +
                " bytes; raise http.max_response_size if that is expected"};
}

core::Error blocked_address(const core::HttpRequest& request, const std::string& address) {
    return {ErrorKind::usage, "http.blocked_address",
            safe_url(request.url) + " resolves to " + address +
                ", a loopback, private or link-local address; sota does not fetch those unless "
                "web.allow_private is true"};
}

core::Error idle_timeout(const core::HttpRequest& request) {
    return {ErrorKind::network, "http.idle_timeout",
            safe_url(request.url) + " sent nothing for " + seconds_text(request.idle_timeout) +
                " mid-response",
            true};
}

core::Error cancelled(const core::HttpRequest& request) {
    return {ErrorKind::cancelled, "http.cancelled",
            "request to " + safe_url(request.url) + " was cancelled"};
}

core::Error aborted(const core::HttpRequest& request) {
    return {ErrorKind::cancelled, "http.aborted",
            "reading " + safe_url(request.url) + " was stopped by its reader"};
}

core::Error timed_out(const core::HttpRequest& request, const std::string& why) {
    return {ErrorKind::network, "http.timeout", safe_url(request.url) + " timed out: " + why, true};
}

core::Error cannot_connect(const core::HttpRequest& request, const std::string& why) {
    return {ErrorKind::network, "http.connect",
            "cannot connect to " + safe_url(request.url) + ": " + why, true};
}

core::Error broke_off(const core::HttpRequest& request, const std::string& why) {
    return {ErrorKind::network, "http.reset",
            safe_url(request.url) + " broke off the response: " + why, true};
}

core::Error failed(const core::HttpRequest& request, const std::string& why) {
    return {ErrorKind::network, "http.failed",
            "request to " + safe_url(request.url) + " failed: " + why, false};
}

}  // namespace sota::adapters::http_errors
