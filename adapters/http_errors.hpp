#pragma once

#include <string>

#include "core/error.hpp"
#include "core/http.hpp"

/// The transport errors both HTTP paths report (libcurl's and PlainHttp's), worded once: the
/// same failure has the same code, kind, retryability and message whichever path it took.
namespace sota::adapters::http_errors {

/// The URL without query or fragment, for messages: a query may carry a key (Gemini's ?key=).
std::string safe_url(const std::string& url);

/// More than max_response_bytes arrived (not retryable).
core::Error too_large(const core::HttpRequest& request);
/// The host is a loopback, private or link-local address and the request does not allow those.
core::Error blocked_address(const core::HttpRequest& request, const std::string& address);
/// Nothing arrived for idle_timeout in the middle of a response (retryable).
core::Error idle_timeout(const core::HttpRequest& request);
/// The request's cancel token fired, or the client shut down.
core::Error cancelled(const core::HttpRequest& request);
/// The body sink returned false.
core::Error aborted(const core::HttpRequest& request);
/// The connect or total time limit passed (retryable); `why` says which.
core::Error timed_out(const core::HttpRequest& request, const std::string& why);
/// No connection could be made (retryable).
core::Error cannot_connect(const core::HttpRequest& request, const std::string& why);
/// The connection was reset or closed before the response ended (retryable).
core::Error broke_off(const core::HttpRequest& request, const std::string& why);
/// Anything else, including an answer that is not HTTP (not retryable).
core::Error failed(const core::HttpRequest& request, const std::string& why);

}  // namespace sota::adapters::http_errors
