#include "core/http.hpp"

#include "core/fiber.hpp"
#include "core/text.hpp"

namespace sota::core {

std::optional<std::string> find_header(const HttpHeaders& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (equals_ignoring_case(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

Expected<HttpResponse> HttpClient::perform(HttpRequest request) {
    return await<Expected<HttpResponse>>(
        [&](auto done) { send(std::move(request), std::move(done)); });
}

}  // namespace sota::core
