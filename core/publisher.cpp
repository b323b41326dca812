#include "core/publisher.hpp"

#include <nlohmann/json.hpp>

#include "core/text.hpp"

namespace sota::core {

std::string article_to_json(const Article& a) {
    nlohmann::json j = {{"title", a.title},
                        {"slug", a.slug},
                        {"meta_description", a.meta_description},
                        {"keyword", a.keyword},
                        {"markdown", a.markdown},
                        {"html", a.html},
                        {"status", a.status},
                        {"category_ids", a.category_ids},
                        {"tag_ids", a.tag_ids},
                        {"categories", a.categories},
                        {"tags", a.tags},
                        {"seo_title", a.seo_title},
                        {"json_ld", a.json_ld},
                        {"job_id", a.job_id}};
    if (a.existing_id) {
        j["existing_id"] = *a.existing_id;
    }
    return j.dump();
}

Expected<Article> article_from_json(const std::string& text) {
    const auto j = parse_json(text);
    if (!j.is_object()) {
        return fail(ErrorKind::internal, "publish.bad_queue_item",
                    "a queued article is not a JSON object");
    }
    Article a;
    a.title = j.value("title", "");
    a.slug = j.value("slug", "");
    a.meta_description = j.value("meta_description", "");
    a.keyword = j.value("keyword", "");
    a.markdown = j.value("markdown", "");
    a.html = j.value("html", "");
    a.status = j.value("status", "draft");
    a.category_ids = j.value("category_ids", std::vector<std::int64_t>{});
    a.tag_ids = j.value("tag_ids", std::vector<std::int64_t>{});
    a.categories = j.value("categories", std::vector<std::string>{});
    a.tags = j.value("tags", std::vector<std::string>{});
    a.seo_title = j.value("seo_title", "");
    a.json_ld = j.value("json_ld", "");
    a.job_id = j.value("job_id", "");
    if (j.contains("existing_id")) {
        a.existing_id = j["existing_id"].get<std::int64_t>();
    }
    return a;
}

}  // namespace sota::core
