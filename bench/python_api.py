#!/usr/bin/env python3
"""A realistic API under wrk: a Python HTTP/1.1 server doing about 100 µs of
work per request (JSON in and out, a little arithmetic), with no agent, with
the empty-program floor and with apiscope, rounds interleaved. Prints
throughput and p50/p99 against the no-agent run of the same round set: the
budget says apiscope costs such an app at most 1 %.

usage: bench/python_api.py [--rounds 7] [--seconds 5] [--work-us 100] [--smoke]
"""
import argparse
import os
import subprocess
import sys
import tempfile

from benchlib import apiscope_agent, floor_agent, med, no_agent, require_root, spread, wait_port, wrk
from json_reply import BENCH_DIR

SERVER = r'''
import http.server, sys, time

from json_reply import JsonHandler

WORK_S = float(sys.argv[2]) / 1e6


class Api(JsonHandler):
    def do_GET(self):
        # busy work standing in for the app's own: ~WORK_S of CPU
        end = time.perf_counter() + WORK_S
        n = 0
        while time.perf_counter() < end:
            n += 1
        self.send_json({"path": self.path, "items": list(range(8)), "n": n})


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # wrk closing its connections at the end of a round


Server(("127.0.0.1", int(sys.argv[1])), Api).serve_forever()
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--work-us", type=float, default=100, help="CPU work per request in the app")
    ap.add_argument("--port", type=int, default=18120)
    ap.add_argument("--smoke", action="store_true", help="one short round, to check the script")
    args = ap.parse_args()
    require_root()
    if args.smoke:
        args.rounds, args.seconds = 1, 1
    with tempfile.NamedTemporaryFile("w", suffix=".py") as src:
        src.write(SERVER)
        src.flush()
        # the app on CPU 0, wrk on CPU 1, as nginx in nginx_overhead.py
        app = subprocess.Popen(["taskset", "-c", "0", sys.executable, src.name, str(args.port), str(args.work_us)],
                               env=dict(os.environ, PYTHONPATH=BENCH_DIR))
        try:
            wait_port(args.port)
            agents = [("none", no_agent()), ("floor", floor_agent()), ("apiscope", apiscope_agent())]
            url = "http://127.0.0.1:%d/api/items/42" % args.port
            res = {name: {"rps": [], "p50": [], "p99": []} for name, _ in agents}
            for _ in range(args.rounds):
                for name, agent in agents:
                    with agent:
                        wrk(url, 1)
                        rps, p50, p99 = wrk(url, args.seconds)
                    for k, v in (("rps", rps), ("p50", p50), ("p99", p99)):
                        res[name][k].append(v)
        finally:
            app.terminate()
            app.wait()
    base = res["none"]
    print("\n## Python API, ~%.0f µs of work per request (%d rounds x %d s)" % (args.work_us, args.rounds, args.seconds))
    print("| agent | req/s (median ± spread) | vs none | p50 µs | p99 µs | p99 vs none |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, _ in agents:
        r = res[name]
        print("| %s | %.0f ± %.1f%% | %.3f | %.0f | %.0f | %.3f |" % (
            name, med(r["rps"]), spread(r["rps"]), med(r["rps"]) / med(base["rps"]),
            med(r["p50"]), med(r["p99"]), med(r["p99"]) / med(base["p99"])))


if __name__ == "__main__":
    main()
