#!/usr/bin/env python3
"""A Go HTTPS server (net/http, crypto/tls; test/go/tls_server.go built with
Debian's Go) under wrk (HTTP/1.1 keep-alive over TLS), with no agent, with
empty uprobes at exactly the sites apiscope probes in it (the floor of any
uprobe design: entry and every RET of crypto/tls.(*Conn).Read, Write and
handshakeContext), the same with the empty syscall programs, and with
apiscope following the server only. Rounds interleaved; prints throughput,
latency, BPF ns per request and the agent's CPU, against no agent.

usage: bench/go_tls_cost.py [--rounds 5] [--seconds 5] [--smoke]
"""
import argparse
import os
import subprocess
import tempfile

from benchlib import (apiscope_agent, bpf_prog_stats, build_dir, floor_agent, med, no_agent, require_root,
                      round_args, spread, wait_port, wrk)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORT = 18130


def main():
    args = round_args(argparse.ArgumentParser())
    require_root()
    d = tempfile.mkdtemp(prefix="apiscope-bench-go-")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", d + "/key.pem", "-out", d + "/cert.pem"], check=True, capture_output=True)
    env = dict(os.environ, GOCACHE=d + "/gocache", GOPATH=d + "/gopath", GO111MODULE="off", CGO_ENABLED="0")
    exe = os.path.join(d, "go-bench-srv")
    subprocess.run(["go", "build", "-o", exe, os.path.join(ROOT, "test", "go", "tls_server.go")], env=env, check=True)
    sites = subprocess.run([os.path.join(build_dir(), "test", "go_sites"), "--offsets", exe], capture_output=True,
                           text=True, check=True).stdout.split()
    server = subprocess.Popen(["taskset", "-c", "0", exe, "127.0.0.1:%d" % PORT, d + "/cert.pem", d + "/key.pem"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(PORT)
        agents = [("none", no_agent()), ("floor uprobes", floor_agent("go", exe, *sites, name="floor uprobes")),
                  ("floor uprobes+syscalls", floor_agent("pid", "--go", exe, *sites, name="floor uprobes+syscalls")),
                  ("apiscope", apiscope_agent("--target.pid", str(server.pid)))]
        url = "https://127.0.0.1:%d/items/1" % PORT
        res = {name: {k: [] for k in ("rps", "p50", "p99", "ns", "cpu")} for name, _ in agents}
        for _ in range(args.rounds):
            for name, agent in agents:
                with agent:
                    wrk(url, 1)
                    ns0, _ = bpf_prog_stats()
                    cpu0 = agent.cpu_seconds()
                    rps, p50, p99 = wrk(url, args.seconds)
                    cpu1 = agent.cpu_seconds()
                    ns1, _ = bpf_prog_stats()
                requests = rps * args.seconds
                r = res[name]
                r["rps"].append(rps)
                r["p50"].append(p50)
                r["p99"].append(p99)
                r["ns"].append((ns1 - ns0) / requests if agent.cmd else 0)
                r["cpu"].append((cpu1 - cpu0) * 1e9 / requests + r["ns"][-1])
        base = res["none"]
        print("\n## Go HTTPS server (net/http over crypto/tls, HTTP/1.1 keep-alive, %d rounds x %d s)"
              % (args.rounds, args.seconds))
        print("| agent | req/s | vs none | p50 µs | p99 µs | BPF ns/request | agent CPU ns/request |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for name, _ in agents:
            r = res[name]
            print("| %s | %.0f ± %.1f%% | %.3f | %.0f | %.0f | %.0f | %.0f |" % (
                name, med(r["rps"]), spread(r["rps"]), med(r["rps"]) / med(base["rps"]), med(r["p50"]),
                med(r["p99"]), med(r["ns"]), med(r["cpu"])))
    finally:
        server.kill()
        server.wait()
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
