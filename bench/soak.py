#!/usr/bin/env python3
"""Soak: apiscope (header capture, labels and the access log on) under a
mixed workload for a set time, scraped every few seconds. At the end it
checks, and prints, that:
  - apiscope's server-side counts equal nginx's own access log, per scheme,
    method, route and status (plain HTTP and HTTPS, keep-alive and new
    connections, clients that come and go);
  - its LLM and MCP metrics equal what the clients of a model server (chat
    calls, streamed or not, over HTTP and HTTPS) and of an MCP server
    (tools/call, errors among them) were told: calls and tokens per model,
    calls per tool (soak_genai.py);
  - the exporter's RSS is flat over the second half of the run;
  - the connection map returns to where it started once clients are gone;
  - nothing was dropped for an unexplained reason.
Exit code 0 only if all hold.

usage: bench/soak.py [--minutes 30] [--rate 300] [--genai-rate 5]
"""
import argparse
import collections
import http.client
import os
import random
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import apiscope_agent, metric, require_root, scrape, wait_port
from soak_genai import LLM_COMM, MCP_COMM, GenaiWorkload

HTTP_PORT, HTTPS_PORT = 18110, 18111
COMM = "soak-nginx"

NGINX_CONF = """
worker_processes 2;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
    log_format soak '$scheme $request_method $uri $status';
    access_log {d}/access.log soak;
    keepalive_requests 200;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{http};
        listen 127.0.0.1:{https} ssl;
        ssl_certificate {d}/cert.pem;
        ssl_certificate_key {d}/key.pem;
        location = /api/orders {{ return 201 "created"; }}
        location /api/users/ {{ return 200 "user"; }}
        location = /missing {{ return 404; }}
        location = /broken {{ return 500; }}
    }}
}}
"""

CONFIG = """
headers:
  request: [X-Request-Id, {name: X-Tenant, label: true}]
  response: [Content-Type]
access_log: {output: %s}
"""

PATHS = [("GET", "/api/users/%d"), ("POST", "/api/orders"), ("GET", "/missing"), ("GET", "/broken")]
ROUTE = {"/api/orders": "/api/orders", "/missing": "/missing", "/broken": "/broken"}


def client(stop, rate, tls, fresh_every):
    """Requests at about `rate` per second; a new connection every `fresh_every` requests."""
    ctx = ssl._create_unverified_context()
    conn, n = None, 0
    while not stop.is_set():
        if conn is None or n % fresh_every == 0:
            if conn:
                conn.close()
            conn = (http.client.HTTPSConnection("127.0.0.1", HTTPS_PORT, context=ctx) if tls
                    else http.client.HTTPConnection("127.0.0.1", HTTP_PORT))
        method, path = random.choice(PATHS)
        if "%d" in path:
            path = path % random.randint(1, 10**6)
        try:
            conn.request(method, path, body=b"{}" if method == "POST" else None,
                         headers={"X-Request-Id": "%x" % random.getrandbits(48),
                                  "X-Tenant": random.choice(["acme", "beta", "gamma"])})
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            conn = None
        n += 1
        time.sleep(random.expovariate(rate))
    if conn:
        conn.close()


def curl_loop(stop):
    """Short-lived client processes: a new process and connection each time."""
    while not stop.is_set():
        subprocess.run(["curl", "-sk", "-o", "/dev/null", "https://127.0.0.1:%d/api/users/7" % HTTPS_PORT])
        time.sleep(0.2)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--rate", type=float, default=300, help="requests/s per client thread")
    ap.add_argument("--genai-rate", type=float, default=5, help="LLM and MCP calls/s per client thread")
    ap.add_argument("--scrape", type=float, default=5, help="seconds between scrapes")
    args = ap.parse_args()
    require_root()
    d = tempfile.mkdtemp(prefix="apiscope-soak-")
    os.chmod(d, 0o755)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-keyout", d + "/key.pem", "-out", d + "/cert.pem"], check=True,
                   capture_output=True)
    with open(d + "/nginx.conf", "w") as f:
        f.write(NGINX_CONF.format(d=d, http=HTTP_PORT, https=HTTPS_PORT))
    with open(d + "/apiscope.yaml", "w") as f:
        f.write(CONFIG % (d + "/apiscope-access.log"))
    # nginx under a name of its own, so apiscope counts this server only and
    # other nginx on the host (tests run alongside) leave the check exact
    shutil.copy(shutil.which("nginx"), d + "/" + COMM)
    nginx_cmd = [d + "/" + COMM, "-c", d + "/nginx.conf", "-e", d + "/error.log"]
    nginx = subprocess.Popen(nginx_cmd)
    genai = GenaiWorkload(d)
    ok = True
    try:
        wait_port(HTTP_PORT)
        wait_port(HTTPS_PORT)
        genai.start()
        agent = apiscope_agent("--config", d + "/apiscope.yaml", "--target.comm", COMM, "--target.comm", LLM_COMM,
                               "--target.comm", MCP_COMM, port=19510)
        with agent:
            pid, port = agent.proc.pid, agent.metrics_port
            base_conns = metric(scrape(port), "apiscope_bpf_map_entries", map="conns")
            stop = threading.Event()
            threads = [threading.Thread(target=client, args=(stop, args.rate, tls, fresh))
                       for tls in (False, True) for fresh in (1000, 5)]
            threads.append(threading.Thread(target=curl_loop, args=(stop,)))
            threads += genai.clients(stop, args.genai_rate)
            for t in threads:
                t.start()
            samples = []  # (t, rss KiB, conns entries, metrics entries)
            t0 = time.monotonic()
            end = t0 + args.minutes * 60
            while time.monotonic() < end:
                time.sleep(min(args.scrape, max(0.1, end - time.monotonic())))
                text = scrape(port)
                samples.append((time.monotonic() - t0, rss_kib(pid),
                                metric(text, "apiscope_bpf_map_entries", map="conns"),
                                metric(text, "apiscope_bpf_map_entries", map="metrics")))
                if len(samples) % max(1, int(60 / args.scrape)) == 0:  # a progress line a minute
                    print("%5.0f s  RSS %d KiB  requests %d" % (samples[-1][0], samples[-1][1], metric(
                        text, "http_server_request_duration_seconds_count")), flush=True)
            stop.set()
            for t in threads:
                t.join()
            time.sleep(1.5)  # last requests recorded, keep-alive connections closed
            subprocess.run(nginx_cmd + ["-s", "reopen"])
            time.sleep(0.5)
            text = scrape(port)
        # nginx's own log against apiscope's server-side counts
        truth = collections.Counter()
        with open(d + "/access.log") as f:
            for line in f:
                scheme, method, uri, status = line.split()
                route = ROUTE.get(uri, "/api/users/{id}")
                truth[(scheme, method, route, status)] += 1
        seen = collections.Counter()
        for (scheme, method, route, status) in truth:
            seen[(scheme, method, route, status)] = int(metric(
                text, "http_server_request_duration_seconds_count", service_name=COMM, url_scheme=scheme,
                http_request_method=method, http_route=route, http_response_status_code=status))
        total_truth, total_seen = sum(truth.values()), sum(seen.values())
        print("requests: nginx logged %d, apiscope counted %d" % (total_truth, total_seen))
        for k in sorted(truth):
            mark = "" if truth[k] == seen[k] else "   <-- differs"
            print("  %-5s %-4s %-16s %s  nginx %7d  apiscope %7d%s" % (*k, truth[k], seen[k], mark))
        ok &= truth == seen
        ok &= genai.check(text)
        half = [s for s in samples if s[0] >= samples[-1][0] / 2]
        growth = half[-1][1] - half[0][1]
        print("exporter RSS: start %d KiB, middle %d KiB, end %d KiB (growth over the second half %+d KiB)"
              % (samples[0][1], half[0][1], half[-1][1], growth))
        ok &= growth <= max(1024, half[0][1] // 50)  # flat: within 1 MiB or 2 %
        conns_end = metric(text, "apiscope_bpf_map_entries", map="conns")
        print("conns map entries: before %d, peak %d, after %d" % (base_conns, max(s[2] for s in samples),
                                                                  conns_end))
        ok &= conns_end <= base_conns + 2
        print("metrics map entries: peak %d" % max(s[3] for s in samples))
        drops = {m.group(1): float(m.group(2)) for m in re.finditer(
            r'^apiscope_events_dropped_total\{reason="([^"]+)"\} (\S+)$', text, re.M)}
        drops.update({"log_" + m.group(1): float(m.group(2)) for m in re.finditer(
            r'^apiscope_access_log_events_dropped_total\{reason="([^"]+)"\} (\S+)$', text, re.M)})
        bad = {k: v for k, v in drops.items() if v}
        print("drops: %s" % (bad or "none"))
        ok &= not bad
        print("access log lines written: %d" % metric(text, "apiscope_access_log_events_total"))
        print("RESULT: %s" % ("PASS" if ok else "FAIL"))
    finally:
        genai.stop()
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(d, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
