#!/usr/bin/env python3
"""The exporter with the pods of a busy node: N pods laid out as the kubelet
does (systemd cgroup driver, a log link per container), each with a client
in its cgroup calling nginx on a route of its own, so that each pod has its
own client series either way. The same traffic with --kubernetes.enabled=false
beside it: the difference is what the pods' labels cost. Prints apiscope's
resident memory after the pods' requests, the series and the scrape time,
both runs side by side, and the difference per pod.

usage: bench/k8s_pods.py [--pods 250] [--requests 4]
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time
import uuid

from benchlib import Nginx, apiscope_agent, config_file, metric, require_root, rss_kib, scrape

V2 = "/sys/fs/cgroup/unified" if os.path.exists("/sys/fs/cgroup/unified/cgroup.procs") else "/sys/fs/cgroup"
SLICE = os.path.join(V2, "apiscope-bench.slice")  # kubepods.slice lives under it: nothing of the host's touched


def make_pods(n, logs):
    """n pods' container cgroups, their links in logs; returns the cgroup paths."""
    out = []
    for i in range(n):
        uid, cid = str(uuid.uuid4()), uuid.uuid4().hex + uuid.uuid4().hex
        pod = "kubepods-burstable-pod%s.slice" % uid.replace("-", "_")
        cg = os.path.join(SLICE, "kubepods.slice", "kubepods-burstable.slice", pod, "cri-containerd-%s.scope" % cid)
        os.makedirs(cg)
        os.symlink("/dev/null", os.path.join(logs, "app%03d-7d4f8b9c6d-x2x9z_ns%02d_app-%s.log" % (i, i % 10, cid)))
        out.append(cg)
    return out


def remove_pods():
    for d, _, _ in sorted(os.walk(SLICE), key=lambda w: len(w[0]), reverse=True):
        os.rmdir(d)


def run(enabled, pods, url, requests, logs):
    with config_file("kubernetes: {enabled: %s, containers_dir: %s}\n" % ("true" if enabled else "false", logs)) as c, \
            apiscope_agent("--config", c.name, "--target.comm", "nginx", "--target.comm", "curl",
                           "--tls.enabled", "false") as scope:
        time.sleep(1)
        before = rss_kib(scope.proc.pid)
        for i, cg in enumerate(pods):
            route = url + "/r/" + "".join(chr(ord("a") + (i // 26 ** k) % 26) for k in range(3))  # no {id}
            script = 'echo $$ > "$0/cgroup.procs" && exec curl -s %s' % " ".join(["-o /dev/null " + route] * requests)
            subprocess.run(["bash", "-c", script, cg], check=True, timeout=30)
        time.sleep(0.5)
        scrape(scope.metrics_port)  # names every cgroup once
        times = []
        for _ in range(7):
            start = time.monotonic()
            text = scrape(scope.metrics_port)
            times.append(time.monotonic() - start)
        took = sorted(times)[len(times) // 2]
        after = rss_kib(scope.proc.pid)
        counted = metric(text, "http_server_request_duration_seconds_count", service_name="nginx")
        named = len({line.split("k8s_pod_name=\"")[1].split("\"")[0] for line in text.splitlines()
                     if line.startswith("http_client_request_duration_seconds_count") and "k8s_pod_name" in line})
        return before, after, took, counted, named, metric(text, "apiscope_http_series")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=250)
    ap.add_argument("--requests", type=int, default=4, help="requests each pod's client makes")
    args = ap.parse_args()
    require_root()
    logs = tempfile.mkdtemp(prefix="apiscope-bench-logs-")
    try:
        pods = make_pods(args.pods, logs)
        with Nginx() as nginx:
            url = "http://127.0.0.1:%d" % nginx.port
            rows = [("off", run(False, pods, url, args.requests, logs)), ("on", run(True, pods, url, args.requests, logs))]
    finally:
        remove_pods()
        shutil.rmtree(logs, ignore_errors=True)
    print("%d pods, %d requests each (from a client in the pod's cgroup)" % (args.pods, args.requests))
    print("| kubernetes | RSS at start KiB | RSS after KiB | scrape ms (median of 7) | nginx requests counted | pods named | series |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, (before, after, took, counted, named, series) in rows:
        print("| %s | %d | %d | %.1f | %d | %d | %d |" % (name, before, after, took * 1000, counted, named, series))
    off, on = rows[0][1], rows[1][1]
    print("labels cost %.1f KiB of RSS per pod; the scrape takes %.2fx as long" % (
        (on[1] - off[1]) / args.pods, on[2] / off[2] if off[2] else 0))


if __name__ == "__main__":
    main()
