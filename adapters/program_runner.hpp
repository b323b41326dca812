#pragma once

#include "core/pipeline/step.hpp"
#include "core/redactor.hpp"

namespace sota::adapters {

/// Runs program steps as child processes: argv[0] looked up on PATH, the input written to its
/// stdin, stdout and stderr collected (each up to 16 MiB), the child killed (SIGTERM, then
/// SIGKILL after a second) on timeout or cancel. Called from a fiber, the wait happens on a
/// thread of its own. What the program prints is text from outside: every secret `redactor`
/// knows is masked in it (stdout keeps credential-shaped prose, stderr loses it too) before a
/// step, a log, an error or the store sees it. Thread-safe.
class PosixProgramRunner final : public core::pipeline::ProgramRunner {
  public:
    /// `redactor` may be null (nothing to mask); it must outlive the runner.
    explicit PosixProgramRunner(const core::Redactor* redactor = nullptr) : m_redactor(redactor) {}

    core::Expected<core::pipeline::ProgramResult> run(const std::vector<std::string>& argv,
                                                      const std::string& input,
                                                      core::Millis timeout,
                                                      core::CancelToken cancel) override;

  private:
    core::Expected<core::pipeline::ProgramResult> run_here(const std::vector<std::string>& argv,
                                                           const std::string& input,
                                                           core::Millis timeout,
                                                           core::CancelToken cancel);

    const core::Redactor* m_redactor;
};

}  // namespace sota::adapters
