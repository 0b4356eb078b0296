#include "workload/cgroup_place.h"

#include <optional>

namespace apiscope {
namespace {

bool all_of(std::string_view s, std::string_view chars) {
    return !s.empty() && s.find_first_not_of(chars) == std::string_view::npos;
}

bool is_container_id(std::string_view s) { return s.size() == 64 && all_of(s, "0123456789abcdef"); }

bool is_uuid(std::string_view s) { return s.size() == 36 && all_of(s, "0123456789abcdef-"); }

bool strip_suffix(std::string_view& s, std::string_view suffix) {
    if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return false;
    s.remove_suffix(suffix.size());
    return true;
}

// "kubepods-burstable-pod<uid with _>.slice", "kubepods-pod<uid>.slice"
// (systemd driver) or "pod<uid>" (cgroupfs driver, under kubepods/).
std::optional<std::string> pod_uid(std::string_view c, bool under_kubepods) {
    if (strip_suffix(c, ".slice")) {
        if (c.rfind("kubepods-", 0) != 0) return std::nullopt;
        auto at = c.rfind("-pod");
        if (at == std::string_view::npos) return std::nullopt;
        std::string uid(c.substr(at + 4));
        for (char& ch : uid)
            if (ch == '_') ch = '-';
        if (is_uuid(uid)) return uid;
        return std::nullopt;
    }
    if (under_kubepods && c.rfind("pod", 0) == 0 && is_uuid(c.substr(3))) return std::string(c.substr(3));
    return std::nullopt;
}

// "<runtime>-<id>.scope", "<runtime>-<id>" or a bare "<id>"; a runtime's
// monitor (crio-conmon-, libpod-conmon-) is not the container.
bool container(std::string_view c, CgroupPlace& out) {
    strip_suffix(c, ".scope");
    if (c.size() < 64 || !is_container_id(c.substr(c.size() - 64))) return false;
    std::string_view prefix = c.substr(0, c.size() - 64);
    if (prefix.empty()) {
        out.runtime.clear();
    } else {
        if (prefix.back() != '-' || prefix.find("conmon") != std::string_view::npos) return false;
        out.runtime = std::string(prefix.substr(0, prefix.size() - 1));
    }
    out.container_id = std::string(c.substr(c.size() - 64));
    return true;
}

}  // namespace

CgroupPlace parse_cgroup_path(std::string_view path) {
    CgroupPlace out;
    bool kubepods = false;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view c = path.substr(start, end - start);
        start = end + 1;
        if (c.empty()) continue;
        if (c == "kubepods" || c.rfind("kubepods.", 0) == 0 || c.rfind("kubepods-", 0) == 0) kubepods = true;
        if (auto uid = pod_uid(c, kubepods)) {
            out = {};
            out.pod_uid = *uid;
            continue;
        }
        // the deepest container scope wins (podman nests a "container" cgroup in its own)
        CgroupPlace c2 = out;
        if (container(c, c2)) out = c2;
    }
    return out;
}

}  // namespace apiscope
