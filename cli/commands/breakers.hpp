#pragma once

#include <string>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota breakers [--json]` and `sota breakers reset NAME`.
struct BreakersOptions {
    bool json = false;
    std::string name;
};

/// Adds `breakers` and `breakers reset`.
void setup_breakers(CLI::App& parent, CommandTable& table);

/// Lists every breaker: state, recent and total counts, when it next lets a call through.
int run_breakers(const BreakersOptions& options, Context& ctx);
/// Closes a breaker (or all breakers of a service: `reset service:openai`, `reset key:openai`).
int run_breakers_reset(const BreakersOptions& options, Context& ctx);

}  // namespace sota::cli
