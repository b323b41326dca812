#include "cli/commands/doctor.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "adapters/services.hpp"
#include "cli/context.hpp"
#include "cli/output.hpp"
#include "core/doctor.hpp"

namespace sota::cli {
namespace {

std::string cell(const core::Check& c) {
    return core::to_string(c.state);
}

nlohmann::json check_json(const core::Check& c) {
    return {{"state", core::to_string(c.state)}, {"detail", c.detail}};
}

}  // namespace

void setup_doctor(CLI::App& parent, CommandTable& table) {
    auto* doctor = parent.add_subcommand(
        "doctor", "Check that each configured provider is reachable and usable");
    auto options = std::make_shared<DoctorOptions>();
    doctor->add_flag("--json", options->json, "Print one JSON document");
    doctor->add_flag("--call", options->call,
                     "Also make a one-token LLM call and one search (costs a little)");
    table.add(doctor, [options](Context* ctx) { return run_doctor(*options, *ctx); });
}

int run_doctor(const DoctorOptions& options, Context& ctx) {
    auto services = ctx.services(false);
    if (!services) {
        return report_error(services.error());
    }
    auto& s = **services;
    const auto& config = ctx.config();
    const std::string primary_name = config.get(core::keys::llm_provider);
    const auto primary =
        adapters::llm_kind_from_name(primary_name).value_or(core::ProviderKind::openai);
    const std::string model = config.get(core::keys::llm_model);

    std::vector<core::ProviderReport> reports;
    for (const auto kind : {core::ProviderKind::openai, core::ProviderKind::anthropic,
                            core::ProviderKind::gemini, core::ProviderKind::openai_compatible}) {
        const bool is_primary = kind == primary;
        const bool keyed = kind == core::ProviderKind::openai_compatible
                               ? s.secrets().resolve("openai_compatible").has_value()
                               : s.has_key(kind);
        if (!is_primary && !keyed) {
            continue;  // neither chosen nor configured: nothing to check
        }
        auto provider = s.llm(kind);
        const std::string provider_model = is_primary ? model : "";
        auto report =
            core::check_llm(kind, s.http(), *provider, s.llm_endpoint(kind), s.has_key(kind),
                            provider_model, is_primary, options.call && is_primary);
        if (!is_primary) {
            report.model = {core::CheckState::skipped,
                            "not the configured provider (llm.provider)"};
        }
        reports.push_back(std::move(report));
    }
    core::SerpClient serp(s.http(), s.serp_endpoint());
    reports.push_back(
        core::check_serper(serp, !s.serp_endpoint().api_key.empty(), true, options.call));
    if (!config.get(core::keys::wordpress_url).empty()) {
        core::WordPressClient wp(s.http(), s.wordpress_endpoint());
        reports.push_back(core::check_wordpress(wp, s.wordpress_endpoint(), false));
    }

    bool healthy = true;
    bool missing_key = false;
    for (const auto& r : reports) {
        if (r.required && !r.healthy()) {
            healthy = false;
            missing_key = missing_key || r.key.state == core::CheckState::failed;
        }
    }
    if (options.json) {
        nlohmann::json out = {{"transport", s.mode()},
                              {"cassette", s.cassette()},
                              {"healthy", healthy},
                              {"providers", nlohmann::json::array()}};
        for (const auto& r : reports) {
            out["providers"].push_back({{"name", r.name},
                                        {"required", r.required},
                                        {"healthy", r.healthy()},
                                        {"key", check_json(r.key)},
                                        {"endpoint", check_json(r.endpoint)},
                                        {"model", check_json(r.model)},
                                        {"call", check_json(r.call)}});
        }
        std::cout << out.dump(2) << "\n";
    } else {
        if (s.mode() != "live") {
            std::cout << "# transport: " << s.mode() << " (" << s.cassette() << ")\n";
        }
        std::vector<std::vector<std::string>> rows{
            {"PROVIDER", "REQUIRED", "KEY", "ENDPOINT", "MODEL", "CALL"}};
        for (const auto& r : reports) {
            rows.push_back({r.name, r.required ? "yes" : "no", cell(r.key), cell(r.endpoint),
                            cell(r.model), cell(r.call)});
        }
        print_table(rows);
        for (const auto& r : reports) {
            for (const auto* c : {&r.key, &r.endpoint, &r.model, &r.call}) {
                if (c->state == core::CheckState::failed) {
                    std::cout << r.name << ": " << c->detail << "\n";
                }
            }
        }
    }
    if (healthy) {
        return 0;
    }
    return core::to_int(missing_key ? core::ExitCode::config : core::ExitCode::job_failed);
}

}  // namespace sota::cli
