#include "core/pricing.hpp"

#include <nlohmann/json.hpp>

#include "core/builtin_data.hpp"

namespace sota::core {
namespace {

bool valid_date(std::string_view d) {
    if (d.size() != 10 || d[4] != '-' || d[7] != '-') {
        return false;
    }
    for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
        if (d[i] < '0' || d[i] > '9') {
            return false;
        }
    }
    return true;
}

}  // namespace

PriceTable PriceTable::built_in() {
    PriceTable table;
    const auto j = nlohmann::json::parse(k_prices_json, nullptr, false);
    if (j.is_discarded() || !j.contains("prices")) {
        return table;
    }
    for (const auto& [model, row] : j["prices"].items()) {
        Price p;
        p.input = row.value("input", 0.0);
        p.output = row.value("output", 0.0);
        if (row.contains("cached_input")) {
            p.cached_input = row["cached_input"].get<double>();
        }
        p.date = row.value("date", "");
        p.origin = "built-in";
        (void)table.set(model, std::move(p));
    }
    return table;
}

Status PriceTable::set(const std::string& model, Price price) {
    const std::string where = price.origin.empty() ? "" : price.origin + ": ";
    if (model.empty()) {
        return fail(ErrorKind::config, "prices.bad_model",
                    where + "a price row needs a model name");
    }
    if (price.input < 0 || price.output < 0 || (price.cached_input && *price.cached_input < 0)) {
        return fail(ErrorKind::config, "prices.negative",
                    where + "prices for '" + model + "' must not be negative");
    }
    if (!valid_date(price.date)) {
        return fail(ErrorKind::config, "prices.bad_date",
                    where + "the price of '" + model +
                        "' needs date = \"YYYY-MM-DD\" (when the price was read), got '" +
                        price.date + "'");
    }
    m_rows[model] = std::move(price);
    return {};
}

std::optional<Price> PriceTable::find(std::string_view model) const {
    if (const auto it = m_rows.find(std::string(model)); it != m_rows.end()) {
        return it->second;
    }
    const Price* best = nullptr;
    std::size_t best_len = 0;
    for (const auto& [pattern, price] : m_rows) {
        if (!pattern.empty() && pattern.back() == '*') {
            const std::string_view prefix(pattern.data(), pattern.size() - 1);
            if (model.substr(0, prefix.size()) == prefix && prefix.size() >= best_len) {
                best = &price;
                best_len = prefix.size();
            }
        }
    }
    return best ? std::optional<Price>(*best) : std::nullopt;
}

std::optional<double> PriceTable::cost(std::string_view model, const TokenCounts& tokens) const {
    const auto price = find(model);
    if (!price) {
        return std::nullopt;
    }
    const double cached_rate = price->cached_input.value_or(price->input);
    const auto uncached = static_cast<double>(tokens.input - tokens.cached_input);
    return (uncached * price->input + static_cast<double>(tokens.cached_input) * cached_rate +
            static_cast<double>(tokens.output) * price->output) /
           1e6;
}

}  // namespace sota::core
