#pragma once

#include <filesystem>

#include "core/publisher.hpp"

namespace sota::adapters {

/// Publishes to a directory for a static site: SLUG.md (Markdown with YAML front matter: title,
/// slug, description, keyword, date, draft, categories, tags) and SLUG.html. Publishing a slug
/// again replaces both files atomically.
class FilePublisher final : public core::Publisher {
  public:
    explicit FilePublisher(std::filesystem::path dir) : m_dir(std::move(dir)) {}
    core::Expected<core::PublishResult> publish(const core::Article& article) override;

  private:
    std::filesystem::path m_dir;
};

/// A YAML double-quoted scalar.
std::string yaml_quote(const std::string& text);

}  // namespace sota::adapters
