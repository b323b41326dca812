#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "core/exit_codes.hpp"

namespace sota::core {

/// Broad classes of expected failure. Each maps onto one documented exit code.
enum class ErrorKind {
    usage,        ///< bad flags, arguments or input values
    config,       ///< a config file or variable that cannot be used
    credentials,  ///< a missing, unreadable or unsafe secret
    io,           ///< a local file or directory problem
    network,      ///< a remote service could not be reached or answered badly
    provider,     ///< a remote service refused the request
    billing,      ///< quota or credit exhausted: never retried
    not_found,    ///< a named thing (job, key, workflow) does not exist
    cancelled,    ///< the user interrupted the work
    internal,     ///< a defect in sota itself
};

/// An expected failure carried as a value: a stable code for machines, a message for humans
/// that says what went wrong and what to do, and whether trying again could help.
struct Error {
    ErrorKind kind = ErrorKind::internal;
    std::string code;  ///< stable, dotted, e.g. "config.unknown_key"
    std::string message;
    bool retryable = false;
    int http_status = 0;                                   ///< the remote answer's status, if any
    std::optional<std::chrono::milliseconds> retry_after;  ///< delay the server asked for
    std::string request_id;  ///< the provider's request id header, for support tickets
    std::string detail;      ///< raw remote error body (truncated), for logs; for
                             ///< breaker.open, the breaker's name

    Error() = default;
    Error(ErrorKind k, std::string c, std::string m, bool retry = false)
        : kind(k), code(std::move(c)), message(std::move(m)), retryable(retry) {}
};

/// The process exit code that reports an error of this kind.
ExitCode exit_code_for(ErrorKind kind);

/// The lower-case name of a kind, as it appears in JSON ("usage", "config", ...).
const char* to_string(ErrorKind kind);

}  // namespace sota::core
