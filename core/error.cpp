#include "core/error.hpp"

namespace sota::core {

ExitCode exit_code_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::usage:
            return ExitCode::usage;
        case ErrorKind::config:
        case ErrorKind::credentials:
            return ExitCode::config;
        case ErrorKind::cancelled:
            return ExitCode::interrupted;
        case ErrorKind::io:
        case ErrorKind::network:
        case ErrorKind::provider:
        case ErrorKind::billing:
        case ErrorKind::not_found:
        case ErrorKind::internal:
            return ExitCode::job_failed;
    }
    return ExitCode::job_failed;
}

const char* to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::usage:
            return "usage";
        case ErrorKind::config:
            return "config";
        case ErrorKind::credentials:
            return "credentials";
        case ErrorKind::io:
            return "io";
        case ErrorKind::network:
            return "network";
        case ErrorKind::provider:
            return "provider";
        case ErrorKind::billing:
            return "billing";
        case ErrorKind::not_found:
            return "not_found";
        case ErrorKind::cancelled:
            return "cancelled";
        case ErrorKind::internal:
            return "internal";
    }
    return "internal";
}

}  // namespace sota::core
