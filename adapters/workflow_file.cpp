#include "adapters/workflow_file.hpp"

#include <toml++/toml.h>
#include <sstream>

#include "adapters/private_files.hpp"
#include "adapters/toml_depth.hpp"
#include "core/json_limits.hpp"
#include "core/suggest.hpp"
#include "core/text.hpp"

namespace sota::adapters {

core::Expected<core::pipeline::Workflow> load_workflow_file(const std::filesystem::path& file) {
    // A workflow is a small text file; a device, a directory or a huge file is not one.
    constexpr std::uintmax_t k_max_workflow_bytes = 1U << 20;
    std::error_code ec;
    if (std::filesystem::exists(file, ec) &&
        (!std::filesystem::is_regular_file(file, ec) ||
         std::filesystem::file_size(file, ec) > k_max_workflow_bytes)) {
        return core::fail(core::ErrorKind::usage, "workflow.not_a_file",
                          file.string() +
                              " is not a workflow file (a regular TOML file of at "
                              "most 1 MiB)");
    }
    auto text = read_file(file);
    if (!text) {
        if (!std::filesystem::exists(file, ec)) {
            return core::fail(core::ErrorKind::usage, "workflow.not_found",
                              "no workflow file at " + file.string() +
                                  "; check the path (`sota workflow list` shows the workflows "
                                  "sota knows by name)");
        }
        return core::fail(text.error());
    }
    if (toml_depth(*text, core::k_max_json_depth) > core::k_max_json_depth) {
        return core::fail(core::ErrorKind::usage, "workflow.too_deep",
                          file.string() + ": nests tables, keys and arrays more than " +
                              std::to_string(core::k_max_json_depth) +
                              " levels deep; a workflow is a few levels deep");
    }
    toml::table table;
    try {
        table = toml::parse(*text, file.string());
    } catch (const toml::parse_error& e) {
        return core::fail(core::ErrorKind::usage, "workflow.syntax",
                          file.string() + ":" + std::to_string(e.source().begin.line) +
                              ": not valid TOML: " + std::string(e.description()));
    }
    std::ostringstream json_text;
    json_text << toml::json_formatter{table};
    const auto doc = core::parse_json(json_text.str());
    return core::pipeline::workflow_from_json(doc, file.string());
}

core::Expected<core::pipeline::Workflow> find_workflow(const std::string& name,
                                                       const std::filesystem::path& user_dir) {
    if (name.find('/') != std::string::npos || name.ends_with(".toml")) {
        return load_workflow_file(name);
    }
    if (const auto* w = core::pipeline::find_builtin_workflow(name)) {
        return *w;
    }
    const auto file = user_dir / (name + ".toml");
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
        return load_workflow_file(file);
    }
    std::vector<std::string> names;
    for (const auto& w : list_workflows(user_dir, nullptr)) {
        names.push_back(w.name);
    }
    std::string message = "no workflow named '" + name + "'";
    if (const auto near = core::closest_match(name, names)) {
        message += "; did you mean '" + *near + "'?";
    }
    message +=
        " (`sota workflow list` shows them; user workflows live in " + user_dir.string() + ")";
    return core::fail(core::ErrorKind::usage, "workflow.unknown", message);
}

std::vector<core::pipeline::Workflow> list_workflows(const std::filesystem::path& user_dir,
                                                     std::vector<core::Error>* problems) {
    std::vector<core::pipeline::Workflow> out = core::pipeline::builtin_workflows();
    std::error_code ec;
    if (!std::filesystem::is_directory(user_dir, ec)) {
        return out;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(user_dir, ec)) {
        if (entry.path().extension() == ".toml") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        auto w = load_workflow_file(f);
        if (w) {
            out.push_back(std::move(*w));
        } else if (problems) {
            problems->push_back(w.error());
        }
    }
    return out;
}

}  // namespace sota::adapters
