#include "cli/commands/breakers.hpp"

#include <CLI/CLI.hpp>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "adapters/sqlite_store.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/resilience/policy_config.hpp"
#include "core/suggest.hpp"
#include "core/text.hpp"

namespace sota::cli {
namespace {

using core::resilience::BreakerSnapshot;

// Persisted breakers, plus a closed row for every service that has none yet.
std::vector<BreakerSnapshot> all_breakers(adapters::SqliteStore& store) {
    const core::SystemClock clock;
    auto rows = store.load_breakers();
    for (const auto& service : core::resilience::governed_services()) {
        const std::string name = "service:" + service;
        if (std::none_of(rows.begin(), rows.end(),
                         [&](const BreakerSnapshot& s) { return s.name == name; })) {
            BreakerSnapshot s;
            s.name = name;
            rows.push_back(s);
        }
    }
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    // An open breaker whose time has passed is half-open for its next call.
    for (auto& s : rows) {
        if (s.state == core::resilience::BreakerState::open && s.retry_at &&
            *s.retry_at <= clock.wall()) {
            s.state = core::resilience::BreakerState::half_open;
        }
    }
    return rows;
}

}  // namespace

void setup_breakers(CLI::App& parent, CommandTable& table) {
    auto* breakers =
        parent.add_subcommand("breakers", "Show circuit breakers: state, failures, next try");
    auto options = std::make_shared<BreakersOptions>();
    breakers->add_flag("--json", options->json, "Print one JSON document");
    breakers->require_subcommand(0, 1);
    table.add(breakers, [options](Context* ctx) { return run_breakers(*options, *ctx); });
    auto* reset = breakers->add_subcommand("reset", "Close a breaker so calls go through again");
    reset
        ->add_option("NAME", options->name,
                     "Breaker name, e.g. service:openai, or a prefix such as key:openai")
        ->required();
    table.add(reset, [options](Context* ctx) { return run_breakers_reset(*options, *ctx); });
}

int run_breakers(const BreakersOptions& options, Context& ctx) {
    auto store = adapters::SqliteStore::open(ctx.paths().database_file());
    if (!store) {
        return report_error(store.error());
    }
    const auto rows = all_breakers(**store);
    const auto now = std::chrono::system_clock::now();
    const auto waiting = (*store)->waiting_jobs();  // parked jobs, by the breaker they wait for
    const auto waiting_on = [&](const std::string& name) -> std::int64_t {
        const auto it = waiting.find(name);
        return it == waiting.end() ? 0 : it->second;
    };
    if (options.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& s : rows) {
            out.push_back(
                {{"name", s.name},
                 {"state", core::resilience::to_string(s.state)},
                 {"recent_failures", s.recent_failures},
                 {"failures", s.total_failures},
                 {"successes", s.total_successes},
                 {"rejected", s.rejected},
                 {"opened_at",
                  s.opened_at ? nlohmann::json(core::iso8601_utc(*s.opened_at)) : nlohmann::json()},
                 {"next_try_at",
                  s.retry_at ? nlohmann::json(core::iso8601_utc(*s.retry_at)) : nlohmann::json()},
                 {"waiting_jobs", waiting_on(s.name)}});
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> table{
        {"BREAKER", "STATE", "FAILURES", "SUCCESSES", "REJECTED", "WAITING JOBS", "NEXT TRY"}};
    for (const auto& s : rows) {
        std::string next = "-";
        if (s.state == core::resilience::BreakerState::open && s.retry_at) {
            const auto left =
                std::chrono::duration_cast<std::chrono::seconds>(*s.retry_at - now).count();
            next = "in " + std::to_string(std::max<long long>(left, 0)) + " s (" +
                   core::iso8601_utc(*s.retry_at) + ")";
        } else if (s.state == core::resilience::BreakerState::half_open) {
            next = "next call";
        }
        table.push_back({s.name, core::resilience::to_string(s.state),
                         std::to_string(s.total_failures), std::to_string(s.total_successes),
                         std::to_string(s.rejected), std::to_string(waiting_on(s.name)), next});
    }
    print_table(table);
    return 0;
}

int run_breakers_reset(const BreakersOptions& options, Context& ctx) {
    auto store = adapters::SqliteStore::open(ctx.paths().database_file());
    if (!store) {
        return report_error(store.error());
    }
    // The breakers the name covers: itself, or those under it (key:openai covers key:openai:#1).
    std::vector<std::string> names;
    bool any_tripped = false;
    bool any_matched = false;
    for (const auto& s : all_breakers(**store)) {
        names.push_back(s.name);
        if (s.name == options.name || s.name.rfind(options.name + ":", 0) == 0) {
            any_matched = true;
            any_tripped = any_tripped || s.state != core::resilience::BreakerState::closed;
        }
    }
    if (!any_matched) {
        std::string message = "no breaker named '" + options.name + "'";
        if (const auto near = core::closest_match(options.name, names)) {
            message += "; did you mean '" + *near + "'?";
        }
        message += " (`sota breakers` lists them)";
        return report_error(core::Error{core::ErrorKind::not_found, "breakers.not_found", message});
    }
    const core::SystemClock clock;
    core::resilience::BreakerRegistry registry(clock, store->get());
    (void)registry.reset(options.name);  // also forgets a closed breaker's recent failures
    if (!any_tripped) {
        std::cout << options.name << " is closed: calls go through; nothing to reset\n";
        return 0;
    }
    std::cout << "reset " << options.name << "\n";
    return 0;
}

}  // namespace sota::cli
