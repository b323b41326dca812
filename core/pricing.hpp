#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace sota::core {

struct Origin;

/// One model's list price in USD per million tokens, and the date it was read.
struct Price {
    double input = 0;
    double output = 0;
    std::optional<double> cached_input;  ///< price of cached input; input price if unset
    std::string date;                    ///< YYYY-MM-DD
    std::string origin;                  ///< "built-in" or "FILE:LINE"
};

/// Token counts to price.
struct TokenCounts {
    std::int64_t input = 0;  ///< all input tokens, cached ones included
    std::int64_t cached_input = 0;
    std::int64_t output = 0;
};

/// Prices per model (or model pattern ending in '*'). Built-in rows come from data/prices.json;
/// config files add or replace rows under [prices."MODEL"]. Not thread-safe for writes.
class PriceTable {
  public:
    /// The built-in table.
    static PriceTable built_in();

    /// Adds or replaces a row, checking the values (non-negative numbers, a YYYY-MM-DD date).
    Status set(const std::string& model, Price price);

    /// The row for a model: the exact name, else the longest matching pattern.
    std::optional<Price> find(std::string_view model) const;

    /// The cost in USD, or nothing if the model has no price.
    std::optional<double> cost(std::string_view model, const TokenCounts& tokens) const;

    const std::map<std::string, Price>& rows() const { return m_rows; }

  private:
    std::map<std::string, Price> m_rows;
};

}  // namespace sota::core
