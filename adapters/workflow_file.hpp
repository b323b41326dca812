#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/pipeline/workflow.hpp"

namespace sota::adapters {

/// Reads a TOML workflow file (see sota-workflow(1)); syntax errors name the file and line.
core::Expected<core::pipeline::Workflow> load_workflow_file(const std::filesystem::path& file);

/// A workflow by name: a built-in, else DIR/NAME.toml in the user's workflow directory; a path
/// (containing '/' or ending in .toml) is read as a file.
core::Expected<core::pipeline::Workflow> find_workflow(const std::string& name_or_path,
                                                       const std::filesystem::path& user_dir);

/// Every built-in workflow and every readable file in the user's workflow directory.
std::vector<core::pipeline::Workflow> list_workflows(const std::filesystem::path& user_dir,
                                                     std::vector<core::Error>* problems);

}  // namespace sota::adapters
