#pragma once

#include <filesystem>

namespace sota::test {

/// A fresh private directory under $TMPDIR (or /tmp), removed with everything in it on
/// destruction. Tests point SOTA_HOME (or HOME) at it.
class TempHome {
  public:
    TempHome();
    ~TempHome();
    TempHome(const TempHome&) = delete;
    TempHome& operator=(const TempHome&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    std::string str() const { return m_path.string(); }

  private:
    std::filesystem::path m_path;
};

/// Writes a text file, creating parent directories.
void write_text(const std::filesystem::path& file, const std::string& text);

/// Reads a whole text file ("" if missing).
std::string read_text(const std::filesystem::path& file);

}  // namespace sota::test
