#include "core/doctor.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/provider_error.hpp"
#include "core/text.hpp"

namespace sota::core {

const char* to_string(CheckState state) {
    switch (state) {
        case CheckState::ok:
            return "ok";
        case CheckState::failed:
            return "failed";
        case CheckState::skipped:
            return "skipped";
    }
    return "skipped";
}

bool ProviderReport::healthy() const {
    return key.state != CheckState::failed && endpoint.state != CheckState::failed &&
           model.state != CheckState::failed && call.state != CheckState::failed;
}

std::vector<std::string> parse_model_list(ProviderKind kind, const std::string& body) {
    std::vector<std::string> ids;
    const auto j = core::parse_json(body);
    if (!j.is_object()) {
        return ids;
    }
    const char* list = kind == ProviderKind::gemini ? "models" : "data";
    const char* field = kind == ProviderKind::gemini ? "name" : "id";
    if (!j.contains(list) || !j[list].is_array()) {
        return ids;
    }
    for (const auto& m : j[list]) {
        std::string id = m.value(field, "");
        if (id.rfind("models/", 0) == 0) {
            id.erase(0, 7);
        }
        if (!id.empty()) {
            ids.push_back(id);
        }
    }
    return ids;
}

ProviderReport check_llm(ProviderKind kind, HttpClient& http, llm::Provider& provider,
                         const llm::Endpoint& endpoint, bool has_key, const std::string& model,
                         bool required, bool allow_call) {
    ProviderReport report;
    report.name = kind == ProviderKind::openai_compatible ? "openai_compatible"
                  : kind == ProviderKind::anthropic       ? "anthropic"
                  : kind == ProviderKind::gemini          ? "gemini"
                                                          : "openai";
    report.required = required;
    if (!has_key) {
        report.key = {required ? CheckState::failed : CheckState::skipped,
                      "no key: run `sota keys set " + report.name + "`"};
        return report;
    }
    report.key = {CheckState::ok, endpoint.api_key.empty() ? "none needed" : "present"};

    HttpRequest r;
    const std::string base = without_trailing_slashes(endpoint.base_url);
    r.url = base + "/models";
    r.connect_timeout = endpoint.connect_timeout;
    r.total_timeout = std::min(endpoint.request_timeout, std::chrono::milliseconds(30'000));
    if (!endpoint.api_key.empty()) {
        switch (kind) {
            case ProviderKind::anthropic:
                r.headers = {{"x-api-key", endpoint.api_key}, {"anthropic-version", "2023-06-01"}};
                break;
            case ProviderKind::gemini:
                r.headers = {{"x-goog-api-key", endpoint.api_key}};
                break;
            default:
                r.headers = {{"Authorization", "Bearer " + endpoint.api_key}};
        }
    }
    auto answer = http.perform(std::move(r));
    if (!answer) {
        report.endpoint = {CheckState::failed, answer.error().message};
        return report;
    }
    if (answer->status < 200 || answer->status >= 300) {
        report.endpoint = {
            CheckState::failed,
            classify_http_error(kind, *answer, std::chrono::system_clock::now()).message};
        return report;
    }
    report.endpoint = {CheckState::ok, base + " answers"};
    const auto ids = parse_model_list(kind, answer->body);
    if (std::find(ids.begin(), ids.end(), model) != ids.end()) {
        report.model = {CheckState::ok, model + " is listed"};
    } else {
        report.model = {CheckState::failed, model + " is not among the " +
                                                std::to_string(ids.size()) +
                                                " models listed; set llm.model to one that is"};
    }
    if (!allow_call) {
        report.call = {CheckState::skipped, "not run (use --call; costs a token)"};
        return report;
    }
    llm::Request ping;
    ping.model = model;
    ping.messages = {{"user", "Reply with the word ok."}};
    ping.max_output_tokens = 1;
    auto reply = provider.complete_sync(ping);
    report.call =
        reply ? Check{CheckState::ok, "answered in " + std::to_string(reply->total.count()) + " ms"}
              : Check{CheckState::failed, reply.error().message};
    return report;
}

ProviderReport check_serper(SerpClient& serp, bool has_key, bool required, bool allow_call) {
    ProviderReport report;
    report.name = "serper";
    report.required = required;
    if (!has_key) {
        report.key = {required ? CheckState::failed : CheckState::skipped,
                      "no key: run `sota keys set serper`"};
        return report;
    }
    report.key = {CheckState::ok, "present"};
    report.model = {CheckState::skipped, "no models"};
    if (!allow_call) {
        report.endpoint = {CheckState::skipped, "not run (use --call; a search costs a credit)"};
        return report;
    }
    auto result = serp.search_sync({"sota doctor", "us", "en", 1, 1});
    if (result) {
        report.endpoint = {CheckState::ok, "answers"};
        report.call = {CheckState::ok,
                       "search returned " + std::to_string(result->organic.size()) + " results"};
    } else {
        report.endpoint = {CheckState::failed, result.error().message};
    }
    return report;
}

ProviderReport check_wordpress(WordPressClient& wp, const WpEndpoint& endpoint, bool required) {
    ProviderReport report;
    report.name = "wordpress";
    report.required = required;
    report.model = {CheckState::skipped, "no models"};
    if (endpoint.site_url.empty()) {
        report.key = {required ? CheckState::failed : CheckState::skipped,
                      "no site: set wordpress.url"};
        return report;
    }
    if (endpoint.user.empty() || endpoint.app_password.empty()) {
        report.key = {CheckState::failed,
                      "set wordpress.user and store the application password with "
                      "`sota keys set wordpress`"};
        return report;
    }
    report.key = {CheckState::ok, "present"};
    auto root = wp.api_root();
    if (!root) {
        report.endpoint = {CheckState::failed, root.error().message};
        return report;
    }
    report.endpoint = {CheckState::ok, "API at " + *root};
    auto me = wp.me();
    report.call = me ? Check{CheckState::ok, "signed in as " + me->value("name", std::string("?"))}
                     : Check{CheckState::failed, me.error().message};
    return report;
}

}  // namespace sota::core
