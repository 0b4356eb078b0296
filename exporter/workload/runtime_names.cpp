#include "workload/runtime_names.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

namespace apiscope {
namespace {

size_t append(char* data, size_t size, size_t n, void* out) {
    auto* s = static_cast<std::string*>(out);
    if (s->size() + size * n > (1u << 20)) return 0;  // a container's JSON is a few KiB
    s->append(data, size * n);
    return size * n;
}

bool is_socket(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

std::vector<std::string> default_runtime_sockets() {
    return {"/run/podman/podman.sock", "/var/run/docker.sock"};
}

RuntimeNames::RuntimeNames(std::vector<std::string> sockets)
    : sockets_(std::move(sockets)), failed_(sockets_.size()) {}

std::optional<std::string> RuntimeNames::name(const std::string& container_id) {
    auto now = std::chrono::steady_clock::now();
    for (size_t i = 0; i < sockets_.size(); i++) {
        const auto& sock = sockets_[i];
        if (!is_socket(sock)) continue;
        if (failed_[i] != std::chrono::steady_clock::time_point{} && now - failed_[i] < std::chrono::seconds(30))
            continue;
        CURL* c = curl_easy_init();
        if (!c) return std::nullopt;
        std::string body;
        std::string url = "http://localhost/containers/" + container_id + "/json";
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock.c_str());
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 200L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);  // a local API answers in milliseconds
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        long code = 0;
        CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(c);
        if (rc != CURLE_OK) failed_[i] = now;  // 404 (not this runtime's container) is an answer
        if (rc != CURLE_OK || code != 200) continue;
        auto doc = nlohmann::json::parse(body, nullptr, false);
        if (doc.is_discarded() || !doc.is_object() || !doc.contains("Name") || !doc["Name"].is_string()) continue;
        std::string name = doc["Name"].get<std::string>();
        if (!name.empty() && name[0] == '/') name.erase(0, 1);  // Docker's form
        if (!name.empty()) return name;
    }
    return std::nullopt;
}

}  // namespace apiscope
