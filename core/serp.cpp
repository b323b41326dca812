#include "core/serp.hpp"

#include <nlohmann/json.hpp>

#include "core/fiber.hpp"
#include "core/provider_error.hpp"
#include "core/text.hpp"

namespace sota::core {

using nlohmann::json;

namespace {

std::string s(const json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

}  // namespace

Expected<SerpResult> parse_serper_result(const std::string& body) {
    const json j = core::parse_json(body);
    if (j.is_discarded() || !j.is_object()) {
        return fail(ErrorKind::provider, "provider.malformed",
                    "Serper sent an answer that is not a JSON object", true);
    }
    SerpResult out;
    if (j.contains("searchParameters")) {
        out.query = s(j["searchParameters"], "q");
    }
    if (j.contains("organic") && j["organic"].is_array()) {
        for (const auto& o : j["organic"]) {
            OrganicResult r{s(o, "title"), s(o, "link"), s(o, "snippet"), o.value("position", 0),
                            s(o, "date")};
            if (!r.link.empty()) {
                out.organic.push_back(std::move(r));
            }
        }
    }
    if (j.contains("peopleAlsoAsk") && j["peopleAlsoAsk"].is_array()) {
        for (const auto& q : j["peopleAlsoAsk"]) {
            out.people_also_ask.push_back(
                {s(q, "question"), s(q, "snippet"), s(q, "title"), s(q, "link")});
        }
    }
    if (j.contains("relatedSearches") && j["relatedSearches"].is_array()) {
        for (const auto& r : j["relatedSearches"]) {
            if (!s(r, "query").empty()) {
                out.related_searches.push_back(s(r, "query"));
            }
        }
    }
    if (j.contains("answerBox") && j["answerBox"].is_object()) {
        const json& a = j["answerBox"];
        out.answer_box = AnswerBox{s(a, "title"), s(a, "link"), s(a, "snippet"), s(a, "answer")};
    }
    if (j.contains("knowledgeGraph") && j["knowledgeGraph"].is_object()) {
        const json& k = j["knowledgeGraph"];
        out.knowledge_graph =
            KnowledgeGraph{s(k, "title"), s(k, "type"), s(k, "description"), s(k, "website")};
    }
    out.credits = j.value("credits", 0);
    out.raw = body;
    return out;
}

void SerpClient::search(const SerpQuery& query, std::function<void(Expected<SerpResult>)> done,
                        CancelToken cancel) {
    HttpRequest r;
    r.method = "POST";
    const std::string base = without_trailing_slashes(m_endpoint.base_url);
    r.url = base + "/search";
    r.headers = {{"X-API-KEY", m_endpoint.api_key}, {"Content-Type", "application/json"}};
    json body = {{"q", query.q}, {"gl", query.gl}, {"hl", query.hl}, {"num", query.num}};
    if (query.page > 1) {
        body["page"] = query.page;
    }
    r.body = body.dump();
    r.connect_timeout = m_endpoint.connect_timeout;
    r.set_deadline(m_endpoint.request_timeout);
    r.cancel = std::move(cancel);
    m_http.send(std::move(r), [done = std::move(done)](Expected<HttpResponse> response) {
        if (!response) {
            done(fail(response.error()));
            return;
        }
        if (response->status < 200 || response->status >= 300) {
            done(fail(classify_http_error(ProviderKind::serper, *response,
                                          std::chrono::system_clock::now())));
            return;
        }
        auto parsed = parse_serper_result(response->body);
        if (!parsed) {
            done(fail(malformed_response(ProviderKind::serper, "not a JSON object", *response)));
            return;
        }
        done(std::move(parsed));
    });
}

Expected<SerpResult> SerpClient::search_sync(const SerpQuery& query, CancelToken cancel) {
    return await<Expected<SerpResult>>(
        [&](auto done) { search(query, std::move(done), std::move(cancel)); });
}

}  // namespace sota::core
