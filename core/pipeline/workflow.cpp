#include "core/pipeline/workflow.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/config.hpp"
#include "core/llm/llm.hpp"
#include "core/pipeline/prompts.hpp"
#include "core/suggest.hpp"

namespace sota::core::pipeline {

using nlohmann::json;

const char* to_string(StepKind kind) {
    switch (kind) {
        case StepKind::builtin:
            return "builtin";
        case StepKind::prompt:
            return "prompt";
        case StepKind::program:
            return "program";
    }
    return "builtin";
}

const std::vector<std::string>& job_artifacts() {
    static const std::vector<std::string> artifacts = {"keyword", "site_pages", "existing_article"};
    return artifacts;
}

const std::vector<StepSpec>& builtin_steps() {
    auto step = [](std::string id, std::vector<std::string> in, std::vector<std::string> out,
                   int seconds) {
        StepSpec s;
        s.id = id;
        s.uses = std::move(id);
        s.inputs = std::move(in);
        s.outputs = std::move(out);
        s.timeout = Millis(seconds * 1000);
        return s;
    };
    static const std::vector<StepSpec> steps = {
        step("semantic_keywords", {"keyword"}, {"keywords"}, 30),
        step("gap_analysis", {"keyword", "keywords"}, {"gaps"}, 45),
        step("blueprint", {"keyword", "keywords", "gaps"}, {"outline"}, 20),
        step("generate", {"keyword", "outline"}, {"draft"}, 120),
        step("auto_fix", {"keyword", "draft"}, {"fixed_draft"}, 30),
        step("references", {"keyword", "fixed_draft"}, {"references"}, 60),
        step("internal_links", {"fixed_draft", "site_pages"}, {"links"}, 30),
        step("validate", {"keyword", "fixed_draft", "references", "links"}, {"quality"}, 30),
        step("load_existing", {"existing_article"}, {"current_article"}, 30),
    };
    return steps;
}

namespace {

const StepSpec* builtin(std::string_view name) {
    for (const auto& s : builtin_steps()) {
        if (s.uses == name) {
            return &s;
        }
    }
    return nullptr;
}

Workflow make(std::string name, std::string description, std::vector<std::string> uses,
              Millis deadline, int fix_passes, Millis generate_timeout) {
    Workflow w;
    w.name = std::move(name);
    w.description = std::move(description);
    w.deadline = deadline;
    w.source = "built-in";
    for (const auto& u : uses) {
        StepSpec s = *builtin(u);
        if (u == "auto_fix") {
            s.passes = fix_passes;
        }
        if (u == "generate") {
            s.timeout = generate_timeout;
        }
        w.steps.push_back(std::move(s));
    }
    return w;
}

}  // namespace

const std::vector<Workflow>& builtin_workflows() {
    static const std::vector<std::string> all = {"semantic_keywords", "gap_analysis", "blueprint",
                                                 "generate",          "auto_fix",     "references",
                                                 "internal_links",    "validate"};
    static const std::vector<Workflow> workflows = [] {
        std::vector<Workflow> w;
        w.push_back(make("standard", "the eight steps with default limits", all, Millis(900'000), 2,
                         Millis(120'000)));
        w.push_back(make("research_heavy", "longer research and generation, more fix passes", all,
                         Millis(1'200'000), 3, Millis(240'000)));
        w.push_back(make("seo_focused", "more auto-fix passes against the SEO checks", all,
                         Millis(900'000), 4, Millis(120'000)));
        w.push_back(make("citation_heavy", "more time to find and verify references", all,
                         Millis(1'200'000), 2, Millis(120'000)));
        for (auto& s : w.back().steps) {
            if (s.uses == "references") {
                s.timeout = Millis(180'000);
            }
        }
        Workflow refresh =
            make("refresh", "update an existing article: read it, then the eight steps around it",
                 {"load_existing", "semantic_keywords", "gap_analysis", "blueprint", "generate",
                  "auto_fix", "references", "internal_links", "validate"},
                 Millis(900'000), 2, Millis(120'000));
        for (auto& s : refresh.steps) {
            if (s.uses == "blueprint" || s.uses == "generate") {
                s.inputs.push_back("current_article");
            }
        }
        w.push_back(std::move(refresh));
        return w;
    }();
    return workflows;
}

const Workflow* find_builtin_workflow(std::string_view name) {
    for (const auto& w : builtin_workflows()) {
        if (w.name == name) {
            return &w;
        }
    }
    return nullptr;
}

namespace {

/// How a workflow file's author would name a JSON value's type.
std::string type_name_of(const json& value) {
    if (value.is_array()) {
        return "a list";
    }
    if (value.is_object()) {
        return "a table";
    }
    if (value.is_boolean()) {
        return "a boolean";
    }
    if (value.is_number()) {
        return "a number";
    }
    return std::string("a ") + value.type_name();
}

}  // namespace

Expected<Workflow> workflow_from_json(const json& doc, const std::string& source) {
    auto bad = [&](const std::string& where, const std::string& what) {
        return fail(ErrorKind::usage, "workflow.invalid", source + ": " + where + what);
    };
    if (!doc.is_object()) {
        return bad(
            "",
            "a workflow file is a table with name, steps and optionally description and deadline");
    }
    // "source" and a step's "kind" are what to_json adds; accepted so a stored workflow reads back.
    static const std::set<std::string> top_fields = {"name", "description", "deadline", "steps",
                                                     "source"};
    static const std::set<std::string> step_fields = {
        "id",     "uses",   "inputs",        "outputs", "model",      "timeout",
        "passes", "prompt", "output_schema", "run",     "max_tokens", "kind"};
    for (const auto& [key, value] : doc.items()) {
        if (!top_fields.count(key)) {
            return bad("",
                       "unknown field '" + key + "' (fields: name, description, deadline, steps)");
        }
    }
    for (const char* field : {"name", "description"}) {
        if (doc.contains(field) && !doc[field].is_string()) {
            return bad("", std::string(field) + " is a string (in quotes), not " +
                               type_name_of(doc[field]));
        }
    }
    Workflow w;
    w.source = source;
    w.name = doc.value("name", "");
    if (w.name.empty()) {
        return bad("", "the workflow needs a name");
    }
    w.description = doc.value("description", "");
    if (doc.contains("deadline")) {
        auto d = parse_duration(doc["deadline"].is_string() ? doc["deadline"].get<std::string>()
                                                            : doc["deadline"].dump());
        if (!d) {
            return bad("deadline: ", d.error().message);
        }
        w.deadline = *d;
    }
    if (!doc.contains("steps") || !doc["steps"].is_array() || doc["steps"].empty()) {
        return bad("", "the workflow needs at least one [[steps]] entry");
    }
    std::vector<std::string> builtin_names;
    for (const auto& s : builtin_steps()) {
        builtin_names.push_back(s.uses);
    }
    std::size_t index = 0;
    for (const auto& entry : doc["steps"]) {
        ++index;
        if (!entry.is_object()) {
            return bad("step " + std::to_string(index) + ": ", "a step is a table");
        }
        const bool named = entry.contains("id") && entry["id"].is_string();
        const std::string where = "step " + std::to_string(index) +
                                  (named ? " ('" + entry["id"].get<std::string>() + "')" : "") +
                                  ": ";
        for (const char* field : {"id", "uses", "prompt", "model"}) {
            if (entry.contains(field) && !entry[field].is_string()) {
                return bad(where, std::string(field) + " is a string (in quotes), not " +
                                      type_name_of(entry[field]));
            }
        }
        for (const auto& [key, value] : entry.items()) {
            if (!step_fields.count(key)) {
                std::vector<std::string> names(step_fields.begin(), step_fields.end());
                std::string msg = "unknown field '" + key + "'";
                if (const auto near = closest_match(key, names)) {
                    msg += "; did you mean '" + *near + "'?";
                }
                return bad(where, msg);
            }
        }
        StepSpec s;
        const int kinds = (entry.contains("uses") ? 1 : 0) + (entry.contains("prompt") ? 1 : 0) +
                          (entry.contains("run") ? 1 : 0);
        if (kinds != 1) {
            return bad(where,
                       "a step has exactly one of uses (a built-in step), prompt (a template) or "
                       "run (a program)");
        }
        if (entry.contains("uses")) {
            s.kind = StepKind::builtin;
            s.uses = entry.value("uses", "");
            const StepSpec* b = builtin(s.uses);
            if (!b) {
                std::string msg = "unknown built-in step '" + s.uses + "'";
                if (const auto near = closest_match(s.uses, builtin_names)) {
                    msg += "; did you mean '" + *near + "'?";
                }
                return bad(where, msg);
            }
            s.inputs = b->inputs;
            s.outputs = b->outputs;
            s.timeout = b->timeout;
        } else if (entry.contains("prompt")) {
            s.kind = StepKind::prompt;
            s.prompt = entry.value("prompt", "");
            if (auto ok = check_template(s.prompt); !ok) {
                return bad(where, "prompt: " + ok.error().message);
            }
        } else {
            s.kind = StepKind::program;
            if (!entry["run"].is_array() || entry["run"].empty()) {
                return bad(where, "run is a list: the program and its arguments");
            }
            for (const auto& a : entry["run"]) {
                if (!a.is_string()) {
                    return bad(where, "run holds strings only");
                }
                s.command.push_back(a.get<std::string>());
            }
        }
        s.id = entry.value("id", s.uses);
        if (s.id.empty()) {
            return bad(where, "a prompt or program step needs an id");
        }
        for (const auto* field : {"inputs", "outputs"}) {
            if (entry.contains(field)) {
                if (!entry[field].is_array()) {
                    return bad(where, std::string(field) + " is a list of artifact names");
                }
                auto& list = std::string(field) == "inputs" ? s.inputs : s.outputs;
                list.clear();
                for (const auto& a : entry[field]) {
                    if (!a.is_string()) {
                        return bad(where, std::string(field) + " holds artifact names (strings)");
                    }
                    list.push_back(a.get<std::string>());
                }
            }
        }
        if (s.kind != StepKind::builtin && s.outputs.empty()) {
            s.outputs = {s.id};
        }
        s.model = entry.value("model", "");
        if (entry.contains("timeout")) {
            auto t =
                parse_duration(entry["timeout"].is_string() ? entry["timeout"].get<std::string>()
                                                            : entry["timeout"].dump());
            if (!t) {
                return bad(where + "timeout: ", t.error().message);
            }
            s.timeout = *t;
        }
        if (entry.contains("passes")) {
            if (!entry["passes"].is_number_integer() || entry["passes"].get<int>() < 1 ||
                entry["passes"].get<int>() > 10) {
                return bad(where, "passes is a whole number from 1 to 10");
            }
            s.passes = entry["passes"].get<int>();
        }
        if (entry.contains("max_tokens")) {
            const auto& m = entry["max_tokens"];
            if (s.kind != StepKind::prompt || !m.is_number_integer() || m.get<std::int64_t>() < 1 ||
                m.get<std::int64_t>() > llm::k_max_output_tokens) {
                return bad(where, s.kind != StepKind::prompt
                                      ? "max_tokens belongs to prompt steps"
                                      : "max_tokens is a whole number from 1 to " +
                                            std::to_string(llm::k_max_output_tokens));
            }
            s.max_tokens = m.get<int>();
        }
        if (entry.contains("output_schema")) {
            if (!entry["output_schema"].is_object()) {
                return bad(where, "output_schema is a JSON Schema object");
            }
            s.output_schema = entry["output_schema"];
        }
        w.steps.push_back(std::move(s));
    }
    return w;
}

std::string timeout_hint(const StepSpec& step) {
    if (step.kind == StepKind::builtin && find_key("step." + step.uses + ".timeout")) {
        return "raise it with --set step." + step.uses +
               ".timeout=DURATION (or sota config set step." + step.uses +
               ".timeout DURATION), or with timeout = \"DURATION\" on the step in a workflow file";
    }
    return "raise it with timeout = \"DURATION\" on step '" + step.id + "' in its workflow file";
}

Expected<Levels> plan(const Workflow& w) {
    const std::string where = w.source + ": workflow '" + w.name + "': ";
    std::map<std::string, std::string> producer;  // artifact -> step id
    std::set<std::string> ids;
    for (const auto& s : w.steps) {
        if (!ids.insert(s.id).second) {
            return fail(ErrorKind::usage, "workflow.duplicate_step",
                        where + "two steps are named '" + s.id + "'");
        }
        for (const auto& out : s.outputs) {
            const auto& job = job_artifacts();
            if (std::find(job.begin(), job.end(), out) != job.end()) {
                return fail(ErrorKind::usage, "workflow.reserved_artifact",
                            where + "step '" + s.id + "' cannot produce '" + out +
                                "': the job provides it");
            }
            if (!producer.emplace(out, s.id).second) {
                return fail(ErrorKind::usage, "workflow.two_producers",
                            where + "steps '" + producer[out] + "' and '" + s.id +
                                "' both produce '" + out + "'");
            }
        }
    }
    std::map<std::string, std::set<std::string>> deps;  // step -> steps it needs
    for (const auto& s : w.steps) {
        auto& d = deps[s.id];
        for (const auto& in : s.inputs) {
            const auto& job = job_artifacts();
            if (std::find(job.begin(), job.end(), in) != job.end()) {
                continue;
            }
            const auto it = producer.find(in);
            if (it == producer.end()) {
                return fail(
                    ErrorKind::usage, "workflow.missing_input",
                    where + "step '" + s.id + "' needs '" + in +
                        "', which no step produces and the job does "
                        "not provide (job artifacts: keyword, site_pages, existing_article)");
            }
            if (it->second == s.id) {
                return fail(ErrorKind::usage, "workflow.cycle",
                            where + "step '" + s.id + "' consumes its own output '" + in + "'");
            }
            d.insert(it->second);
        }
    }
    // Kahn's algorithm by levels; steps left over form a cycle.
    std::vector<std::vector<std::string>> levels;
    std::set<std::string> done;
    while (done.size() < w.steps.size()) {
        std::vector<std::string> level;
        for (const auto& s : w.steps) {
            if (done.count(s.id)) {
                continue;
            }
            const auto& d = deps[s.id];
            if (std::all_of(d.begin(), d.end(),
                            [&](const std::string& x) { return done.count(x) > 0; })) {
                level.push_back(s.id);
            }
        }
        if (level.empty()) {
            std::string cycle;
            for (const auto& s : w.steps) {
                if (!done.count(s.id)) {
                    cycle += (cycle.empty() ? "" : ", ") + s.id;
                }
            }
            return fail(ErrorKind::usage, "workflow.cycle",
                        where + "these steps wait on each other in a cycle: " + cycle);
        }
        done.insert(level.begin(), level.end());
        levels.push_back(std::move(level));
    }
    return levels;
}

json to_json(const Workflow& w) {
    json steps = json::array();
    for (const auto& s : w.steps) {
        json j = {{"id", s.id},
                  {"kind", to_string(s.kind)},
                  {"inputs", s.inputs},
                  {"outputs", s.outputs},
                  {"timeout", format_value(ValueType::duration, s.timeout)}};
        if (!s.uses.empty()) {
            j["uses"] = s.uses;
        }
        if (!s.model.empty()) {
            j["model"] = s.model;
        }
        if (s.uses == "auto_fix") {
            j["passes"] = s.passes;
        }
        if (!s.prompt.empty()) {
            j["prompt"] = s.prompt;
        }
        if (s.max_tokens) {
            j["max_tokens"] = *s.max_tokens;
        }
        if (!s.command.empty()) {
            j["run"] = s.command;
        }
        if (s.output_schema) {
            j["output_schema"] = *s.output_schema;
        }
        steps.push_back(std::move(j));
    }
    return {{"name", w.name},
            {"description", w.description},
            {"deadline", format_value(ValueType::duration, w.deadline)},
            {"source", w.source},
            {"steps", steps}};
}

}  // namespace sota::core::pipeline
