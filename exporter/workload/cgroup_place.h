// Where a cgroup sits: the pod and container the kubelet's and the container
// runtimes' cgroup naming tells, read from a cgroup's path alone.
#pragma once

#include <string>
#include <string_view>

namespace apiscope {

struct CgroupPlace {
    std::string pod_uid;       // with dashes; "" outside a Kubernetes pod
    std::string container_id;  // the runtime's id (64 hex digits); "" if none
    std::string runtime;       // the scope's prefix: cri-containerd, crio, docker, libpod; "" if none
};

// From a cgroup's path below its hierarchy's root: the kubelet's systemd driver
// (kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid>.slice/
// <runtime>-<id>.scope) and cgroupfs driver (kubepods/<qos>/pod<uid>/<id>),
// guaranteed pods (no qos level) included; outside Kubernetes, Docker's and
// podman's (system.slice/docker-<id>.scope, /docker/<id>,
// machine.slice/libpod-<id>.scope, /libpod_parent/libpod-<id>).
CgroupPlace parse_cgroup_path(std::string_view path);

}  // namespace apiscope
