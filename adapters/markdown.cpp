#include "adapters/markdown.hpp"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <mutex>

namespace sota::adapters {

std::string render_markdown(const std::string& markdown) {
    static std::once_flag registered;
    std::call_once(registered, [] { cmark_gfm_core_extensions_ensure_registered(); });
    const int options = CMARK_OPT_DEFAULT;  // CMARK_OPT_UNSAFE is left off: raw HTML is escaped
    cmark_parser* parser = cmark_parser_new(options);
    for (const char* name : {"table", "strikethrough", "autolink"}) {
        if (cmark_syntax_extension* ext = cmark_find_syntax_extension(name)) {
            cmark_parser_attach_syntax_extension(parser, ext);
        }
    }
    cmark_parser_feed(parser, markdown.data(), markdown.size());
    cmark_node* document = cmark_parser_finish(parser);
    char* html = cmark_render_html(document, options, cmark_parser_get_syntax_extensions(parser));
    std::string out(html);
    cmark_get_default_mem_allocator()->free(html);
    cmark_node_free(document);
    cmark_parser_free(parser);
    return out;
}

}  // namespace sota::adapters
