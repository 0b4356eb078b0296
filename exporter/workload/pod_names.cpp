#include "workload/pod_names.h"

#include <dirent.h>

#include <vector>

namespace apiscope {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (;;) {
        size_t end = s.find(sep, start);
        out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

bool all_of(std::string_view s, std::string_view chars) {
    return !s.empty() && s.find_first_not_of(chars) == std::string_view::npos;
}

// what Kubernetes generates names from (k8s.io/apimachinery's rand and SafeEncodeString)
constexpr std::string_view kSafe = "bcdfghjklmnpqrstvwxz2456789";

std::string join(const std::vector<std::string_view>& parts, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; i++) {
        if (i) out += '-';
        out += parts[i];
    }
    return out;
}

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = opendir(dir.c_str());
    if (!d) return out;
    while (dirent* e = readdir(d))
        if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    closedir(d);
    return out;
}

}  // namespace

std::optional<std::pair<PodName, std::string>> parse_container_log(std::string_view file) {
    if (file.size() < 4 || file.substr(file.size() - 4) != ".log") return std::nullopt;
    file.remove_suffix(4);
    auto parts = split(file, '_');
    if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) return std::nullopt;
    std::string_view rest = parts[2];
    if (rest.size() < 66 || rest[rest.size() - 65] != '-') return std::nullopt;
    std::string_view id = rest.substr(rest.size() - 64);
    if (!all_of(id, "0123456789abcdef")) return std::nullopt;
    PodName n{std::string(parts[1]), std::string(parts[0]), std::string(rest.substr(0, rest.size() - 65))};
    return std::make_pair(n, std::string(id));
}

std::optional<std::pair<PodName, std::string>> parse_pod_dir(std::string_view dir) {
    auto parts = split(dir, '_');
    if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].size() != 36 ||
        !all_of(parts[2], "0123456789abcdef-"))
        return std::nullopt;
    return std::make_pair(PodName{std::string(parts[0]), std::string(parts[1]), ""}, std::string(parts[2]));
}

Owner guess_owner(std::string_view pod) {
    auto parts = split(pod, '-');
    size_t n = parts.size();
    if (n < 2 || parts[0].empty()) return {};
    std::string_view last = parts[n - 1];
    if (all_of(last, "0123456789")) return {"statefulset", join(parts, n - 1)};
    if (last.size() != 5 || !all_of(last, kSafe)) return {};
    if (n >= 3) {
        std::string_view mid = parts[n - 2];
        // a CronJob names its Jobs <cronjob>-<scheduled time in minutes>
        if (mid.size() >= 8 && all_of(mid, "0123456789")) return {"job", join(parts, n - 1)};
        if (mid.size() >= 6 && mid.size() <= 10 && all_of(mid, kSafe)) return {"deployment", join(parts, n - 2)};
    }
    return {"daemonset", join(parts, n - 1)};
}

PodNames::PodNames(std::string containers_dir, std::string pods_dir)
    : containers_dir_(std::move(containers_dir)), pods_dir_(std::move(pods_dir)) {}

void PodNames::rescan() {
    auto now = std::chrono::steady_clock::now();
    if (ever_scanned_ && now - scanned_ < std::chrono::seconds(1)) return;
    ever_scanned_ = true;
    scanned_ = now;
    by_container_.clear();
    by_pod_.clear();
    if (!containers_dir_.empty())
        for (const auto& f : entries(containers_dir_))
            if (auto p = parse_container_log(f)) by_container_[p->second] = p->first;
    if (!pods_dir_.empty())
        for (const auto& d : entries(pods_dir_))
            if (auto p = parse_pod_dir(d)) {
                auto containers = entries(pods_dir_ + "/" + d);
                if (containers.size() == 1) p->first.container = containers[0];
                by_pod_[p->second] = p->first;
            }
}

std::optional<PodName> PodNames::find(const std::string& pod_uid, const std::string& container_id) {
    for (int pass = 0; pass < 2; pass++) {
        if (pass || !ever_scanned_) rescan();
        if (auto it = by_container_.find(container_id); !container_id.empty() && it != by_container_.end())
            return it->second;
        if (auto it = by_pod_.find(pod_uid); it != by_pod_.end()) return it->second;
    }
    return std::nullopt;
}

}  // namespace apiscope
