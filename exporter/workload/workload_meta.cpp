#include "workload/workload_meta.h"

#include <algorithm>

#include "metrics/labels.h"
#include "workload/cgroup_place.h"

namespace apiscope {
namespace {

std::vector<std::string> sockets(const std::string& setting) {
    if (setting.empty()) return {};
    if (setting == "auto") return default_runtime_sockets();
    return {setting};
}

}  // namespace

WorkloadMeta::WorkloadMeta(const Config& cfg)
    : enabled_(cfg.kubernetes.enabled),
      grace_(cfg.kubernetes.grace_period_seconds),
      names_(cfg.kubernetes.enabled ? cfg.kubernetes.labels : std::vector<std::string>{}),
      pods_(cfg.kubernetes.containers_dir, cfg.kubernetes.pods_dir),
      runtime_(sockets(cfg.kubernetes.runtime_socket)) {
    auto none = std::make_shared<Workload>();
    none->values.assign(names_.size(), "");
    none_ = none;
}

void WorkloadMeta::set(Workload& w, const std::string& name, const std::string& value) const {
    auto it = std::find(names_.begin(), names_.end(), name);
    if (it != names_.end()) w.values[it - names_.begin()] = value;
}

WorkloadMeta::Entry WorkloadMeta::resolve(uint64_t cgroup) {
    Entry e;
    e.resolved = std::chrono::steady_clock::now();
    e.w = none_;
    auto path = fs_.path(cgroup);
    if (!path) return e;
    e.path = *path;
    e.kind = "other";
    CgroupPlace place = parse_cgroup_path(*path);
    auto w = std::make_shared<Workload>(*none_);
    if (!place.pod_uid.empty()) {
        w->pod_uid = place.pod_uid;
        auto n = pods_.find(place.pod_uid, place.container_id);
        e.complete = n && !n->container.empty();
        e.kind = e.complete ? "pod" : "pod_unnamed";
        set(*w, "k8s_namespace_name", n ? n->ns : kUnknown);
        set(*w, "k8s_pod_name", n ? n->pod : kUnknown);
        set(*w, "k8s_container_name", n && !n->container.empty() ? n->container : kUnknown);
        if (n) {
            Owner o = guess_owner(n->pod);
            if (!o.kind.empty()) set(*w, "k8s_" + o.kind + "_name", o.name);
        }
    } else if (!place.container_id.empty()) {
        auto name = runtime_.name(place.container_id);
        e.complete = name.has_value();
        e.kind = e.complete ? "container" : "container_unnamed";
        if (name) set(*w, "container_name", *name);
    }
    e.w = w;
    return e;
}

std::shared_ptr<const Workload> WorkloadMeta::lookup(uint64_t cgroup) {
    if (!enabled_ || !cgroup) return none_;
    std::lock_guard<std::mutex> g(mu_);
    auto it = cache_.find(cgroup);
    if (it == cache_.end()) {
        it = cache_.emplace(cgroup, resolve(cgroup)).first;
    } else if (!it->second.complete && it->second.gone_since == std::chrono::steady_clock::time_point{} &&
               std::chrono::steady_clock::now() - it->second.resolved >=
                   std::chrono::seconds(it->second.w->pod_uid.empty() ? 30 : 2)) {
        it->second = resolve(cgroup);  // a gone one keeps what it had
    }
    return it->second.w;
}

std::vector<uint64_t> WorkloadMeta::sweep() {
    std::vector<uint64_t> out;
    if (!enabled_) return out;
    std::lock_guard<std::mutex> g(mu_);
    auto now = std::chrono::steady_clock::now();
    if (now - swept_ < std::chrono::seconds(1)) return out;
    swept_ = now;
    for (auto it = cache_.begin(); it != cache_.end();) {
        Entry& e = it->second;
        if (e.gone_since == std::chrono::steady_clock::time_point{} &&
            (e.path.empty() || !fs_.exists(it->first, e.path)))
            e.gone_since = now;
        if (e.gone_since != std::chrono::steady_clock::time_point{} && now - e.gone_since >= grace_) {
            out.push_back(it->first);
            it = cache_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> WorkloadMeta::labels(const Workload& w) const {
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t i = 0; i < w.values.size() && i < names_.size(); i++)
        if (!w.values[i].empty()) out.emplace_back(names_[i], w.values[i]);
    return out;
}

std::vector<std::pair<std::string, std::string>> WorkloadMeta::log_fields(const Workload& w) const {
    auto out = labels(w);
    for (auto& [name, value] : out) std::replace(name.begin(), name.end(), '_', '.');  // k8s.pod.name
    return out;
}

std::map<std::string, uint64_t> WorkloadMeta::cgroups_by_kind() const {
    std::map<std::string, uint64_t> out;
    for (const char* k : {"pod", "pod_unnamed", "container", "container_unnamed", "other", "unresolved"}) out[k] = 0;
    std::lock_guard<std::mutex> g(mu_);
    for (const auto& [id, e] : cache_) out[e.kind]++;
    return out;
}

bool WorkloadMeta::pod_live(const std::string& uid) const {
    std::lock_guard<std::mutex> g(mu_);
    return std::any_of(cache_.begin(), cache_.end(), [&](const auto& kv) { return kv.second.w->pod_uid == uid; });
}

}  // namespace apiscope
