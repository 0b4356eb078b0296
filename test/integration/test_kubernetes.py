"""Kubernetes and container names on every series, on a node built as the
kubelet lays it out: pod and container cgroups with the systemd and the
cgroupfs driver's naming (cgroup v2, and v1 for a pod whose processes sit in
the v2 root), the kubelet's log links in /var/log/containers and pod
directories in /var/log/pods, real servers started inside those cgroups, and
a real podman container named by podman's API. Every cgroup, link and
directory the test makes is removed at the end.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

from harness import APPS, Apiscope, Server, curl, main, nginx, total, value, wait_for_count

DEBIAN_PYTHON = "/usr/bin/python3"  # Debian's python3-grpcio lives there
V2 = "/sys/fs/cgroup/unified" if os.path.exists("/sys/fs/cgroup/unified/cgroup.procs") else "/sys/fs/cgroup"
V1_MEMORY = "/sys/fs/cgroup/memory"
CONTAINERS, PODS = "/var/log/containers", "/var/log/pods"
WEB, WEB_H2, DB, AGENT, REPORT, GRPC, OUTSIDE, PODMAN = range(18120, 18128)
METRICS = 19510
GRACE = 3
DUR = "http_server_request_duration_seconds_count"
RPC = "rpc_server_call_duration_seconds_count"


def container_id():
    return uuid.uuid4().hex + uuid.uuid4().hex


class Node:
    """Cgroups, log links and pod directories as the kubelet makes them;
    remove() takes away everything made, processes moved out first."""

    def __init__(self):
        self.cgroups, self.files, self.dirs = [], [], []
        for d in (CONTAINERS, PODS):
            if not os.path.isdir(d):
                os.makedirs(d)
                self.dirs.append(d)

    def mkcgroup(self, root, path):
        made = root
        for part in path.strip("/").split("/"):
            made = os.path.join(made, part)
            if not os.path.isdir(made):
                os.mkdir(made)
                self.cgroups.append(made)
        return made

    def pod(self, driver, qos, uid, runtime, cid, root=V2):
        """The container's cgroup directory of a pod."""
        if driver == "systemd":
            su = uid.replace("-", "_")
            levels = ["kubepods.slice"] + (["kubepods-%s.slice" % qos, "kubepods-%s-pod%s.slice" % (qos, su)]
                                           if qos else ["kubepods-pod%s.slice" % su])
            path = "/".join(levels + ["%s-%s.scope" % (runtime, cid)])
        else:
            path = "/".join(["kubepods"] + ([qos] if qos else []) + ["pod" + uid, cid])
        return self.mkcgroup(root, path)

    def link(self, pod, ns, container, cid):
        f = os.path.join(CONTAINERS, "%s_%s_%s-%s.log" % (pod, ns, container, cid))
        os.symlink("/dev/null", f)
        self.files.append(f)
        return f

    def pod_dir(self, ns, pod, uid, container):
        d = os.path.join(PODS, "%s_%s_%s" % (ns, pod, uid))
        os.makedirs(os.path.join(d, container))
        self.dirs.append(d)

    def delete_cgroup(self, path):
        """A container's cgroup and its pod's, once their processes are gone."""
        for c in sorted((c for c in self.cgroups if c.startswith(os.path.dirname(path))), key=len, reverse=True):
            self.rmdir(c)

    def rmdir(self, c):
        if not os.path.isdir(c):
            return
        root = V1_MEMORY if c.startswith(V1_MEMORY) else V2
        deadline = time.monotonic() + 10
        while True:
            with open(os.path.join(c, "cgroup.procs")) as f:
                pids = f.read().split()
            for pid in pids:  # what a failed test left running: out, then gone
                try:
                    with open(os.path.join(root, "cgroup.procs"), "w") as f:
                        f.write(pid)
                except OSError:
                    pass
            try:
                os.rmdir(c)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def remove(self):
        for c in sorted(self.cgroups, key=len, reverse=True):
            self.rmdir(c)
        for f in self.files:
            if os.path.lexists(f):
                os.unlink(f)
        for d in reversed(self.dirs):
            shutil.rmtree(d, ignore_errors=True)


def inside(cgroup, cmd):
    """cmd started inside cgroup (it and every process it forks)."""
    return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup, *cmd]


def http_server(name, port):
    return [sys.executable, os.path.join(APPS, "plain_server.py"), str(port), name]


class Kubernetes(unittest.TestCase):
    def setUp(self):
        self.node = Node()
        self.tmp = tempfile.mkdtemp(prefix="apiscope-k8s-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.addCleanup(self.node.remove)

    def config(self, **kubernetes):
        path = os.path.join(self.tmp, "apiscope.yaml")
        with open(path, "w") as f:
            json.dump({"kubernetes": dict(grace_period_seconds=GRACE, **kubernetes),
                       "access_log": {"output": os.path.join(self.tmp, "access.log")}}, f)
        return path

    def log_lines(self, server_lines=0):
        """The access log's lines, once it holds server_lines server-side
        ones: the writer writes in batches, a scrape may come before one."""
        deadline = time.monotonic() + 10
        while True:
            with open(os.path.join(self.tmp, "access.log")) as f:
                lines = [json.loads(line) for line in f if line.strip()]
            if sum(l.get("span.kind") == "server" for l in lines) >= server_lines or time.monotonic() > deadline:
                return lines
            time.sleep(0.2)

    def test_pods_namespaces_containers_and_owners(self):
        n = self.node
        # a Deployment's pod: systemd driver, burstable, containerd; nginx over HTTP/1.1 and h2c
        web_uid, web_id = str(uuid.uuid4()), container_id()
        web_cg = n.pod("systemd", "burstable", web_uid, "cri-containerd", web_id)
        n.link("web-7d4f8b9c6d-x2x9z", "shop", "nginx", web_id)
        # a StatefulSet's pod: cgroupfs driver, guaranteed (no QoS level)
        db_uid, db_id = str(uuid.uuid4()), container_id()
        db_cg = n.pod("cgroupfs", None, db_uid, None, db_id)
        n.link("db-0", "data", "api", db_id)
        # a DaemonSet's pod in cgroup v1 only (its processes in the v2 root), named from its pod directory
        agent_uid, agent_id = str(uuid.uuid4()), container_id()
        agent_cg = n.pod("cgroupfs", "besteffort", agent_uid, None, agent_id, root=V1_MEMORY)
        n.pod_dir("kube-system", "node-agent-7xk2p", agent_uid, "agent")
        # a Deployment's gRPC server: systemd driver, besteffort, CRI-O
        grpc_uid, grpc_id = str(uuid.uuid4()), container_id()
        grpc_cg = n.pod("systemd", "besteffort", grpc_uid, "crio", grpc_id)
        n.link("items-6c8f9d7b5-q4w7z", "rpc", "items", grpc_id)

        web_conf = """
        listen 127.0.0.1:%d;
        listen 127.0.0.1:%d http2;
        location / { return 200 "web\\n"; }""" % (WEB, WEB_H2)
        d = os.path.join(self.tmp, "nginx")
        os.mkdir(d)
        web = nginx(d, web_conf, WEB)
        web.cmd = inside(web_cg, web.cmd)
        ports = [str(p) for p in (WEB, WEB_H2, DB, AGENT, REPORT, GRPC, OUTSIDE)]
        flags = ["--config", self.config()] + sum((["--target.port", p] for p in ports), [])
        with Apiscope(*flags, port=METRICS) as scope, web, \
                Server(inside(db_cg, http_server("db-api", DB)), DB), \
                Server(inside(agent_cg, http_server("agent", AGENT)), AGENT), \
                Server(inside(grpc_cg, [DEBIAN_PYTHON, os.path.join(APPS, "grpc_app.py"), "server", "items",
                                        str(GRPC)]), GRPC) as grpc_server, \
                Server(http_server("outside", OUTSIDE), OUTSIDE):
            # a Job's pod made after apiscope started (CRI-O, systemd, besteffort)
            report_uid, report_id = str(uuid.uuid4()), container_id()
            report_cg = n.pod("systemd", "besteffort", report_uid, "crio", report_id)
            n.link("report-29418240-q8wz5", "batch", "report", report_id)
            with Server(inside(report_cg, http_server("report", REPORT)), REPORT):
                for port, times in ((WEB, 7), (DB, 4), (AGENT, 3), (REPORT, 6), (OUTSIDE, 2)):
                    for i in range(times):
                        self.assertEqual(curl("http://127.0.0.1:%d/item/%d" % (port, i)), 200)
                # five requests on one HTTP/2 connection (h2c)
                h2 = subprocess.run(["h2load", "-n", "5", "-c", "1", "http://127.0.0.1:%d/h2" % WEB_H2],
                                    capture_output=True, text=True, timeout=30)
                self.assertIn("5 succeeded", h2.stdout, h2.stdout + h2.stderr)
                grpc = subprocess.run([DEBIAN_PYTHON, os.path.join(APPS, "grpc_app.py"), "client", "items-cli",
                                       str(GRPC)], capture_output=True, text=True, timeout=60, cwd=APPS)
                self.assertEqual(grpc.returncode, 0, grpc.stderr)
                self.assertEqual(json.loads(grpc.stdout)["Get"], ["OK", "OK", "OK", "NOT_FOUND", "INTERNAL", "OK"])
                wait_for_count(scope, RPC, 10)
                s = wait_for_count(scope, DUR, 7 + 5 + 4 + 3 + 6 + 2)

            web_labels = dict(k8s_namespace_name="shop", k8s_pod_name="web-7d4f8b9c6d-x2x9z",
                              k8s_container_name="nginx", k8s_deployment_name="web")
            self.assertEqual(value(s, DUR, network_protocol_version="1.1", **web_labels), 7)
            self.assertEqual(value(s, DUR, network_protocol_version="2", **web_labels), 5)
            self.assertEqual(value(s, DUR, k8s_namespace_name="data", k8s_pod_name="db-0", k8s_container_name="api",
                                   k8s_statefulset_name="db"), 4)
            self.assertEqual(value(s, DUR, k8s_namespace_name="kube-system", k8s_pod_name="node-agent-7xk2p",
                                   k8s_container_name="agent", k8s_daemonset_name="node-agent"), 3)
            self.assertEqual(value(s, DUR, k8s_namespace_name="batch", k8s_pod_name="report-29418240-q8wz5",
                                   k8s_container_name="report", k8s_job_name="report-29418240"), 6)
            rpc = dict(k8s_namespace_name="rpc", k8s_pod_name="items-6c8f9d7b5-q4w7z", k8s_container_name="items",
                       k8s_deployment_name="items", rpc_method="demo.Items/Get")
            self.assertEqual(value(s, RPC, rpc_response_status_code="OK", **rpc), 4)
            self.assertEqual(value(s, RPC, rpc_response_status_code="NOT_FOUND", **rpc), 1)
            self.assertEqual(value(s, "apiscope_kubernetes_cgroups", kind="pod"), 5)
            self.assertEqual(value(s, "apiscope_kubernetes_cgroups", kind="pod_unnamed"), 0)
            # each pod's series carry its own owner only; a process outside any pod has no such label
            for _, labels, _ in s:
                owners = [k for k in labels if k in ("k8s_deployment_name", "k8s_statefulset_name",
                                                     "k8s_daemonset_name", "k8s_job_name")]
                self.assertLessEqual(len(owners), 1, labels)
            outside = [l for name, l, _ in s if name == DUR and l.get("service_name") == "outside"]
            self.assertTrue(outside)
            self.assertFalse([l for l in outside if any(k.startswith("k8s_") or k == "container_name" for k in l)])
            self.assertEqual(total(s, DUR, service_name="outside"), 2)
            # the clients ran outside pods
            self.assertFalse([l for name, l, _ in s if name.startswith("http_client") and "k8s_pod_name" in l])

            # the access log names the pod of each line
            lines = self.log_lines(7 + 5 + 4 + 3 + 6 + 2 + 10)  # HTTP/1.1, HTTP/2, the four other servers, gRPC
            by_pod = {}
            for line in lines:
                if line.get("span.kind") == "server":
                    key = (line.get("k8s.namespace.name"), line.get("k8s.pod.name"), line.get("k8s.container.name"))
                    by_pod[key] = by_pod.get(key, 0) + 1
            self.assertEqual(by_pod.get(("shop", "web-7d4f8b9c6d-x2x9z", "nginx")), 12)
            self.assertEqual(by_pod.get(("data", "db-0", "api")), 4)
            self.assertEqual(by_pod.get(("batch", "report-29418240-q8wz5", "report")), 6)
            self.assertEqual(by_pod.get((None, None, None)), 2)
            self.assertEqual(by_pod.get(("rpc", "items-6c8f9d7b5-q4w7z", "items")), 10)
            self.assertEqual(sum(by_pod.values()), 7 + 5 + 4 + 3 + 6 + 2 + 10)
            web_line = next(l for l in lines if l.get("k8s.pod.name") == "web-7d4f8b9c6d-x2x9z")
            self.assertEqual(web_line["k8s.deployment.name"], "web")

            # the Job's pod is deleted: its series stay for the grace period, then go
            n.delete_cgroup(report_cg)
            deleted = dict(k8s_namespace_name="batch", k8s_pod_name="report-29418240-q8wz5")
            gone_at = time.monotonic()
            self.assertEqual(value(scope.scrape(), DUR, **deleted), 6)
            s = self.wait_gone(scope, gone_at, DUR, **deleted)
            self.assertEqual(value(s, "apiscope_kubernetes_cgroups", kind="pod"), 4)
            # every live pod's counts as they were
            self.assertEqual(value(s, DUR, network_protocol_version="1.1", **web_labels), 7)
            self.assertEqual(value(s, DUR, network_protocol_version="2", **web_labels), 5)
            self.assertEqual(value(s, DUR, k8s_pod_name="db-0"), 4)
            self.assertEqual(value(s, DUR, k8s_pod_name="node-agent-7xk2p"), 3)
            self.assertEqual(value(s, RPC, rpc_response_status_code="OK", **rpc), 4)
            self.assertEqual(total(s, DUR, service_name="outside"), 2)

            # the web and gRPC pods go too: HTTP/2 and gRPC series are kept in user space
            for server, cg in ((web, web_cg), (grpc_server, grpc_cg)):
                server.proc.terminate()
                server.proc.wait(timeout=10)
                n.delete_cgroup(cg)
            gone_at = time.monotonic()
            s = self.wait_gone(scope, gone_at, DUR, k8s_pod_name="web-7d4f8b9c6d-x2x9z")
            s = self.wait_gone(scope, gone_at, RPC, k8s_pod_name="items-6c8f9d7b5-q4w7z")
            self.assertEqual(value(s, DUR, k8s_pod_name="db-0"), 4)
            self.assertEqual(value(s, "apiscope_kubernetes_cgroups", kind="pod"), 2)

    def wait_gone(self, scope, gone_at, name, **labels):
        """The scrape once no series of name with labels is left, which must
        be after the grace period and within a few seconds of its end."""
        deadline = gone_at + GRACE + 10
        while total(scope.scrape(), name, **labels) and time.monotonic() < deadline:
            time.sleep(0.3)
        s = scope.scrape()
        self.assertEqual(total(s, name, **labels), 0, "a deleted pod's series outlived its grace period")
        self.assertGreaterEqual(time.monotonic() - gone_at, GRACE - 0.5)
        return s

    def test_a_restarted_container_keeps_counting(self):
        """A container restarted in a live pod is a new cgroup with the same
        names: its series goes on from where the old container left it."""
        uid = str(uuid.uuid4())
        pod = dict(k8s_namespace_name="shop", k8s_pod_name="cart-0", k8s_container_name="cart",
                   k8s_statefulset_name="cart")
        with Apiscope("--config", self.config(), "--target.port", str(DB), port=METRICS) as scope:
            for run, requests in enumerate((3, 2, 4)):
                cid = container_id()
                cg = self.node.pod("cgroupfs", "burstable", uid, None, cid)
                self.node.link("cart-0", "shop", "cart", cid)
                with Server(inside(cg, http_server("cart", DB)), DB):
                    for i in range(requests):
                        self.assertEqual(curl("http://127.0.0.1:%d/cart/%d" % (DB, i)), 200)
                    s = wait_for_count(scope, DUR, [3, 5, 9][run], **pod)
                self.assertEqual(value(s, DUR, **pod), [3, 5, 9][run])
                os.rmdir(cg)  # the old container's cgroup goes; the pod's stays
                os.unlink(self.node.files.pop())
                self.node.cgroups.remove(cg)
                time.sleep(GRACE + 1.5)  # past the old cgroup's grace period
                s = scope.scrape()
                self.assertEqual(value(s, DUR, **pod), [3, 5, 9][run])
            # the first two cgroups were retired (their counts carried), the last one is in its grace period
            self.assertEqual(value(s, "apiscope_kubernetes_cgroups", kind="pod"), 1)

    def test_llm_and_mcp_calls_in_a_pod(self):
        from test_genai import NAMES, PROVIDER, GenaiApps
        uid, cid = str(uuid.uuid4()), container_id()
        cg = self.node.pod("systemd", "burstable", uid, "cri-containerd", cid)
        self.node.link("assistant-5d9c8b7f6-k2m4p", "ai", "assistant", cid)
        pod = dict(k8s_namespace_name="ai", k8s_pod_name="assistant-5d9c8b7f6-k2m4p", k8s_container_name="assistant",
                   k8s_deployment_name="assistant")
        apps = GenaiApps()
        for server in apps.servers:  # the model server, the gateway and the MCP server: one pod
            server.cmd = inside(cg, server.cmd)
        flags = ["--config", self.config()] + [a for n in NAMES for a in ("--target.comm", n)]
        with Apiscope(*flags, port=METRICS) as scope, apps:
            calls = apps.llm("http://127.0.0.1:%d/v1" % PROVIDER, "direct")
            apps.mcp()
            wait_for_count(scope, "gen_ai_server_request_duration_seconds_count", len(calls))
            s = wait_for_count(scope, "mcp_server_operation_duration_seconds_count", 9)
        llm, mcp = "gen_ai_server_request_duration_seconds_count", "mcp_server_operation_duration_seconds_count"
        self.assertEqual(len(calls), 7)
        self.assertEqual(value(s, llm, service_name="llm-provider", **pod), 7)
        self.assertEqual(value(s, llm, service_name="llm-provider", gen_ai_request_model="gpt-test-a", **pod), 3)
        self.assertEqual(value(s, mcp, service_name="mcp-server", **pod), 9)
        self.assertEqual(value(s, mcp, service_name="mcp-server", mcp_method_name="tools/call", **pod), 6)
        self.assertEqual(value(s, "mcp_server_session_duration_seconds_count", service_name="mcp-server", **pod), 1)
        # nothing of the pod's left unlabelled, and the clients (outside) unlabelled
        self.assertEqual(total(s, llm), 7)
        self.assertEqual(total(s, mcp), 9)
        self.assertEqual(total(s, "gen_ai_client_operation_duration_seconds_count", service_name="llm-client"), 7)
        self.assertFalse([l for n, l, _ in s if n.startswith(("gen_ai_client", "mcp_client")) and "k8s_pod_name" in l])
        lines = [l for l in self.log_lines() if l.get("event.name") in ("gen_ai.call", "mcp.call")
                 and l["span.kind"] == "server"]
        self.assertEqual(len(lines), 7 + 9)
        self.assertEqual({l.get("k8s.pod.name") for l in lines}, {"assistant-5d9c8b7f6-k2m4p"})

    def test_labels_chosen_or_off(self):
        uid, cid = str(uuid.uuid4()), container_id()
        cg = self.node.pod("systemd", "burstable", uid, "cri-containerd", cid)
        self.node.link("api-0", "shop", "api", cid)
        for flags, want in ((["--kubernetes.labels", "k8s_namespace_name,k8s_pod_name"],
                             {"k8s_namespace_name": "shop", "k8s_pod_name": "api-0"}),
                            (["--kubernetes.enabled", "false"], {})):
            with self.subTest(flags=flags), \
                    Apiscope("--target.port", str(DB), *flags, port=METRICS) as scope, \
                    Server(inside(cg, http_server("api", DB)), DB):
                for i in range(3):
                    self.assertEqual(curl("http://127.0.0.1:%d/" % DB), 200)
                s = wait_for_count(scope, DUR, 3, service_name="api")
                series = [l for name, l, _ in s if name == DUR and l.get("service_name") == "api"]
                self.assertEqual(len(series), 1, series)
                got = {k: v for k, v in series[0].items() if k.startswith("k8s_") or k == "container_name"}
                self.assertEqual(got, want)
                self.assertEqual(total(s, DUR, service_name="api"), 3)

    def test_a_hung_runtime_never_stalls_a_scrape(self):
        """A runtime socket that accepts and never answers: the container is
        counted, unnamed, and scrapes stay fast."""
        import socket
        sock_path = os.path.join(self.tmp, "hung.sock")
        hung = socket.socket(socket.AF_UNIX)
        hung.bind(sock_path)
        hung.listen(16)
        self.addCleanup(hung.close)
        cid = container_id()
        cg = self.node.mkcgroup(V2, "system.slice/docker-%s.scope" % cid)
        with Apiscope("--config", self.config(runtime_socket=sock_path), "--target.port", str(DB),
                      port=METRICS) as scope, Server(inside(cg, http_server("hung-app", DB)), DB):
            for i in range(3):
                self.assertEqual(curl("http://127.0.0.1:%d/" % DB), 200)
            s = wait_for_count(scope, DUR, 3, service_name="hung-app")
            took = []
            for _ in range(20):  # over 4 s: past any retry a runtime would get within seconds
                start = time.monotonic()
                s = scope.scrape()
                took.append(time.monotonic() - start)
                time.sleep(0.2)
        # one scrape may wait for the runtime's 1 s; the others do not ask it again
        took.sort()
        self.assertLess(took[-1], 2.0, took)
        self.assertLess(took[-2], 0.5, took)
        self.assertEqual(value(s, DUR, service_name="hung-app"), 3)
        self.assertFalse([l for n, l, _ in s if n == DUR and "container_name" in l])
        self.assertEqual(value(s, "apiscope_kubernetes_cgroups", kind="container_unnamed"), 1)

    def test_podman_container_named_by_its_api(self):
        sock = os.path.join(self.tmp, "podman.sock")
        service = subprocess.Popen(["podman", "system", "service", "--time=0", "unix://" + sock],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(service.wait)
        self.addCleanup(service.kill)
        name = "apiscope-k8s-test-%d" % os.getpid()
        self.addCleanup(subprocess.run, ["podman", "rm", "-f", "-t", "0", name], capture_output=True)
        # the host's own files as the container's (an overlay on them): no image to build
        run = subprocess.run(["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", "run", "-d", "--name", name,
                              "--network", "host", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                              "-w", APPS, "--rootfs", "/:O"] + http_server("in-podman", PODMAN),
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        deadline = time.monotonic() + 30
        while not os.path.exists(sock) or curl("http://127.0.0.1:%d/" % PODMAN) != 200:
            self.assertLess(time.monotonic(), deadline, "podman's API or the container did not come up")
            time.sleep(0.2)
        with Apiscope("--config", self.config(runtime_socket=sock), "--target.port", str(PODMAN),
                      port=METRICS) as scope:
            for i in range(5):
                self.assertEqual(curl("http://127.0.0.1:%d/x/%d" % (PODMAN, i)), 200)
            s = wait_for_count(scope, DUR, 5, service_name="in-podman")
        self.assertEqual(value(s, DUR, service_name="in-podman", container_name=name), 5)
        self.assertEqual(value(s, "apiscope_kubernetes_cgroups", kind="container"), 1)
        self.assertFalse([l for n, l, _ in s if n == DUR and "k8s_pod_name" in l])


if __name__ == "__main__":
    main()
