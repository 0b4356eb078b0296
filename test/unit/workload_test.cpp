#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "workload/cgroup_place.h"
#include "workload/pod_names.h"

using namespace apiscope;

namespace {
const std::string kId = "4f9a0d2c7e1b3a5968d7c0e2f4b6a8c1d3e5f7091b2c4d6e8f0a1b3c5d7e9f01";
const std::string kUid = "6d7a2f1e-3b4c-4d5e-8f90-a1b2c3d4e5f6";
const std::string kUidSystemd = "6d7a2f1e_3b4c_4d5e_8f90_a1b2c3d4e5f6";
}  // namespace

TEST_CASE("the kubelet's systemd cgroup naming, every QoS class and runtime", "[workload]") {
    for (std::string runtime : {"cri-containerd", "crio", "docker"}) {
        auto p = parse_cgroup_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd +
                                   ".slice/" + runtime + "-" + kId + ".scope");
        CHECK(p.pod_uid == kUid);
        CHECK(p.container_id == kId);
        CHECK(p.runtime == runtime);
    }
    auto be = parse_cgroup_path("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidSystemd +
                                ".slice/cri-containerd-" + kId + ".scope");
    CHECK(be.pod_uid == kUid);
    // guaranteed pods sit right under kubepods.slice
    auto g = parse_cgroup_path("/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/crio-" + kId + ".scope");
    CHECK(g.pod_uid == kUid);
    CHECK(g.container_id == kId);
    // the pod's own cgroup: a pod, no container
    auto pod = parse_cgroup_path("/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice");
    CHECK(pod.pod_uid == kUid);
    CHECK(pod.container_id.empty());
    // CRI-O's monitor is not the container
    auto conmon = parse_cgroup_path("/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/crio-conmon-" + kId + ".scope");
    CHECK(conmon.pod_uid == kUid);
    CHECK(conmon.container_id.empty());
}

TEST_CASE("the kubelet's cgroupfs naming", "[workload]") {
    auto b = parse_cgroup_path("/kubepods/burstable/pod" + kUid + "/" + kId);
    CHECK(b.pod_uid == kUid);
    CHECK(b.container_id == kId);
    CHECK(b.runtime.empty());
    auto g = parse_cgroup_path("/kubepods/pod" + kUid + "/" + kId);
    CHECK(g.pod_uid == kUid);
    CHECK(g.container_id == kId);
    // "pod<uid>" outside kubepods is somebody else's name
    CHECK(parse_cgroup_path("/mine/pod" + kUid).pod_uid.empty());
}

TEST_CASE("containers outside Kubernetes, and processes in neither", "[workload]") {
    auto d = parse_cgroup_path("/system.slice/docker-" + kId + ".scope");
    CHECK(d.pod_uid.empty());
    CHECK(d.container_id == kId);
    CHECK(d.runtime == "docker");
    CHECK(parse_cgroup_path("/docker/" + kId).container_id == kId);
    CHECK(parse_cgroup_path("/machine.slice/libpod-" + kId + ".scope/container").container_id == kId);
    CHECK(parse_cgroup_path("/libpod_parent/libpod-" + kId).runtime == "libpod");
    CHECK(parse_cgroup_path("/machine.slice/libpod-conmon-" + kId + ".scope").container_id.empty());
    for (const char* p : {"/", "", "/user.slice/user-0.slice/session-1.scope", "/system.slice/nginx.service",
                          "/process_api/db4d980a5b9e7c6742d1a3c629b42319"}) {
        auto none = parse_cgroup_path(p);
        CHECK(none.pod_uid.empty());
        CHECK(none.container_id.empty());
    }
}

TEST_CASE("names from the kubelet's log links and pod directories", "[workload]") {
    auto c = parse_container_log("web-7d4f8b9c6d-x2x9z_shop_app-" + kId + ".log");
    REQUIRE(c);
    CHECK(c->first.pod == "web-7d4f8b9c6d-x2x9z");
    CHECK(c->first.ns == "shop");
    CHECK(c->first.container == "app");
    CHECK(c->second == kId);
    // container names may hold dashes; the id is the last 64 characters
    auto dashed = parse_container_log("db-0_data_log-shipper-" + kId + ".log");
    REQUIRE(dashed);
    CHECK(dashed->first.container == "log-shipper");
    CHECK_FALSE(parse_container_log("web_shop_app-" + kId + ".txt"));
    CHECK_FALSE(parse_container_log("web_shop_app-12345.log"));
    CHECK_FALSE(parse_container_log("a_b_c_d-" + kId + ".log"));
    CHECK_FALSE(parse_container_log("_shop_app-" + kId + ".log"));

    auto p = parse_pod_dir("shop_web-7d4f8b9c6d-x2x9z_" + kUid);
    REQUIRE(p);
    CHECK(p->first.ns == "shop");
    CHECK(p->first.pod == "web-7d4f8b9c6d-x2x9z");
    CHECK(p->second == kUid);
    CHECK_FALSE(parse_pod_dir("shop_web_notauid"));
}

TEST_CASE("owners guessed from pod names", "[workload]") {
    auto check = [](const char* pod, const char* kind, const char* name) {
        INFO(pod);
        Owner o = guess_owner(pod);
        CHECK(o.kind == kind);
        CHECK(o.name == name);
    };
    check("web-7d4f8b9c6d-x2x9z", "deployment", "web");
    check("checkout-api-5c9b7d6f48-2vqbx", "deployment", "checkout-api");
    check("postgres-0", "statefulset", "postgres");
    check("kafka-broker-12", "statefulset", "kafka-broker");
    check("node-agent-7xk2p", "daemonset", "node-agent");
    check("nightly-report-29418240-q8wz5", "job", "nightly-report-29418240");
    check("standalone", "", "");
    check("web-ABCDE", "", "");
}

TEST_CASE("PodNames reads both directories and finds pods created later", "[workload]") {
    namespace fs = std::filesystem;
    char tmpl[] = "/tmp/apiscope-podnames-XXXXXX";
    fs::path root = mkdtemp(tmpl);
    fs::create_directories(root / "containers");
    fs::create_directories(root / "pods");
    PodNames names((root / "containers").string(), (root / "pods").string());
    CHECK_FALSE(names.find(kUid, kId));
    std::ofstream(root / "containers" / ("web-7d4f8b9c6d-x2x9z_shop_app-" + kId + ".log")) << "";
    sleep(1);  // the index is read again at most once a second
    auto n = names.find(kUid, kId);
    REQUIRE(n);
    CHECK(n->container == "app");
    // a pod with no link yet: namespace and pod from its directory, and the
    // container when it is the pod's only one
    std::string uid2 = "11111111-2222-3333-4444-555555555555";
    fs::create_directories(root / "pods" / ("jobs_report-29418240-q8wz5_" + uid2) / "runner");
    sleep(1);
    auto p = names.find(uid2, std::string(64, 'b'));
    REQUIRE(p);
    CHECK(p->ns == "jobs");
    CHECK(p->pod == "report-29418240-q8wz5");
    CHECK(p->container == "runner");
    fs::remove_all(root);
}

TEST_CASE("kubernetes settings", "[workload][config]") {
    auto c = load_config_yaml(R"(
kubernetes: {enabled: true, labels: [k8s_namespace_name, k8s_pod_name], containers_dir: /c, pods_dir: /p,
             runtime_socket: "", grace_period_seconds: 30}
)", "t");
    CHECK(c.kubernetes.labels == std::vector<std::string>{"k8s_namespace_name", "k8s_pod_name"});
    CHECK(c.kubernetes.containers_dir == "/c");
    CHECK(c.kubernetes.runtime_socket.empty());
    CHECK(c.kubernetes.grace_period_seconds == 30);
    REQUIRE_NOTHROW(validate(c));
    c.kubernetes.labels = {"k8s_pod_uid"};
    CHECK_THROWS_WITH(validate(c), Catch::Contains("kubernetes.labels: unknown label 'k8s_pod_uid'"));
    c.kubernetes.labels = {"k8s_pod_name", "k8s_pod_name"};
    CHECK_THROWS_WITH(validate(c), Catch::Contains("listed twice"));
    CHECK_THROWS_WITH(load_config_yaml("kubernetes: {namespace: x}", "t"),
                      Catch::Contains("kubernetes.namespace: unknown key"));
}
