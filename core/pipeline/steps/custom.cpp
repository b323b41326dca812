// Steps defined in a workflow file: a prompt over earlier artifacts, or an external program.
#include "core/pipeline/job.hpp"
#include "core/pipeline/steps/steps.hpp"
#include "core/pipeline/structured.hpp"
#include "core/text.hpp"

namespace sota::core::pipeline::steps {

using nlohmann::json;

namespace {

/// What a template may use: the step's inputs, the keyword and the job's extra fields.
json template_vars(StepContext& ctx) {
    json vars = json::object();
    for (const auto& [name, value] : ctx.inputs().items()) {
        vars[name] = value;
    }
    vars["keyword"] = ctx.job_spec().keyword;
    for (const auto& [name, value] : ctx.job_spec().fields.items()) {
        if (!vars.contains(name)) {
            vars[name] = value;
        }
    }
    return vars;
}

}  // namespace

Expected<json> prompt_step(StepContext& ctx) {
    const StepSpec& spec = ctx.spec();
    auto text = render_template(spec.prompt, template_vars(ctx));
    if (!text) {
        return fail(ErrorKind::usage, text.error().code,
                    "step " + spec.id + ": " + text.error().message);
    }
    llm::Request request;
    request.messages.push_back({"user", std::move(*text)});
    request.schema_name = spec.id;
    request.max_output_tokens = spec.max_tokens.value_or(ctx.services().prompt_max_tokens);
    json value;
    if (spec.output_schema) {
        auto answer = complete_structured(
            [&](llm::Request r) { return ctx.complete(std::move(r)); }, std::move(request),
            *spec.output_schema, ctx.services().structured_retries);
        if (!answer) {
            return fail(answer.error());
        }
        value = std::move(answer->value);
    } else {
        auto answer = ctx.complete(std::move(request));
        if (!answer) {
            return fail(answer.error());
        }
        value = answer->text;
    }
    json out = json::object();
    for (const auto& name : spec.outputs) {
        out[name] = value;
    }
    return out;
}

Expected<json> program_step(StepContext& ctx) {
    const StepSpec& spec = ctx.spec();
    if (!ctx.services().programs) {
        return fail(ErrorKind::internal, "step.no_programs", "program steps are not available");
    }
    json input = {{"job", to_json(ctx.job_spec())},
                  {"job_id", ctx.job().id},
                  {"step", spec.id},
                  {"outputs", spec.outputs},
                  {"inputs", ctx.inputs()}};
    auto result =
        ctx.services().programs->run(spec.command, input.dump(), spec.timeout, ctx.cancel());
    if (!result) {
        return fail(result.error().kind, result.error().code,
                    "step " + spec.id + ": " + result.error().message, result.error().retryable);
    }
    // The program's stderr goes to the job's log, line by line.
    std::size_t pos = 0;
    while (pos < result->err.size()) {
        auto end = result->err.find('\n', pos);
        if (end == std::string::npos) {
            end = result->err.size();
        }
        const std::string line = trim(std::string_view(result->err).substr(pos, end - pos));
        if (!line.empty()) {
            ctx.log("info", spec.id + ": " + line);
        }
        pos = end + 1;
    }
    if (result->exit_code != 0) {
        std::string tail = trim(result->err);
        if (tail.size() > 300) {
            tail = "..." + tail.substr(tail.size() - 300);
        }
        return fail(ErrorKind::provider, "program.failed",
                    "step " + spec.id + ": " + spec.command.front() + " exited with status " +
                        std::to_string(result->exit_code) +
                        (tail.empty() ? "" : " (stderr: " + tail + ")"));
    }
    auto doc = core::parse_json(result->out);
    if (doc.is_discarded() || !doc.is_object()) {
        return fail(ErrorKind::provider, "program.bad_output",
                    "step " + spec.id + ": " + spec.command.front() +
                        " must print one JSON object on stdout, with a key per output (" +
                        json(spec.outputs).dump() + ")");
    }
    for (const auto& name : spec.outputs) {
        if (!doc.contains(name)) {
            return fail(ErrorKind::provider, "program.bad_output",
                        "step " + spec.id + ": the program's JSON has no '" + name +
                            "' (it must have a key per declared output)");
        }
    }
    return doc;
}

}  // namespace sota::core::pipeline::steps
