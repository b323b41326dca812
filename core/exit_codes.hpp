#pragma once

namespace sota::core {

/// Documented process exit codes (README "Exit codes", man page sota(1) EXIT STATUS).
enum class ExitCode : int {
    ok = 0,                  ///< success
    job_failed = 1,          ///< the job (or an operation on it) failed
    usage = 2,               ///< bad command line, flag or input
    daemon_unreachable = 3,  ///< sotad is not running or not answering
    batch_partial = 4,       ///< some rows of a batch failed
    below_min_score = 4,     ///< `sota analyze --min-score N`: the score is below N
    config = 5,              ///< configuration or credentials problem
    interrupted = 130,       ///< interrupted by SIGINT (Ctrl-C)
};

/// The integer value handed to exit().
constexpr int to_int(ExitCode code) {
    return static_cast<int>(code);
}

}  // namespace sota::core
