#include "cli/commands/workflow.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "adapters/workflow_file.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/config.hpp"

namespace sota::cli {
namespace {

std::filesystem::path user_dir(const Context& ctx) {
    return ctx.paths().config_dir / "workflows";
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        out += (out.empty() ? "" : ", ") + i;
    }
    return out.empty() ? "-" : out;
}

int show(const core::pipeline::Workflow& w, bool json) {
    auto levels = core::pipeline::plan(w);
    if (!levels) {
        return report_error(levels.error());
    }
    if (json) {
        auto out = core::pipeline::to_json(w);
        out["levels"] = *levels;
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::cout << w.name << ": " << w.description << "\n"
              << "source: " << w.source << "; deadline "
              << core::format_value(core::ValueType::duration, w.deadline) << "\n\n";
    std::vector<std::vector<std::string>> rows{{"STEP", "KIND", "INPUTS", "OUTPUTS", "TIMEOUT"}};
    for (const auto& s : w.steps) {
        rows.push_back({s.id, s.uses.empty() ? core::pipeline::to_string(s.kind) : s.uses,
                        join(s.inputs), join(s.outputs),
                        core::format_value(core::ValueType::duration, s.timeout)});
    }
    print_table(rows);
    std::cout << "\nruns as:";
    for (std::size_t i = 0; i < levels->size(); ++i) {
        std::cout << (i ? " -> " : " ")
                  << ((*levels)[i].size() > 1 ? "(" + join((*levels)[i]) + ")" : (*levels)[i][0]);
    }
    std::cout << "\n";
    return 0;
}

}  // namespace

void setup_workflow(CLI::App& parent, CommandTable& table) {
    auto* workflow = parent.add_subcommand("workflow", "List, show and check workflows");
    workflow->require_subcommand(1);
    auto options = std::make_shared<WorkflowOptions>();
    auto* list = workflow->add_subcommand("list", "List built-in and user workflows");
    list->add_flag("--json", options->json, "Print one JSON document");
    table.add(list, [options](Context* ctx) { return run_workflow_list(*options, *ctx); });
    auto* show_cmd =
        workflow->add_subcommand("show", "Show a workflow's steps and the order they run in");
    show_cmd->add_option("NAME", options->name, "Workflow name or file")->required();
    show_cmd->add_flag("--json", options->json, "Print one JSON document");
    table.add(show_cmd, [options](Context* ctx) { return run_workflow_show(*options, *ctx); });
    table.add_completer(show_cmd, [](const std::vector<std::string>& before) {
        std::vector<std::string> names;
        if (before.empty()) {
            for (const auto& w : core::pipeline::builtin_workflows()) {
                names.push_back(w.name);
            }
        }
        return names;
    });
    auto* validate = workflow->add_subcommand("validate", "Check a workflow file before using it");
    validate->add_option("FILE", options->name, "Workflow file (TOML)")->required();
    table.add(validate, [options](Context* ctx) { return run_workflow_validate(*options, *ctx); });
}

int run_workflow_list(const WorkflowOptions& options, Context& ctx) {
    std::vector<core::Error> problems;
    const auto workflows = adapters::list_workflows(user_dir(ctx), &problems);
    for (const auto& p : problems) {
        print_error(p);
    }
    if (options.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& w : workflows) {
            out.push_back({{"name", w.name},
                           {"description", w.description},
                           {"source", w.source},
                           {"steps", w.steps.size()}});
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> rows{{"WORKFLOW", "STEPS", "SOURCE", "DESCRIPTION"}};
    for (const auto& w : workflows) {
        rows.push_back({w.name, std::to_string(w.steps.size()), w.source, w.description});
    }
    print_table(rows);
    return 0;
}

int run_workflow_show(const WorkflowOptions& options, Context& ctx) {
    auto w = adapters::find_workflow(options.name, user_dir(ctx));
    if (!w) {
        return report_error(w.error());
    }
    return show(*w, options.json);
}

int run_workflow_validate(const WorkflowOptions& options, Context&) {
    auto w = adapters::load_workflow_file(options.name);
    if (!w) {
        return report_error(w.error());
    }
    auto levels = core::pipeline::plan(*w);
    if (!levels) {
        return report_error(levels.error());
    }
    std::cout << options.name << ": workflow '" << w->name << "' is valid: " << w->steps.size()
              << " steps in " << levels->size() << " stages\n";
    return 0;
}

}  // namespace sota::cli
