#include "core/http.hpp"

#include <cctype>
#include <future>

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
    auto promise = std::make_shared<std::promise<Expected<HttpResponse>>>();
    auto future = promise->get_future();
    send(std::move(request),
         [promise](Expected<HttpResponse> result) { promise->set_value(std::move(result)); });
    return future.get();
}

}  // namespace sota::core
