#!/usr/bin/env python3
"""A process apiscope does not target (pipe ping-pong and a loopback TCP echo
of 8-byte messages) with no agent, the empty-program floor, and apiscope
targeting only nginx. Every syscall of the workload still runs apiscope's
programs; they must leave before any map work. "floor pid" is the least such
a filter can do: learn whose syscall it is, and leave. Rounds interleaved;
the kernel's statistics give the programs' own time per run.

"apiscope targeting it (binary)" targets the workload itself, whose messages are
PostgreSQL-like ('Q', a length, a query): a database client inside an API
process. They start with an uppercase letter but are not HTTP, and must be
turned away without a connection entry.

usage: bench/non_target.py [--rounds 5] [--iterations 200000] [--agents NAME,NAME] [--baseline BINARY]
                          [--smoke]
"""
import argparse
import os
import subprocess

from benchlib import (add_agent_args, apiscope_agent, baseline_variant, bpf_prog_stats, build_dir, chosen_agents,
                      floor_agents, med, no_agent, require_root, spread)


COMM = "bench_syscall_l"  # bench_syscall_load, as the kernel keeps it (15 characters)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=200000)
    ap.add_argument("--smoke", action="store_true")
    add_agent_args(ap)
    args = ap.parse_args()
    require_root()
    if args.smoke:
        args.rounds, args.iterations = 1, 20000
    load = os.path.join(build_dir(), "bench", "bench_syscall_load")
    agents = [("none", no_agent), *floor_agents(None, "enter", "raw", "pid"),
              ("apiscope targeting nginx", lambda: apiscope_agent("--target.comm", "nginx")),
              ("apiscope targeting it (binary)", lambda: apiscope_agent("--target.comm", COMM))]
    baseline_variant(agents, args, "targeting it (binary)", "--target.comm", COMM)
    agents = chosen_agents(agents, args, "--target.comm", "nginx")
    res = {name: ([], [], []) for name, _ in agents}
    for _ in range(args.rounds):
        for name, make in agents:
            with make():
                ns0, cnt0 = bpf_prog_stats()
                binary = ["pg"] if name.endswith("(binary)") else []
                out = subprocess.run(["taskset", "-c", "0,1", load, str(args.iterations), *binary],
                                     capture_output=True, text=True, check=True).stdout.split()
                ns1, cnt1 = bpf_prog_stats()
            res[name][0].append(float(out[0]))
            res[name][1].append(float(out[1]))
            res[name][2].append((ns1 - ns0) / (cnt1 - cnt0) if cnt1 > cnt0 else 0)
    base_pipe, base_tcp = med(res["none"][0]), med(res["none"][1])
    print("\n## Non-target workload (%d rounds x %d round trips)" % (args.rounds, args.iterations))
    print("| agent | pipe ns/round trip | vs none | TCP echo ns/round trip | vs none | BPF ns/program run |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, _ in agents:
        p, t, run = res[name]
        print("| %s | %.0f ± %.1f%% | %.3f | %.0f ± %.1f%% | %.3f | %.1f ± %.1f%% |" % (
            name, med(p), spread(p), med(p) / base_pipe, med(t), spread(t), med(t) / base_tcp, med(run), spread(run)))


if __name__ == "__main__":
    main()
