#pragma once

#include "cli/command_table.hpp"
#include "core/expected.hpp"

namespace sota::cli {

/// Adds `daemon start|stop|status|restart`.
void setup_daemon(CLI::App& parent, CommandTable& table);

/// Starts sotad in the background (detached, logging to its file) unless it already answers,
/// and waits up to 10 s for it to answer. Finds sotad beside this sota, then on PATH.
core::Status start_daemon(Context& ctx, bool quiet);

}  // namespace sota::cli
