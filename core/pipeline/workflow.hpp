#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"

namespace sota::core::pipeline {

/// What runs a step: one of the eight built-in steps, a prompt defined in the workflow file, or
/// an external program (JSON on stdin, JSON on stdout).
enum class StepKind { builtin, prompt, program };

/// "builtin", "prompt", "program".
const char* to_string(StepKind kind);

/// One node of a workflow's DAG.
struct StepSpec {
    std::string id;
    StepKind kind = StepKind::builtin;
    std::string uses;                  ///< built-in step name (kind builtin)
    std::vector<std::string> inputs;   ///< artifacts consumed
    std::vector<std::string> outputs;  ///< artifacts produced
    std::string model;                 ///< "provider:model" or a model name; "" = llm.model
    Millis timeout{30'000};
    int passes = 1;      ///< auto-fix passes
    std::string prompt;  ///< template over {{artifact}} and {{field}} (kind prompt)
    /// The most a prompt step's answer may be, in tokens (sent as the request's max_tokens, and
    /// charged against a tokens-per-minute limit); none = the pipeline.max_tokens setting.
    std::optional<int> max_tokens;
    std::optional<nlohmann::json> output_schema;
    std::vector<std::string> command;  ///< argv (kind program)
};

/// A named DAG of steps with a global deadline.
struct Workflow {
    std::string name;
    std::string description;
    std::vector<StepSpec> steps;
    Millis deadline{900'000};
    std::string source;  ///< "built-in" or the file it came from
};

/// The artifacts a job provides before any step runs.
const std::vector<std::string>& job_artifacts();

/// The built-in steps and their declared inputs, outputs and default timeouts
/// (keywords 30 s, gaps 45 s, blueprint 20 s, generate 120 s, auto-fix 30 s, references 60 s,
/// internal links 30 s, validate 30 s).
const std::vector<StepSpec>& builtin_steps();

/// The built-in workflows: standard, research_heavy, seo_focused, citation_heavy, refresh.
const std::vector<Workflow>& builtin_workflows();

/// A built-in workflow by name, or nullptr.
const Workflow* find_builtin_workflow(std::string_view name);

/// Reads a workflow from its JSON form (a workflow file after TOML decoding). `source` names
/// the file in errors. Unknown fields are refused.
Expected<Workflow> workflow_from_json(const nlohmann::json& doc, const std::string& source);

/// Checks a workflow before anything runs: unique step ids, known built-ins, every input
/// produced by an earlier-running step or the job, no two producers of one artifact, no cycle.
/// Returns the steps grouped into levels that may run concurrently, in order.
using Levels = std::vector<std::vector<std::string>>;
Expected<Levels> plan(const Workflow& workflow);

/// How to give a step more time, for the error of a step that ran out of it: a built-in step's
/// config key (`--set step.NAME.timeout=DURATION`, which retunes the built-in workflows), and
/// for any step its `timeout` in a workflow file.
std::string timeout_hint(const StepSpec& step);

/// The workflow as JSON, for `sota workflow show --json`.
nlohmann::json to_json(const Workflow& workflow);

}  // namespace sota::core::pipeline
