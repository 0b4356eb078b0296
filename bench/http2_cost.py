#!/usr/bin/env python3
"""apiscope's cost per HTTP/2 request against its cost per HTTP/1.1
keep-alive request, on the same nginx, rounds interleaved (within a round,
each agent's rows one after the other): wrk for HTTP/1.1,
h2load for HTTP/2 (one stream at a time per connection, and ten), cleartext
and TLS, 16 connections each. The cost is the BPF time plus the exporter's
CPU time (HPACK decoding and the HTTP/2 series are in user space), per
request; each HTTP/2 row is also given as a ratio to the HTTP/1.1 row of the
same transport, as the ratio of the medians and as the median (quartiles) of
the ratios within each round. Records the ring lost are printed (they would make HTTP/2
look cheaper than it is). Beside apiscope, the same floors as the HTTP/1 lines
(bench/floor.c): empty programs on apiscope's hooks ("floor"), the least a
design reading the messages does ("floor read", cleartext only: it would read
ciphertext), and with TLS empty uprobes on OpenSSL too ("floor tls"). nginx
writes an HTTP/2 response in two calls, so even these cost more a request.

usage: bench/http2_cost.py [--rounds 5] [--seconds 5] [--smoke]
"""
import argparse

from benchlib import (apiscope_agent, bpf_prog_stats, floor_agent, h2load, med, metric, Nginx, no_agent,
                      paired_ratio, process_tree_cpu, require_root, round_args, scrape, spread, wrk)


def measure(r, name, agent, load, nginx, seconds):
    """One load's rates and apiscope's costs per request, into r."""
    load(1)  # warm up connections and caches
    ns0, _ = bpf_prog_stats()
    cpu0, app0 = agent.cpu_seconds(), process_tree_cpu(nginx.proc.pid)
    rps, lat = load(seconds)
    cpu1, app1 = agent.cpu_seconds(), process_tree_cpu(nginx.proc.pid)
    ns1, _ = bpf_prog_stats()
    if name == "apiscope":  # a scrape drains what is still in the ring: then count the exporter
        text = scrape(agent.metrics_port)
        cpu1 = agent.cpu_seconds()
    requests = rps * seconds
    r["rps"].append(rps)
    r["lat"].append(lat)
    r["bpf"].append((ns1 - ns0) / requests if agent.cmd else 0)
    r["cpu"].append((cpu1 - cpu0) * 1e9 / requests if name == "apiscope" else 0)
    r["app"].append((app1 - app0) * 1e9 / requests)
    r["lost"].append(metric(text, "apiscope_events_dropped_total", reason="h2_records_lost")
                     if name == "apiscope" else 0)


def main():
    args = round_args(argparse.ArgumentParser())
    require_root()
    with Nginx() as nginx:
        # server side only: wrk and h2load link OpenSSL too, and their sides are not the same work
        agents = [("none", no_agent()), ("floor", floor_agent()),
                  ("floor read", floor_agent("read", *map(str, nginx.pids()))), ("floor tls", floor_agent("tls")),
                  ("apiscope", apiscope_agent("--target.comm", "nginx"))]
        runs = {"cleartext": {"none", "floor", "floor read", "apiscope"}, "TLS": {"none", "floor tls", "apiscope"}}
        scenarios = [
            ("cleartext", "HTTP/1.1", lambda s: wrk("http://127.0.0.1:%d/ok" % nginx.port, s)[:2]),
            ("cleartext", "HTTP/2, 1 stream", lambda s: h2load("http://127.0.0.1:%d/ok" % nginx.h2c_port, s)),
            ("cleartext", "HTTP/2, 10 streams", lambda s: h2load("http://127.0.0.1:%d/ok" % nginx.h2c_port, s,
                                                                  streams=10)),
            ("TLS", "HTTP/1.1", lambda s: wrk("https://127.0.0.1:%d/ok" % nginx.tls_port, s)[:2]),
            ("TLS", "HTTP/2, 1 stream", lambda s: h2load("https://127.0.0.1:%d/ok" % nginx.h2_port, s)),
            ("TLS", "HTTP/2, 10 streams", lambda s: h2load("https://127.0.0.1:%d/ok" % nginx.h2_port, s,
                                                            streams=10)),
        ]
        if args.smoke:
            scenarios = scenarios[:2]
        res = {(t, p, a): {k: [] for k in ("rps", "lat", "bpf", "cpu", "app", "lost")}
               for t, p, _ in scenarios for a, _ in agents}
        # each agent measures its HTTP/1.1 and HTTP/2 rows one after the other, in one process:
        # the ratio's two sides are as close in time as they can be
        for _ in range(args.rounds):
            for transport in dict.fromkeys(t for t, _, _ in scenarios):
                for name, agent in agents:
                    if name not in runs[transport]:
                        continue
                    with agent:
                        for t, proto, load in scenarios:
                            if t == transport:
                                measure(res[(transport, proto, name)], name, agent, load, nginx, args.seconds)
        print("\n## apiscope's cost per request, HTTP/2 against HTTP/1.1 (nginx `return 200`, %d rounds x %d s)"
              % (args.rounds, args.seconds))
        print("| transport | protocol | req/s none | req/s apiscope | vs none | mean latency µs vs none "
              "| BPF ns/request | exporter CPU ns/request | apiscope ns/request | vs HTTP/1.1 | round by round | ring records lost |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for transport, proto, _ in scenarios:
            base, a = res[(transport, proto, "none")], res[(transport, proto, "apiscope")]
            h1 = res[(transport, "HTTP/1.1", "apiscope")]
            costs = [b + c for b, c in zip(a["bpf"], a["cpu"])]
            h1_costs = [b + c for b, c in zip(h1["bpf"], h1["cpu"])]
            cost, h1_cost = med(costs), med(h1_costs)
            print("| %s | %s | %.0f | %.0f ± %.1f%% | %.3f | %.3f | %.0f | %.0f | %.0f | %.2f | %s | %d |" % (
                transport, proto, med(base["rps"]), med(a["rps"]), spread(a["rps"]), med(a["rps"]) / med(base["rps"]),
                med(a["lat"]) / med(base["lat"]), med(a["bpf"]), med(a["cpu"]), cost, cost / h1_cost,
                paired_ratio(costs, h1_costs), max(a["lost"])))
        print("\n## The floors' cost per request, HTTP/2 against HTTP/1.1 (BPF ns/request, and the ratio)")
        print("| transport | protocol | floor | vs HTTP/1.1 | floor read or floor tls | vs HTTP/1.1 | apiscope (BPF) | vs HTTP/1.1 |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for transport, proto, _ in scenarios:
            row = [transport, proto]
            for name in ("floor", "floor read" if transport == "cleartext" else "floor tls", "apiscope"):
                if name not in runs[transport]:
                    row += ["", ""]
                    continue
                ns = med(res[(transport, proto, name)]["bpf"])
                h1 = med(res[(transport, "HTTP/1.1", name)]["bpf"])
                row += ["%.0f" % ns, "%.2f" % (ns / h1) if h1 else ""]
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
