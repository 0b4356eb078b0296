// Kubernetes and container names for the cgroup a request's process ran in:
// looked up once per cgroup (the kernel keeps a connection's cgroup id),
// never per request. What each series and log line of a pod or container
// gets; nothing for a process outside both.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "workload/cgroup_fs.h"
#include "workload/pod_names.h"
#include "workload/runtime_names.h"

namespace apiscope {

struct Workload {
    std::string pod_uid;              // "" outside a pod
    std::vector<std::string> values;  // one per WorkloadMeta::names(); "" where none applies
};

class WorkloadMeta {
public:
    explicit WorkloadMeta(const Config& cfg);
    const std::vector<std::string>& names() const { return names_; }  // the label names, configured order
    const CgroupFs& cgroups() const { return fs_; }

    // The names of a cgroup id from the kernel (as_conn.cgroup; 0: none).
    std::shared_ptr<const Workload> lookup(uint64_t cgroup);

    // A workload's labels where not empty (k8s_pod_name, ...), and the same as
    // the access log's fields (k8s.pod.name, ...).
    std::vector<std::pair<std::string, std::string>> labels(const Workload& w) const;
    std::vector<std::pair<std::string, std::string>> log_fields(const Workload& w) const;

    // Cgroups whose directory is gone are retired after the grace period:
    // returned once here, then forgotten. At most one check a second.
    std::vector<uint64_t> sweep();
    // Some cgroup of this pod is still known and not retired.
    bool pod_live(const std::string& uid) const;
    // Cgroups known now, by what they were found to be: pod, pod_unnamed (no
    // log link or pod directory for it), container, container_unnamed (no
    // runtime API answered), other (neither), unresolved (not openable).
    std::map<std::string, uint64_t> cgroups_by_kind() const;

private:
    struct Entry {
        std::shared_ptr<const Workload> w;
        std::string path;  // "" when the id did not resolve
        const char* kind = "unresolved";  // as in cgroups_by_kind
        bool complete = true;  // names found (else asked again: a pod's every 2 s, a container's every 30 s)
        std::chrono::steady_clock::time_point resolved, gone_since{};
    };
    Entry resolve(uint64_t cgroup);
    void set(Workload& w, const std::string& name, const std::string& value) const;

    bool enabled_;
    std::chrono::seconds grace_;
    std::vector<std::string> names_;
    CgroupFs fs_;
    mutable std::mutex mu_;
    PodNames pods_;
    RuntimeNames runtime_;
    std::map<uint64_t, Entry> cache_;
    std::chrono::steady_clock::time_point swept_{};
    std::shared_ptr<const Workload> none_;
};

}  // namespace apiscope
