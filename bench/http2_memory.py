#!/usr/bin/env python3
"""The exporter's memory with many open HTTP/2 connections: nginx serving
h2c, N connections opened by python-h2 (bench/h2_idle_clients.py), each with
one request answered and then held open, apiscope following nginx's side.
Prints apiscope's resident memory before and with the connections, per
connection, and what its self-metrics say it follows.

usage: bench/http2_memory.py [--connections 10000]
"""
import argparse
import os
import subprocess
import time

from benchlib import apiscope_agent, metric, Nginx, require_root, rss_kib, scrape

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=10000)
    args = ap.parse_args()
    require_root()
    with Nginx() as nginx, apiscope_agent("--target.comm", "nginx") as scope:
        time.sleep(1)
        before = rss_kib(scope.proc.pid)
        clients = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "h2_idle_clients.py"),
                                    str(nginx.h2c_port), str(args.connections)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            line = clients.stdout.readline().split()
            if line[:1] != ["ready"]:
                raise SystemExit("the clients did not get their answers")
            time.sleep(1)  # the exporter's next drain
            text = scrape(scope.metrics_port)
            after = rss_kib(scope.proc.pid)
        finally:
            clients.stdin.close()
            clients.wait()
    followed = metric(text, "apiscope_http2_connections")
    counted = metric(text, "http_server_request_duration_seconds_count", network_protocol_version="2")
    print("| open HTTP/2 connections | followed (apiscope_http2_connections) | requests counted "
          "| apiscope RSS before | with them | per connection |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("| %d | %d | %d | %.1f MiB | %.1f MiB | %.1f KiB |" % (
        args.connections, followed, counted, before / 1024, after / 1024, (after - before) / max(followed, 1)))


if __name__ == "__main__":
    main()
