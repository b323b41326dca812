#pragma once

#include "cli/command_table.hpp"
#include "core/expected.hpp"

namespace sota::cli {

/// Adds `daemon start|stop|status|restart`.
void setup_daemon(CLI::App& parent, CommandTable& table);

/// Starts sotad in the background unless it already answers: sotad detaches by itself and
/// returns once it answers, or with the reason it could not start. Finds sotad beside this
/// sota, then on PATH.
core::Status start_daemon(Context& ctx, bool quiet);

}  // namespace sota::cli
