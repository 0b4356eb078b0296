// Pod, namespace and container names from what the kubelet leaves on the
// node, no API client needed: a link per container in /var/log/containers
// (<pod>_<namespace>_<container>-<container id>.log) and a directory per pod
// in /var/log/pods (<namespace>_<pod>_<uid>/<container>/).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace apiscope {

struct PodName {
    std::string ns, pod, container;  // container: "" when not known
};

// "<pod>_<namespace>_<container>-<64 hex id>.log": the names and the id.
// Kubernetes names have no '_', so the split is unambiguous.
std::optional<std::pair<PodName, std::string>> parse_container_log(std::string_view file);
// "<namespace>_<pod>_<uid>": the names (no container) and the pod's uid.
std::optional<std::pair<PodName, std::string>> parse_pod_dir(std::string_view dir);

// A pod's controller guessed from its name, as tools without API access do:
// <deployment>-<replicaset hash>-<5>, <cronjob>-<minutes>-<5> (its Job),
// <statefulset>-<ordinal>, <daemonset>-<5>. A bare Job's pod is named as a
// DaemonSet's is; it is taken for a DaemonSet. kind "" when none fits.
struct Owner {
    std::string kind;  // deployment, statefulset, daemonset, job
    std::string name;
};
Owner guess_owner(std::string_view pod);

// Index of both directories, read again (at most once a second) when a
// container or pod is not in it: new pods are found when first asked for.
class PodNames {
public:
    PodNames(std::string containers_dir, std::string pods_dir);
    // The names of a container (by id) in a pod (by uid): from its link, else
    // from the pod's directory (the container's name only if it has one).
    std::optional<PodName> find(const std::string& pod_uid, const std::string& container_id);

private:
    void rescan();
    std::string containers_dir_, pods_dir_;
    std::map<std::string, PodName> by_container_;  // container id ->
    std::map<std::string, PodName> by_pod_;        // pod uid -> (container: its only one)
    std::chrono::steady_clock::time_point scanned_{};
    bool ever_scanned_ = false;
};

}  // namespace apiscope
