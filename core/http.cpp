#include "core/http.hpp"

#include <cctype>

#include "core/fiber.hpp"

namespace sota::core {

std::optional<std::string> find_header(const HttpHeaders& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size()) {
            bool same = true;
            for (std::size_t i = 0; i < key.size() && same; ++i) {
                same = std::tolower(static_cast<unsigned char>(key[i])) ==
                       std::tolower(static_cast<unsigned char>(name[i]));
            }
            if (same) {
                return value;
            }
        }
    }
    return std::nullopt;
}

Expected<HttpResponse> HttpClient::perform(HttpRequest request) {
    return await<Expected<HttpResponse>>(
        [&](auto done) { send(std::move(request), std::move(done)); });
}

}  // namespace sota::core
