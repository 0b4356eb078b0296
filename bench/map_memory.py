#!/usr/bin/env python3
"""Kernel memory of apiscope's BPF maps with shared atomic values and with
per-CPU values, as the kernel accounts it (bytes_memlock, memory in use),
after filling a known number of series; and what a series costs on this
machine and would cost on a 128-CPU host.

usage: bench/map_memory.py [--series 2000]
"""
import argparse
import json
import os
import subprocess
import tempfile

from benchlib import Nginx, apiscope_agent, fill_routes, metric, require_root, scrape

VALUE_SIZE = 608  # sizeof(struct as_metric_val): the part stored once per CPU


def maps_of(pid):
    """The BPF maps a process holds, from its fds (bpftool 7.1 has no pids)."""
    ids = set()
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                ids.update(int(l.split()[1]) for l in f if l.startswith("map_id:"))
        except OSError:
            pass
    return [json.loads(subprocess.run(["bpftool", "-j", "map", "show", "id", str(i)], capture_output=True,
                                      text=True, check=True).stdout) for i in sorted(ids)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=2000, help="distinct routes requested")
    args = ap.parse_args()
    require_root()
    ncpu = os.cpu_count()
    percpu = tempfile.NamedTemporaryFile("w", suffix=".yaml")
    percpu.write("maps:\n  percpu_values: true\n")
    percpu.flush()
    print("| values | series in use | metrics map in use | per series (%d CPUs) | per series, 128 CPUs | all maps |" % ncpu)
    print("| --- | --- | --- | --- | --- | --- |")
    with Nginx() as nginx:
        for title, flags in (("shared, atomic adds", []), ("per-CPU", ["--config", percpu.name])):
            with apiscope_agent("--routes.max-per-service", str(args.series + 10), *flags) as a:
                fill_routes(nginx.port, 0, args.series)
                series = metric(scrape(a.metrics_port), "apiscope_bpf_map_entries", map="metrics")
                maps = maps_of(a.proc.pid)
            m = next(x for x in maps if x["name"] == ("metrics_percpu" if flags else "metrics"))
            per = m["bytes_memlock"] / series
            copies = ncpu if flags else 1
            per128 = per + VALUE_SIZE * ((128 if flags else 1) - copies)
            total = sum(x["bytes_memlock"] for x in maps)
            print("| %s | %d | %.2f MiB | %.0f B | %.0f B | %.1f MiB |" % (
                title, series, m["bytes_memlock"] / 2**20, per, per128, total / 2**20))


if __name__ == "__main__":
    main()
