#!/usr/bin/env python3
"""What apiscope costs in user space: /metrics latency and exporter CPU per
scrape as the number of series grows, the exporter's RSS idle, under load and
after each fill, and its CPU while requests flow and nobody scrapes (the
metric path must not wake user space per request).

One endpoint series (service, method, route, status) gives about 45
Prometheus series (three histograms' buckets, sums and counts): 2, 20, 200
and 2000 endpoints make about 100, 1k, 10k and 100k Prometheus series.

usage: bench/scrape_cost.py [--series 2,20,200,2000,10000] [--scrapes 20] [--smoke]
"""
import argparse
import time

from benchlib import (Nginx, apiscope_agent, fill_routes, med, metric, process_tree_cpu, require_root, scrape,
                      wrk)


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", default="2,20,200,2000,10000", help="endpoint series to fill, ascending")
    ap.add_argument("--scrapes", type=int, default=20, help="scrapes timed at each size")
    ap.add_argument("--smoke", action="store_true", help="small sizes, to check the script")
    args = ap.parse_args()
    require_root()
    sizes = [2, 20] if args.smoke else [int(x) for x in args.series.split(",")]
    scrapes = 3 if args.smoke else args.scrapes
    load_seconds = 1 if args.smoke else 5

    with Nginx() as nginx:
        # Only nginx is targeted, so the filling client's own calls add no series.
        with apiscope_agent("--target.comm", "nginx", "--routes.max-per-service", str(sizes[-1] + 10)) as a:
            pid = a.proc.pid
            time.sleep(1)
            idle = rss_mib(pid)
            c0 = process_tree_cpu(pid)
            rps, _, _ = wrk("http://127.0.0.1:%d/ok" % nginx.port, load_seconds)
            c1 = process_tree_cpu(pid)
            loaded = rss_mib(pid)
            print("exporter RSS idle %.1f MiB, after %d s of wrk %.1f MiB" % (idle, load_seconds, loaded))
            print("exporter CPU while %.0f requests/s flowed, no scrape: %.2f ms/s (%.1f ns per request)\n" % (
                rps, (c1 - c0) * 1000 / load_seconds, (c1 - c0) * 1e9 / (rps * load_seconds)))

            print("| endpoint series | Prometheus series | /metrics bytes | scrape p50 ms | scrape max ms "
                  "| exporter CPU ms/scrape | RSS MiB | gzip bytes | gzip scrape p50 ms |")
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
            done = 0
            for n in sizes:  # wrk's /ok is one endpoint already
                fill_routes(nginx.port, done, n - 1)
                done = n - 1
                text = scrape(a.metrics_port)
                keys = metric(text, "apiscope_bpf_map_entries", map="metrics")
                samples = sum(1 for l in text.splitlines() if l and not l.startswith("#"))
                times = []
                c0 = process_tree_cpu(pid)
                for _ in range(scrapes):
                    t = time.perf_counter()
                    body = scrape(a.metrics_port)
                    times.append((time.perf_counter() - t) * 1000)
                c1 = process_tree_cpu(pid)
                gz_times = []
                for _ in range(scrapes):  # as Prometheus asks, compressed
                    t = time.perf_counter()
                    gz = scrape(a.metrics_port, gzip=True)
                    gz_times.append((time.perf_counter() - t) * 1000)
                print("| %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %d | %.1f |" % (
                    keys, samples, len(body), med(times), max(times), (c1 - c0) * 1000 / scrapes, rss_mib(pid),
                    len(gz), med(gz_times)))


if __name__ == "__main__":
    main()
