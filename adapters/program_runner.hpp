#pragma once

#include "core/pipeline/step.hpp"

namespace sota::adapters {

/// Runs program steps as child processes: argv[0] looked up on PATH, the input written to its
/// stdin, stdout and stderr collected (each up to 16 MiB), the child killed (SIGTERM, then
/// SIGKILL after a second) on timeout or cancel. Called from a fiber, the wait happens on a
/// thread of its own. Thread-safe.
class PosixProgramRunner final : public core::pipeline::ProgramRunner {
  public:
    core::Expected<core::pipeline::ProgramResult> run(const std::vector<std::string>& argv,
                                                      const std::string& input,
                                                      core::Millis timeout,
                                                      core::CancelToken cancel) override;

  private:
    core::Expected<core::pipeline::ProgramResult> run_here(const std::vector<std::string>& argv,
                                                           const std::string& input,
                                                           core::Millis timeout,
                                                           core::CancelToken cancel);
};

}  // namespace sota::adapters
