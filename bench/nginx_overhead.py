#!/usr/bin/env python3
"""nginx under wrk with no agent, with the empty-program floor, with "floor
read" (for nginx's reads and writes the least a design that reads message
heads does: bench/floor.bpf.c), with "floor count" (that and the least an
exact count by route and status adds), with apiscope (shared atomic values, per-CPU
values, server side only, header capture with labels and the access log) and
with what a user would deploy instead (an nginx reverse proxy in front, mtail
reading nginx's access log), rounds interleaved. Prints throughput, p50/p99, BPF ns per request, the
agent's whole CPU per request (its processes plus its BPF programs), each
against the no-agent run of the same round set, and nginx's own CPU per
request (the programs that run in its syscalls included). "BPF / nginx CPU"
is the BPF time over the no-agent run's nginx CPU: on a CPU-bound server,
about the throughput the programs cost, and far steadier than req/s on a
noisy machine.

usage: bench/nginx_overhead.py [--rounds 5] [--seconds 5] [--only keepalive|close|static|https]
                               [--agents NAME,NAME] [--smoke]
"""
import argparse
import subprocess

from benchlib import (add_agent_args, apiscope_agent, baseline_variant, bpf_prog_stats, chosen_agents, config_file,
                      floor_agent, floor_agents, HEADERS_LOG_CONFIG, med, mtail_agent, Nginx, no_agent,
                      process_tree_cpu, proxy_agent, require_root, spread, wrk)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--only", choices=("keepalive", "close", "static", "https"), help="run one scenario")
    add_agent_args(ap)
    ap.add_argument("--smoke", action="store_true", help="one short round of each, to check the script")
    args = ap.parse_args()
    require_root()
    if args.smoke:
        args.rounds, args.seconds = 1, 1

    percpu = config_file("maps:\n  percpu_values: true\n")
    headers = config_file(HEADERS_LOG_CONFIG)
    agents = [
        ("none", no_agent),
        *floor_agents(None, "enter", "raw", "tls"),
        ("floor read", lambda: floor_agent("read", *map(str, nginx.pids()))),
        ("floor count", lambda: floor_agent("count", *map(str, nginx.pids()))),
        ("apiscope", lambda: apiscope_agent()),
        ("apiscope percpu", lambda: apiscope_agent("--config", percpu.name)),
        ("apiscope server only", lambda: apiscope_agent("--target.comm", "nginx")),
        # per-process uprobes: wrk's OpenSSL calls do not trap
        ("apiscope server only by pid",
         lambda: apiscope_agent(*[f for p in nginx.pids() for f in ("--target.pid", str(p))])),
        ("apiscope headers+log", lambda: apiscope_agent("--config", headers.name)),
        ("apiscope genai off", lambda: apiscope_agent("--genai.enabled", "false")),
        # throughput without the kernel's run-time accounting (its BPF ns read 0)
        ("apiscope no bpf stats", lambda: apiscope_agent("--bpf-stats", "false")),
        ("nginx proxy", lambda: proxy_agent(nginx)),
        ("mtail", lambda: mtail_agent(nginx)),
    ]
    # they do not see inside TLS (the read floor would copy ciphertext): not run on HTTPS
    plain_only = {"nginx proxy", "mtail", "floor read", "floor count"}
    tls_only = {"floor tls"}
    baseline_variant(agents, args, "headers+log", "--config", headers.name)
    agents = chosen_agents(agents, args)
    scenarios = [("keepalive", "return 200, keep-alive", "/ok", False),
                 ("close", "return 200, new connection", "/ok", True),
                 ("static", "static 4 KiB, keep-alive", "/static/4k.bin", False),
                 ("https", "return 200 over HTTPS, keep-alive", "/ok", False)]
    if args.only:
        scenarios = [x for x in scenarios if x[0] == args.only]
    if args.smoke:
        scenarios = scenarios[:1]

    with Nginx() as nginx:
        agents = [(name, make()) for name, make in agents]  # built once nginx's directory exists
        for key, title, path, close in scenarios:
            run = [(n, a) for n, a in agents if n not in (plain_only if key == "https" else tls_only)]
            res = {name: {k: [] for k in ("rps", "p50", "p99", "ns", "runs", "cpu", "app")} for name, _ in run}
            for _ in range(args.rounds):
                for name, agent in run:
                    port = agent.port or nginx.port
                    url = ("https://127.0.0.1:%d%s" % (nginx.tls_port, path) if key == "https"
                           else "http://127.0.0.1:%d%s" % (port, path))
                    with agent:
                        wrk(url, 1, close=close)  # warm up connections and caches
                        ns0, cnt0 = bpf_prog_stats()
                        cpu0, app0 = agent.cpu_seconds(), process_tree_cpu(nginx.proc.pid)
                        rps, p50, p99 = wrk(url, args.seconds, close=close)
                        cpu1, app1 = agent.cpu_seconds(), process_tree_cpu(nginx.proc.pid)
                        ns1, cnt1 = bpf_prog_stats()
                    requests = rps * args.seconds
                    bpf_ns = (ns1 - ns0) / requests if name != "none" else 0
                    r = res[name]
                    r["rps"].append(rps)
                    r["p50"].append(p50)
                    r["p99"].append(p99)
                    r["ns"].append(bpf_ns)
                    r["runs"].append((cnt1 - cnt0) / requests if name != "none" else 0)
                    r["cpu"].append((cpu1 - cpu0) * 1e9 / requests + bpf_ns)
                    r["app"].append((app1 - app0) * 1e9 / requests)
            base = res["none"]
            print("\n## %s (%s, %d rounds x %d s)" % (title, path, args.rounds, args.seconds))
            print("| agent | req/s (median ± spread) | vs none | p50 µs | p99 µs | p99 vs none | BPF ns/request "
                  "| runs/request | agent CPU ns/request | nginx CPU µs/request | BPF / nginx CPU |")
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
            for name, _ in run:
                r = res[name]
                print(("| %s | %.0f ± %.1f%% | %.3f | %.0f | %.0f | %.3f | %.0f | %.1f | %.0f "
                       "| %.2f ± %.1f%% | %.1f%% |") % (
                    name, med(r["rps"]), spread(r["rps"]), med(r["rps"]) / med(base["rps"]),
                    med(r["p50"]), med(r["p99"]), med(r["p99"]) / med(base["p99"]), med(r["ns"]), med(r["runs"]),
                    med(r["cpu"]), med(r["app"]) / 1e3, spread(r["app"]), 100 * med(r["ns"]) / med(base["app"])))


if __name__ == "__main__":
    main()
