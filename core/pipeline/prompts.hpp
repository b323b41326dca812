#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace sota::core::pipeline {

/// A versioned prompt: what the model is told (system) and asked (user), as templates.
struct Prompt {
    std::string name;
    int version = 0;
    /// The most an answer may be, in tokens (`max_tokens = N`): sent with the request, and what
    /// a tokens-per-minute limit is charged for the answer before it comes.
    std::optional<int> max_tokens;
    std::string system;
    std::string user;
    std::string source;  ///< "built-in" or the file it came from
    std::string digest;  ///< SHA-256 of the text, so an edit without a version bump still counts
    /// "NAME@vVERSION:DIGEST12", part of every cache key built from this prompt.
    std::string cache_tag() const;
};

/// Reads a prompt file:
///
///     version = 3
///     max_tokens = 1500      (optional)
///     --- system
///     You are ...
///     --- user
///     Keyword: {{keyword}}
///
/// The version line is required; so is a user section. Errors name the source.
Expected<Prompt> parse_prompt(std::string_view text, const std::string& name,
                              const std::string& source);

/// The prompts the built-in steps use (prompts/*.prompt, compiled in), which files of the same
/// name may replace.
class PromptLibrary {
  public:
    /// The built-in prompts.
    static PromptLibrary built_in();
    /// Adds or replaces a prompt.
    void put(Prompt prompt) { m_prompts[prompt.name] = std::move(prompt); }
    /// The prompt, or an error naming it (ErrorKind::internal for a missing built-in).
    Expected<const Prompt*> get(const std::string& name) const;
    const std::map<std::string, Prompt>& all() const { return m_prompts; }

  private:
    std::map<std::string, Prompt> m_prompts;
};

/// Fills `{{name}}` and `{{name.field.sub}}` from `vars`: strings go in as they are, numbers
/// as written, arrays of strings as "- item" lines, anything else as JSON. An unknown name is
/// an error naming it (ErrorKind::usage, "template.unknown").
Expected<std::string> render_template(std::string_view text, const nlohmann::json& vars);

/// Checks a template's syntax before any job uses it: every `{{` is closed by `}}` and names
/// something (ErrorKind::usage, "template.unclosed" / "template.empty_name").
Status check_template(std::string_view text);

}  // namespace sota::core::pipeline
