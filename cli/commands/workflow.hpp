#pragma once

#include <string>

#include "cli/command_table.hpp"

namespace sota::cli {

/// Options of `sota workflow list|show|validate`.
struct WorkflowOptions {
    std::string name;
    bool json = false;
};

/// Adds `workflow` and its subcommands.
void setup_workflow(CLI::App& parent, CommandTable& table);

/// Built-in and user workflows, one per line.
int run_workflow_list(const WorkflowOptions& options, Context& ctx);
/// One workflow's steps, inputs, outputs, timeouts and the order they run in.
int run_workflow_show(const WorkflowOptions& options, Context& ctx);
/// Checks a workflow file; exit 2 with the problem if it is not runnable.
int run_workflow_validate(const WorkflowOptions& options, Context& ctx);

}  // namespace sota::cli
