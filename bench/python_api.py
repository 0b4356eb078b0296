#!/usr/bin/env python3
"""A realistic API under wrk: a Python HTTP/1.1 server doing about 100 µs of
CPU work per request (a JSON reply, a calibrated loop of arithmetic) on an
asyncio event loop, keep-alive, with no agent, with the empty-program floor,
with "floor read" (for the app's reads and writes only what any design that
reads message heads must do: the arguments, a connection lookup, a clock read,
one copy of the first bytes), with "floor count" (that and the least an exact
count by route and status adds) and with apiscope, rounds interleaved. Prints
throughput and p50/p99 against the no-agent run of the same round set, and
the app's CPU time per request (its own cgroup's accounting, every thread): the
budget says apiscope costs such an app at most 1 %. "server only" traces the
app and not wrk; its BPF time against the app's CPU is the share the kernel's
own accounting charges the app, steadier than any wall-clock ratio here.
Each request names another item (bench/wrk_ids.lua), as real clients do, so
the kernel normalises every request's target; --fixed-target sends one URL.

usage: bench/python_api.py [--rounds 7] [--seconds 5] [--work-us 100] [--fixed-target]
                          [--agents NAME,NAME] [--baseline BINARY] [--smoke]
"""
import argparse
import subprocess
import sys
import tempfile

from benchlib import (add_agent_args, apiscope_agent, baseline_variant, bpf_prog_stats, chosen_agents, CpuCgroup,
                      floor_agent, med, no_agent, require_root, spread, wait_port, wrk)

SERVER = r'''
import asyncio, json, sys, time


def work(loops):
    x = 0
    for i in range(loops):
        x += i * i % 7
    return x


def calibrate(us):
    """Loops of work() that take about `us` µs of CPU here, measured once at start."""
    loops = 1000
    while True:
        t = time.process_time()
        work(loops)
        took = time.process_time() - t
        if took > 0.05:
            return max(1, int(loops * us / 1e6 / took))
        loops *= 2


LOOPS = calibrate(float(sys.argv[2]))


# One thread and an event loop, as uvicorn and the other asyncio servers: a
# read per request, a write per response. (http.server's thread per
# connection would add the GIL's hand-offs, which turn any change in a
# syscall's duration into convoys of 5 ms waits.)
async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            body = json.dumps({"path": path, "items": list(range(8)), "n": work(LOOPS)}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body), body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # wrk closing its connections at the end of a round
    writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()


asyncio.run(main())
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--work-us", type=float, default=100, help="CPU work per request in the app")
    ap.add_argument("--port", type=int, default=18120)
    ap.add_argument("--fixed-target", action="store_true",
                    help="every request to /api/items/42 (by default each names another item, as real clients do)")
    ap.add_argument("--smoke", action="store_true", help="one short round, to check the script")
    add_agent_args(ap)
    args = ap.parse_args()
    require_root()
    if args.smoke:
        args.rounds, args.seconds = 1, 1
    with tempfile.NamedTemporaryFile("w", suffix=".py") as src:
        src.write(SERVER)
        src.flush()
        # the app on CPU 0, wrk on CPU 1, as nginx in nginx_overhead.py
        app = subprocess.Popen(["taskset", "-c", "0", sys.executable, src.name, str(args.port), str(args.work_us)])
        cpu = None
        try:
            cpu = CpuCgroup(app.pid)
            wait_port(args.port)
            agents = [("none", no_agent), ("floor", floor_agent),
                      ("floor read", lambda: floor_agent("read", str(app.pid))),
                      ("floor count", lambda: floor_agent("count", str(app.pid))), ("apiscope", apiscope_agent),
                      ("apiscope server only", lambda: apiscope_agent("--target.comm", "python3")),
                      ("apiscope genai off", lambda: apiscope_agent("--genai.enabled", "false"))]
            baseline_variant(agents, args, "server only", "--target.comm", "python3")
            agents = [(name, make()) for name, make in chosen_agents(agents, args)]
            url = "http://127.0.0.1:%d/api/items/42" % args.port
            script = None if args.fixed_target else "wrk_ids.lua"
            res = {name: {"rps": [], "p50": [], "p99": [], "cpu": [], "bpf": []} for name, _ in agents}
            for _ in range(args.rounds):
                for name, agent in agents:
                    with agent:
                        wrk(url, 1, script=script)
                        cpu0, (ns0, _) = cpu.seconds(), bpf_prog_stats()
                        rps, p50, p99 = wrk(url, args.seconds, script=script)
                        cpu1, (ns1, _) = cpu.seconds(), bpf_prog_stats()
                    requests = rps * args.seconds
                    for k, v in (("rps", rps), ("p50", p50), ("p99", p99), ("cpu", (cpu1 - cpu0) / requests * 1e9),
                                 ("bpf", (ns1 - ns0) / requests)):
                        res[name][k].append(v)
        finally:
            app.terminate()
            app.wait()
            if cpu:
                cpu.close()
    base = res["none"]
    print("\n## Python API, ~%.0f µs of work per request, %s (%d rounds x %d s)"
          % (args.work_us, "one target" if args.fixed_target else "a new item id each request",
             args.rounds, args.seconds))
    print("| agent | req/s (median ± spread) | vs none | p50 µs | p99 µs | p99 vs none "
          "| app CPU µs/request (median ± spread) | vs none | BPF ns/request | BPF / app CPU |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, _ in agents:
        r = res[name]
        print("| %s | %.0f ± %.1f%% | %.3f | %.0f | %.0f | %.3f | %.1f ± %.1f%% | %.3f | %.0f | %.1f%% |" % (
            name, med(r["rps"]), spread(r["rps"]), med(r["rps"]) / med(base["rps"]),
            med(r["p50"]), med(r["p99"]), med(r["p99"]) / med(base["p99"]),
            med(r["cpu"]) / 1e3, spread(r["cpu"]), med(r["cpu"]) / med(base["cpu"]), med(r["bpf"]),
            100 * med(r["bpf"]) / med(r["cpu"])))


if __name__ == "__main__":
    main()
