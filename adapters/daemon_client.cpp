#include "adapters/daemon_client.hpp"

#include <curl/curl.h>

namespace sota::adapters {

namespace {

size_t append(char* data, size_t size, size_t n, void* into) {
    static_cast<std::string*>(into)->append(data, size * n);
    return size * n;
}

struct LineSink {
    std::string buffer;
    const std::function<bool(std::string_view)>* on_line;
    bool stopped = false;
};

size_t split_lines(char* data, size_t size, size_t n, void* cls) {
    auto* sink = static_cast<LineSink*>(cls);
    sink->buffer.append(data, size * n);
    std::size_t pos;
    while ((pos = sink->buffer.find('\n')) != std::string::npos) {
        const std::string line = sink->buffer.substr(0, pos);
        sink->buffer.erase(0, pos + 1);
        if (!line.empty() && !(*sink->on_line)(line)) {
            sink->stopped = true;
            return 0;  // ends the transfer
        }
    }
    return size * n;
}

}  // namespace

core::Error daemon_unreachable(const std::filesystem::path& socket, const std::string& why) {
    return core::Error{core::ErrorKind::network, "daemon.unreachable",
                       "sotad is not running or not answering on " + socket.string() + " (" + why +
                           "); start it with `sota daemon start` (or `sotad --foreground` under "
                           "a service manager; daemon.autostart=true starts it when needed), or "
                           "run the job inline with `sota run`"};
}

core::Expected<DaemonReply> DaemonClient::call(const std::string& method, const std::string& path,
                                               const std::string& body,
                                               const std::map<std::string, std::string>& headers,
                                               std::chrono::milliseconds timeout) {
    std::error_code ec;
    if (!std::filesystem::exists(m_socket, ec)) {
        return core::fail(daemon_unreachable(m_socket, "no socket"));
    }
    CURL* curl = curl_easy_init();
    DaemonReply reply;
    curl_slist* list = nullptr;
    for (const auto& [name, value] : headers) {
        list = curl_slist_append(list, (name + ": " + value).c_str());
    }
    list = curl_slist_append(list, "Content-Type: application/json");
    list = curl_slist_append(list, "Expect:");
    const std::string url = "http://sotad" + path;
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, m_socket.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
    if (method == "POST" || !body.empty()) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    }
    const CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK) {
        return core::fail(daemon_unreachable(m_socket, curl_easy_strerror(rc)));
    }
    return reply;
}

core::Status DaemonClient::stream(const std::string& path,
                                  const std::function<bool(std::string_view)>& on_line) {
    std::error_code ec;
    if (!std::filesystem::exists(m_socket, ec)) {
        return core::fail(daemon_unreachable(m_socket, "no socket"));
    }
    CURL* curl = curl_easy_init();
    LineSink sink{{}, &on_line};
    const std::string url = "http://sotad" + path;
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, m_socket.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    // A follow stream is quiet between events but never for long: keep-alives every 15 s.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, split_lines);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    const CURLcode rc = curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK && !sink.stopped) {
        return core::fail(daemon_unreachable(m_socket, curl_easy_strerror(rc)));
    }
    return {};
}

}  // namespace sota::adapters
