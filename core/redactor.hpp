#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sota::core {

/// The forms in which a secret value can come back from a server that echoes it: the value
/// itself, without its spaces (WordPress application passwords), percent-encoded, JSON-escaped
/// ("\/"), and the base64 (standard and URL-safe) of any text that contains it, whatever comes
/// before it (as in Basic auth's "user:key"): for each of the three byte alignments, the part of
/// the encoding that depends on the value alone. Values shorter than 8 characters have only
/// their own form (their encodings are too short to tell from ordinary text).
std::vector<std::string> secret_forms(std::string_view value);

/// Masks secret values in any text before it leaves the process (logs, errors, events, the
/// store, recordings). Knows the exact values of loaded secrets in every form of
/// secret_forms(), their partial forms ("sk-abc...wxyz", "sk-proj-****wxyz": a known key's start
/// or end beside an elision), and also masks credentials in common shapes (Authorization/api-key
/// headers, "sk-..." style tokens). Thread-safe; adding a secret does not disturb readers.
class Redactor {
  public:
    Redactor();
    ~Redactor();
    Redactor(const Redactor&) = delete;
    Redactor& operator=(const Redactor&) = delete;

    /// Registers a secret value under a name; the mask reads "[redacted:NAME]". Values shorter
    /// than 4 characters are not registered (masking them would garble ordinary text).
    void add_secret(std::string_view name, std::string_view value);

    /// The text with every known secret (in every form), every partial form of one, and every
    /// credential-shaped token masked: for error messages, log lines, events.
    std::string redact(std::string_view text) const;

    /// Masks known secrets in every form and their partial forms in place, but not
    /// credential-shaped text (an article about "Bearer tokens" stays whole): for answer bodies.
    /// Returns whether anything was masked. Costs one pass over the text with a two-byte filter.
    bool mask_known(std::string& text) const;

    /// True if any registered secret occurs in the text, in any form.
    bool contains_secret(std::string_view text) const;

    /// How many bytes at the end of `text` could be the start of a secret in some form: a
    /// stream holds them back until the next piece shows whether they are one.
    std::size_t partial_at_end(std::string_view text) const;

    /// Whether this exact value is registered.
    bool knows(std::string_view value) const;

    /// Whether no secret is registered.
    bool empty() const;

    struct Table;

  private:
    std::shared_ptr<const Table> table() const;

    mutable std::mutex m_mutex;
    std::shared_ptr<const Table> m_table;  // replaced whole on add_secret
};

}  // namespace sota::core
