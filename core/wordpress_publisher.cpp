// The WordPress publisher: how an article becomes a post without damaging the site.

#include <algorithm>

#include "core/text.hpp"
#include "core/wordpress.hpp"

namespace sota::core {

using nlohmann::json;

namespace {

/// New slugs tried after the taken one: SLUG-2 ... SLUG-k_max_suffix.
constexpr int k_max_suffix = 50;

bool has(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

std::string quoted(const std::string& s) {
    return "'" + s + "'";
}

/// "1,234 characters".
std::string characters(std::size_t n) {
    std::string digits = std::to_string(n);
    for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) {
        digits.insert(static_cast<std::size_t>(at), ",");
    }
    return digits + (n == 1 ? " character" : " characters");
}

/// The HTML without its first <h1>...</h1> when that comes before any other content.
std::string without_leading_h1(const std::string& html) {
    const auto first = html.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || to_lower(html.substr(first, 3)) != "<h1") {
        return html;
    }
    const auto close = to_lower(html).find("</h1>", first);
    if (close == std::string::npos) {
        return html;
    }
    const auto rest = html.find_first_not_of(" \t\r\n", close + 5);
    return rest == std::string::npos ? std::string() : html.substr(rest);
}

/// SEO meta fields of the plugins the site runs (their REST namespaces tell).
json seo_meta(const std::vector<std::string>& namespaces, const Article& article) {
    json meta = json::object();
    const std::string title = article.seo_title.empty() ? article.title : article.seo_title;
    if (has(namespaces, "yoast/v1")) {
        meta["_yoast_wpseo_title"] = title;
        meta["_yoast_wpseo_metadesc"] = article.meta_description;
    }
    if (has(namespaces, "rankmath/v1")) {
        meta["rank_math_title"] = title;
        meta["rank_math_description"] = article.meta_description;
    }
    return meta;
}

/// `base` plus the ids of `more` it lacks.
std::vector<std::int64_t> merged(std::vector<std::int64_t> base,
                                 const std::vector<std::int64_t>& more) {
    for (const auto id : more) {
        if (std::find(base.begin(), base.end(), id) == base.end()) {
            base.push_back(id);
        }
    }
    return base;
}

}  // namespace

std::optional<OnConflict> on_conflict_from_string(const std::string& text) {
    if (text == "new_slug") {
        return OnConflict::new_slug;
    }
    if (text == "refuse") {
        return OnConflict::refuse;
    }
    if (text == "update") {
        return OnConflict::update;
    }
    return std::nullopt;
}

std::string wordpress_content(const Article& article) {
    std::string content = without_leading_h1(article.html);
    if (!article.json_ld.empty()) {
        if (!content.empty() && content.back() != '\n') {
            content += '\n';
        }
        content += "<script type=\"application/ld+json\">\n" + article.json_ld + "\n</script>\n";
    }
    return content;
}

std::string WordPressPublisher::owner_job(const WpPost& post) const {
    if (post.meta.is_object() && post.meta.contains(k_sota_job_meta) &&
        post.meta[k_sota_job_meta].is_string() &&
        !post.meta[k_sota_job_meta].get<std::string>().empty()) {
        return post.meta[k_sota_job_meta].get<std::string>();
    }
    return m_options.published_by ? m_options.published_by(post.id) : std::string();
}

Expected<std::vector<std::int64_t>> WordPressPublisher::resolve_terms(
    const std::string& taxonomy, const std::vector<std::string>& names,
    std::vector<std::string>& missing) {
    std::vector<std::int64_t> ids;
    for (const auto& raw : names) {
        const std::string name = trim(raw);
        if (name.empty()) {
            continue;
        }
        auto id = m_client.term_id(taxonomy, name);
        if (id) {
            ids.push_back(*id);
            continue;
        }
        if (id.error().code != "wordpress.no_term") {
            return fail(id.error());
        }
        if (!m_options.create_terms) {
            Error e = id.error();
            e.kind = ErrorKind::usage;
            e.message +=
                "; create it in WordPress, or allow sota to: sota config set "
                "wordpress.create_terms true";
            return fail(std::move(e));
        }
        missing.push_back(name);
    }
    return ids;
}

Expected<PublishPlan> WordPressPublisher::plan(const Article& article) {
    // Credentials first: WordPress answers a request whose password it ignored as it would an
    // anonymous visitor, with errors that do not say so.
    auto me = m_client.me();
    if (!me) {
        return fail(me.error());
    }
    auto namespaces = m_client.namespaces();
    if (!namespaces) {
        return fail(namespaces.error());
    }
    PublishPlan plan;
    WpDraft& d = plan.draft;
    d.title = article.title;
    d.content = wordpress_content(article);
    d.excerpt = article.meta_description;
    d.status = article.status;
    d.meta = seo_meta(*namespaces, article);
    if (!article.job_id.empty()) {
        d.meta[k_sota_job_meta] = article.job_id;
    }
    auto categories = resolve_terms("categories", article.categories, plan.new_categories);
    if (!categories) {
        return fail(categories.error());
    }
    auto tags = resolve_terms("tags", article.tags, plan.new_tags);
    if (!tags) {
        return fail(tags.error());
    }
    d.categories = merged(article.category_ids, *categories);
    d.tags = merged(article.tag_ids, *tags);
    if (has(*namespaces, "yoast/v1") || has(*namespaces, "rankmath/v1")) {
        plan.notes.push_back(std::string("SEO title and description also go to ") +
                             (has(*namespaces, "yoast/v1") ? "Yoast SEO" : "Rank Math") +
                             "'s meta fields");
    }

    if (article.existing_id) {
        // A refresh: the post keeps its address, author, date and terms.
        auto post = m_client.get(*article.existing_id);
        if (!post && post.error().kind == ErrorKind::not_found) {
            post = m_client.get(*article.existing_id, "pages");  // a page refreshed by URL
        }
        if (!post) {
            return fail(post.error());
        }
        plan.action = "update";
        plan.post_id = post->id;
        plan.collection = post->type == "page" ? "pages" : "posts";
        // Terms asked for are added to the post's own; none asked for leaves them alone.
        if (!d.categories.empty()) {
            d.categories = merged(post->categories, d.categories);
        }
        if (!d.tags.empty()) {
            d.tags = merged(post->tags, d.tags);
        }
        if (owner_job(*post).empty()) {
            d.meta.erase(k_sota_job_meta);  // refreshed, but still the author's post
        }
        plan.existing = std::move(*post);
        return plan;
    }

    const std::string slug = article.slug;
    d.slug = slug;
    plan.action = "create";
    if (slug.empty()) {
        return plan;
    }
    auto taken_by = [&](const std::string& candidate) -> Expected<std::optional<WpPost>> {
        for (const char* collection : {"posts", "pages"}) {
            auto found = m_client.find_by_slug(candidate, collection);
            if (!found) {
                return fail(found.error());
            }
            if (!found->empty()) {
                return std::optional<WpPost>(found->front());
            }
        }
        return std::optional<WpPost>();
    };
    auto holder = taken_by(slug);
    if (!holder) {
        return fail(holder.error());
    }
    if (!*holder) {
        return plan;
    }
    const WpPost& existing = **holder;
    const std::string owner = owner_job(existing);
    const bool same_job = !owner.empty() && owner == article.job_id;
    const std::string who = "post " + std::to_string(existing.id) + " (" + quoted(existing.title) +
                            ", " + existing.status +
                            (existing.link.empty() ? "" : ", " + existing.link) + ")";
    if (same_job || (m_options.on_conflict == OnConflict::update && !owner.empty())) {
        plan.action = "update";
        plan.post_id = existing.id;
        plan.collection = existing.type == "page" ? "pages" : "posts";
        plan.notes.push_back("slug " + quoted(slug) + " is " + who + ", made by sota (job " +
                             owner + "): updating it");
        plan.existing = existing;
        return plan;
    }
    if (m_options.on_conflict != OnConflict::new_slug) {
        const bool asked_update = m_options.on_conflict == OnConflict::update;
        return fail(ErrorKind::usage, "wordpress.slug_taken",
                    "the slug " + quoted(slug) + " on " + m_client.site_url() + " belongs to " +
                        who + (asked_update ? ", which sota did not make" : "") +
                        "; nothing was published. Let sota pick a free slug "
                        "(sota config set wordpress.on_conflict new_slug) or choose another "
                        "keyword");
    }
    for (int n = 2; n <= k_max_suffix; ++n) {
        const std::string candidate = slug + "-" + std::to_string(n);
        auto other = taken_by(candidate);
        if (!other) {
            return fail(other.error());
        }
        if (!*other) {
            d.slug = candidate;
            plan.notes.push_back("slug " + quoted(slug) + " belongs to " + who + ": using " +
                                 quoted(candidate));
            return plan;
        }
    }
    return fail(ErrorKind::usage, "wordpress.slug_taken",
                "the slug " + quoted(slug) + " and " + quoted(slug + "-2") + " to " +
                    quoted(slug + "-" + std::to_string(k_max_suffix)) + " are all taken on " +
                    m_client.site_url() + "; nothing was published. Choose another keyword");
}

Expected<PublishResult> WordPressPublisher::publish(const Article& article) {
    auto p = plan(article);
    if (!p) {
        return fail(p.error());
    }
    for (const auto& [taxonomy, names] :
         {std::pair{"categories", &p->new_categories}, std::pair{"tags", &p->new_tags}}) {
        for (const auto& name : *names) {
            auto id = m_client.create_term(taxonomy, name);
            if (!id) {
                return fail(id.error());
            }
            auto& ids = std::string(taxonomy) == "tags" ? p->draft.tags : p->draft.categories;
            if (ids.empty() && p->existing) {
                ids = std::string(taxonomy) == "tags" ? p->existing->tags : p->existing->categories;
            }
            ids = merged(ids, {*id});
        }
    }
    auto post = p->action == "update" ? m_client.update(*p->post_id, p->draft, p->collection)
                                      : m_client.create(p->draft, p->collection);
    if (!post) {
        return fail(post.error());
    }
    PublishResult result;
    result.location = post->link;
    result.remote_id = post->id;
    result.updated = p->action == "update";
    result.status = post->status;
    result.slug = post->slug;
    if (p->existing) {
        const WpPost& e = *p->existing;
        result.replaced = "post " + std::to_string(e.id) + " " + quoted(e.title) + " (" + e.status +
                          ", " + characters(e.content.size()) + ", last modified " +
                          e.modified_gmt + " UTC)";
    }
    return result;
}

std::string describe_plan(const PublishPlan& plan) {
    const WpDraft& d = plan.draft;
    std::string out;
    auto line = [&](const std::string& text) { out += text + "\n"; };
    if (plan.action == "create") {
        line("would create a " + std::string(plan.collection == "pages" ? "page" : "post") +
             " with slug " + quoted(d.slug) + ", status " + d.status);
    } else {
        const WpPost& e = *plan.existing;
        line("would update " + std::string(plan.collection == "pages" ? "page " : "post ") +
             std::to_string(e.id) + " at " + e.link + " (slug " + quoted(e.slug) + ", status " +
             e.status + (d.status.empty() || d.status == e.status ? "" : " -> " + d.status) +
             "; slug, author and date kept)");
    }
    for (const auto& note : plan.notes) {
        line("  " + note);
    }
    const WpPost* e = plan.existing ? &*plan.existing : nullptr;
    auto change = [&](const std::string& what, const std::string& before,
                      const std::string& after) {
        if (!e) {
            line("  " + what + ": " + quoted(after));
        } else if (before != after) {
            line("  " + what + ": " + quoted(before) + " -> " + quoted(after));
        } else {
            line("  " + what + ": unchanged");
        }
    };
    change("title", e ? e->title : "", d.title);
    change("excerpt (meta description)", e ? e->excerpt : "", d.excerpt);
    if (d.meta.is_object()) {
        for (const auto& [key, value] : d.meta.items()) {
            if (key != k_sota_job_meta && value.is_string()) {
                line("  meta " + key + ": " + quoted(value.get<std::string>()));
            }
        }
    }
    line("  content: " + (e ? characters(e->content.size()) + " -> " : std::string()) +
         characters(d.content.size()));
    for (const auto& [what, names] :
         {std::pair{"category", &plan.new_categories}, std::pair{"tag", &plan.new_tags}}) {
        for (const auto& name : *names) {
            line("  would create " + std::string(what) + " " + quoted(name));
        }
    }
    if (!d.categories.empty() || !d.tags.empty()) {
        std::string ids;
        for (const auto id : d.categories) {
            ids += (ids.empty() ? "" : ",") + std::to_string(id);
        }
        std::string tag_ids;
        for (const auto id : d.tags) {
            tag_ids += (tag_ids.empty() ? "" : ",") + std::to_string(id);
        }
        line("  category ids: [" + ids + "], tag ids: [" + tag_ids + "]");
    }
    return out;
}

}  // namespace sota::core
