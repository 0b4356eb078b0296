#!/usr/bin/env python3
"""BPF time per HTTP request, both sides traced, on a load with no noise of
its own: bench_http_pingpong's client and server in one thread exchange
nginx-shaped keep-alive requests and responses over loopback. Rounds
interleave no agent, the empty-program floor, apiscope and (--baseline)
another apiscope build; prints the wall time per request and the BPF time
per request from the kernel's per-program statistics, against the floor;
with --baseline, each agent against the same agent of the other build, round
by round; and apiscope against itself with one feature off (GenAI, TLS,
HTTP/2, Kubernetes labels), round by round: what that feature costs.

With --close every request has a connection of its own (at most 10000 a
round: closed connections wait in TIME_WAIT and use up loopback ports).

usage: bench/bpf_cost.py [--rounds 5] [--requests 100000] [--close] [--agents NAME,NAME]
                         [--baseline BINARY] [--smoke]
"""
import argparse
import os
import subprocess

from benchlib import (add_agent_args, apiscope_agent, baseline_variant, bpf_prog_stats, build_dir, chosen_agents,
                      config_file, floor_agents, HEADERS_LOG_CONFIG, med, no_agent, paired_ratio, require_root, spread)


def pingpong(requests, close):
    cmd = ["taskset", "-c", "1", os.path.join(build_dir(), "bench", "bench_http_pingpong"), str(requests)]
    out = subprocess.run(cmd + (["close"] if close else []), capture_output=True, text=True,
                         check=True).stdout.split()
    if int(out[1]) != requests:
        raise SystemExit("bench_http_pingpong ran %s requests, not %d" % (out[1], requests))
    return float(out[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--close", action="store_true", help="a new connection per request")
    add_agent_args(ap)
    ap.add_argument("--smoke", action="store_true", help="one short round, to check the script")
    args = ap.parse_args()
    require_root()
    if args.smoke:
        args.rounds, args.requests = 1, 2000
    if args.close:
        args.requests = min(args.requests, 10000)

    headers = config_file(HEADERS_LOG_CONFIG)
    agents = [("none", no_agent), *floor_agents(None, "enter", "raw"),
              ("apiscope", apiscope_agent),
              ("apiscope headers+log", lambda: apiscope_agent("--config", headers.name)),
              ("apiscope genai off", lambda: apiscope_agent("--genai.enabled", "false")),
              ("apiscope tls off", lambda: apiscope_agent("--tls.enabled", "false")),
              ("apiscope http2 off", lambda: apiscope_agent("--http2.enabled", "false")),
              ("apiscope kubernetes off", lambda: apiscope_agent("--kubernetes.enabled", "false")),
              ("apiscope no bpf stats", lambda: apiscope_agent("--bpf-stats", "false"))]
    baseline_variant(agents, args, "headers+log", "--config", headers.name)
    agents = chosen_agents(agents, args)
    res = {name: {"wall": [], "ns": [], "runs": []} for name, _ in agents}
    for i in range(args.rounds):
        for name, make in agents if i % 2 == 0 else agents[::-1]:  # neither side always first
            with make():
                pingpong(min(2000, args.requests), args.close)  # warm up
                ns0, cnt0 = bpf_prog_stats()
                wall = pingpong(args.requests, args.close)
                ns1, cnt1 = bpf_prog_stats()
            r = res[name]
            r["wall"].append(wall)
            r["ns"].append((ns1 - ns0) / args.requests)
            r["runs"].append((cnt1 - cnt0) / args.requests)
    base, floor = res["none"], res.get("floor")
    print("\n## BPF cost per request: bench_http_pingpong%s, both sides traced (%d rounds x %d requests)"
          % (" close" if args.close else "", args.rounds, args.requests))
    print("| agent | wall ns/request (median ± spread) | vs none | BPF ns/request (median ± spread) "
          "| vs floor | runs/request |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, _ in agents:
        r = res[name]
        # "-": no floor in the run, or the kernel's accounting off for this agent
        vs_floor = ("%.2f" % (med(r["ns"]) / med(floor["ns"]))) if floor and med(floor["ns"]) and med(r["ns"]) else "-"
        print("| %s | %.0f ± %.1f%% | %.3f | %.0f ± %.1f%% | %s | %.1f |" % (
            name, med(r["wall"]), spread(r["wall"]), med(r["wall"]) / med(base["wall"]), med(r["ns"]),
            spread(r["ns"]), vs_floor, med(r["runs"])))
    # with --baseline: each agent against the same agent of the other build
    pairs = [(n, n.replace("apiscope", "apiscope baseline", 1)) for n, _ in agents
             if n.startswith("apiscope") and not n.startswith("apiscope baseline")]
    pairs = [(a, b) for a, b in pairs if b in res]
    # what a feature costs: apiscope against itself with the feature off, round by round
    offs = [n for n, _ in agents if n.startswith("apiscope ") and n.endswith(" off")]
    if "apiscope" in res and offs:
        print("\n| feature | apiscope's BPF ns against the feature off (median of per-round ratios, quartiles) |")
        print("| --- | --- |")
        for n in offs:
            print("| %s | %s |" % (n[len("apiscope "):-len(" off")], paired_ratio(res["apiscope"]["ns"], res[n]["ns"])))
    if pairs:
        print("\n| agent | BPF ns vs the baseline build (median of per-round ratios, quartiles) | wall ns, the same |")
        print("| --- | --- | --- |")
        for a, b in pairs:
            print("| %s | %s | %s |" % (a, paired_ratio(res[a]["ns"], res[b]["ns"]),
                                        paired_ratio(res[a]["wall"], res[b]["wall"])))


if __name__ == "__main__":
    main()
