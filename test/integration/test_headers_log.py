"""Header elements end to end: captured headers as labels and in the JSON
access log, against a real nginx and a Python server, driven by a real
client. Secrets never leave apiscope; label values stay under their cap;
sampling and a stalled log reader are accounted for exactly."""
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from harness import APPS, Apiscope, api_server, main, nginx, value, wait_for_count

NGINX_PORT = 18085
PY_PORT = 18086
DUR = "http_server_request_duration_seconds_count"
CLIENT_DUR = "http_client_request_duration_seconds_count"

SERVER = """
        listen 127.0.0.1:%d;
        listen [::1]:%d;
        location = /ok { add_header X-Served-By edge-1; return 200 "ok\\n"; }
        location = /v6 { return 204; }""" % (NGINX_PORT, NGINX_PORT)

CONFIG = """
targets: {{comms: [{comms}]}}
headers:
  request: [X-Request-Id, {{name: X-Tenant, label: true}}, {{name: User-Agent, label: true}}, Authorization, Cookie]
  response: [X-Served-By, Content-Type]
  max_label_values: {cap}
{headers_extra}
access_log:
  output: {output}
  sample_ratio: {ratio}
  buffer_bytes: {buffer}
{log_extra}
"""


class Env:
    """A temp dir with nginx running, shared by the tests of one class."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="apiscope-hdr-")
        os.chmod(self.dir, 0o755)  # nginx workers run as nobody
        self.nginx = nginx(self.dir, SERVER, NGINX_PORT)

    def config(self, comms, output, cap=50, ratio=1.0, buffer=4194304, headers_extra="", log_extra=""):
        path = os.path.join(self.dir, "apiscope-%s.yaml" % secrets.token_hex(3))
        with open(path, "w") as f:
            f.write(CONFIG.format(comms=", ".join(comms), output=output, cap=cap, ratio=ratio, buffer=buffer,
                                  headers_extra=headers_extra, log_extra=log_extra))
        return path

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def send(name, port, path, count, tenant, secret, host="127.0.0.1"):
    out = subprocess.run([sys.executable, os.path.join(APPS, "header_client.py"), name, str(port), path,
                          str(count), tenant, secret, host], capture_output=True, text=True, timeout=120, cwd=APPS)
    if out.returncode != 0:
        raise AssertionError("header_client failed: " + out.stderr)
    return json.loads(out.stdout)


def read_log(path):
    with open(path, "rb") as f:
        raw = f.read()
    return raw, [json.loads(line) for line in raw.decode().splitlines()]


def wait_logged(scope, expected, timeout=15):
    """Until lines written plus events dropped reach expected."""
    deadline = time.monotonic() + timeout
    while True:
        s = scope.scrape()
        done = value(s, "apiscope_access_log_events_total") + value(s, "apiscope_access_log_events_dropped_total")
        if done >= expected or time.monotonic() > deadline:
            return s
        time.sleep(0.2)


class HeadersAndLog(unittest.TestCase):
    """One exchange set against nginx and a Python server, both sides traced."""

    @classmethod
    def setUpClass(cls):
        cls.env = Env()
        cls.log = os.path.join(cls.env.dir, "access.log")
        cls.secret = secrets.token_urlsafe(24)
        cfg = cls.env.config(["nginx", "api-server", "hdr-client"], cls.log)
        cls.scope = Apiscope("--config", cfg).__enter__()
        try:
            with cls.env.nginx, api_server(PY_PORT):
                cls.nginx_sent = send("hdr-client", NGINX_PORT, "/ok", 40, "acme", cls.secret)
                cls.py_sent = send("hdr-client", PY_PORT, "/api/users/7?token=" + cls.secret, 25, "beta",
                                   cls.secret)
                cls.v6_sent = send("hdr-client", NGINX_PORT, "/v6", 5, "six", cls.secret, "::1")
                cls.samples = wait_for_count(cls.scope, DUR, 70)
                wait_logged(cls.scope, 2 * 70)
                cls.metrics = cls.scope.metrics_text()
        except BaseException:
            cls.scope.stop()
            raise
        cls.scope.close()
        cls.raw, cls.lines = read_log(cls.log)
        cls.stderr = cls.scope.stderr
        # the example line of docs/headers-and-access-log.md comes from here
        print("\nexample access log line: " + cls.raw.splitlines()[0].decode(), file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def lines_of(self, service, kind):
        return [l for l in self.lines if l["service.name"] == service and l["span.kind"] == kind]

    def test_one_line_per_request_with_its_values(self):
        for service, sent, route, path, served_by, ctype in [
                ("nginx", self.nginx_sent, "/ok", "/ok", "edge-1", "text/plain"),
                ("api-server", self.py_sent, "/api/users/{id}", "/api/users/7", None, "application/octet-stream")]:
            for kind in ("server", "client"):
                who = service if kind == "server" else "hdr-client"
                lines = [l for l in self.lines_of(who, kind) if l["url.path"] == path]
                ids = [l["http.request.header.x-request-id"][0] for l in lines]
                self.assertEqual(sorted(ids), sorted(s["id"] for s in sent), (service, kind))
                tenant = sent[0]["tenant"]
                for l in lines:
                    self.assertEqual(l["http.request.method"], "GET")
                    self.assertEqual(l["http.route"], route)
                    self.assertEqual(l["http.response.status_code"], 200)
                    self.assertEqual(l["http.request.header.x-tenant"], [tenant])
                    self.assertEqual(l["http.request.header.user-agent"], ["hdr-client/1.0 (integration test)"])
                    self.assertEqual(l["http.request.header.authorization"], ["[REDACTED]"])
                    self.assertEqual(l["http.request.header.cookie"], ["[REDACTED]"])
                    self.assertEqual(l["http.response.header.content-type"], [ctype])
                    if served_by:
                        self.assertEqual(l["http.response.header.x-served-by"], [served_by])
                    self.assertNotIn("url.query", l)  # include_query is off
                    self.assertGreater(l["duration_s"], 0)
                    self.assertLess(l["duration_s"], 5)
                    peer = "client" if kind == "server" else "server"
                    self.assertEqual(l[peer + ".address"], "127.0.0.1")
                    if kind == "client":
                        self.assertEqual(l["server.port"], NGINX_PORT if service == "nginx" else PY_PORT)
        self.assertEqual(len(self.lines), 2 * 70)

    def test_ipv6_peers(self):
        """Both ends of a connection over ::1 carry the IPv6 peer address."""
        self.assertEqual([s["status"] for s in self.v6_sent], [204] * 5)
        for who, kind in (("nginx", "server"), ("hdr-client", "client")):
            lines = [l for l in self.lines_of(who, kind) if l["url.path"] == "/v6"]
            self.assertEqual(sorted(l["http.request.header.x-request-id"][0] for l in lines),
                             sorted(s["id"] for s in self.v6_sent), kind)
            for l in lines:
                self.assertEqual(l["http.response.status_code"], 204)
                self.assertEqual(l["client.address" if kind == "server" else "server.address"], "::1")

    def test_body_sizes_are_exact(self):
        for l in self.lines_of("nginx", "server"):
            self.assertEqual(l["http.response.body.size"], 3 if l["url.path"] == "/ok" else 0)
        for l in self.lines_of("api-server", "server"):
            self.assertEqual(l["http.response.body.size"], 64)
            self.assertEqual(l["http.request.body.size"], 0)

    def test_secret_never_leaves(self):
        needle = self.secret.encode()
        self.assertNotIn(needle, self.raw)
        self.assertNotIn(self.secret, self.metrics)
        self.assertNotIn(self.secret, self.stderr)

    def test_header_labels_on_metrics(self):
        s = self.samples
        self.assertEqual(value(s, DUR, service_name="nginx", http_request_header_x_tenant="acme",
                               http_request_header_user_agent="hdr-client"), 40)
        self.assertEqual(value(s, DUR, service_name="api-server", http_request_header_x_tenant="beta",
                               http_route="/api/users/{id}"), 25)
        self.assertEqual(value(s, CLIENT_DUR, service_name="hdr-client", http_request_header_x_tenant="acme"), 40)


class LabelCap(unittest.TestCase):
    """A flood of random X-Tenant values: series stay within the cap."""

    def test_flood_of_tenants_is_capped(self):
        env = Env()
        try:
            cfg = env.config(["nginx"], os.path.join(env.dir, "access.log"), cap=20)
            with Apiscope("--config", cfg) as scope, env.nginx:
                send("hdr-client", NGINX_PORT, "/ok", 15, "steady", "x" * 20)
                send("hdr-client", NGINX_PORT, "/ok", 300, "random", "x" * 20)
                s = wait_for_count(scope, DUR, 315, service_name="nginx")
        finally:
            env.close()
        tenants = {l["http_request_header_x_tenant"] for n, l, v in s if n == DUR}
        self.assertEqual(len(tenants), 20 + 1)  # the cap, and _other
        self.assertIn("steady", tenants)
        self.assertIn("_other", tenants)
        self.assertEqual(value(s, DUR, http_request_header_x_tenant="steady"), 15)
        self.assertEqual(value(s, DUR, http_request_header_x_tenant="_other"), 300 - 19)
        self.assertEqual(value(s, "apiscope_header_label_overflow_total", header="x-tenant"), 300 - 19)
        self.assertEqual(value(s, DUR, service_name="nginx"), 315)


class Sampling(unittest.TestCase):
    def test_sampled_log_is_within_bounds_and_accounted(self):
        env = Env()
        log = os.path.join(env.dir, "access.log")
        n = 2000
        try:
            cfg = env.config(["nginx"], log, ratio=0.1)
            with Apiscope("--config", cfg) as scope, env.nginx:
                send("hdr-client", NGINX_PORT, "/ok", n, "acme", "x" * 20)
                wait_for_count(scope, DUR, n, service_name="nginx")
                s = wait_logged(scope, n)
            _, lines = read_log(log)
        finally:
            env.close()
        # Binomial(2000, 0.1): mean 200, sd 13.4; 5 sd either side
        self.assertGreater(len(lines), 200 - 67)
        self.assertLess(len(lines), 200 + 67)
        self.assertEqual(value(s, "apiscope_access_log_events_total"), len(lines))
        self.assertEqual(value(s, "apiscope_access_log_events_dropped_total", reason="sampled"), n - len(lines))
        self.assertEqual(value(s, DUR, service_name="nginx"), n)  # metrics see every request


class RateLimitAndHash(unittest.TestCase):
    def test_rate_limit_and_hashed_secrets(self):
        env = Env()
        log = os.path.join(env.dir, "access.log")
        key = os.path.join(env.dir, "redact.key")
        with open(key, "wb") as f:
            f.write(os.urandom(32))
        secret = secrets.token_urlsafe(24)
        n = 400
        try:
            cfg = env.config(["nginx"], log, headers_extra="  redact: hash\n  redact_key_file: " + key,
                             log_extra="  rate_limit_per_second: 50")
            with Apiscope("--config", cfg) as scope, env.nginx:
                t0 = time.monotonic()
                send("hdr-client", NGINX_PORT, "/ok", n, "acme", secret)
                elapsed = time.monotonic() - t0
                wait_for_count(scope, DUR, n, service_name="nginx")
                s = wait_logged(scope, n)
                metrics = scope.metrics_text()
            raw, lines = read_log(log)
        finally:
            env.close()
        logged = len(lines)
        self.assertEqual(value(s, "apiscope_access_log_events_dropped_total", reason="rate_limited"), n - logged)
        self.assertGreaterEqual(logged, min(n, 50))
        self.assertLessEqual(logged, 50 * (int(elapsed) + 2))  # per started second
        self.assertNotIn(secret.encode(), raw)
        self.assertNotIn(secret, metrics)
        hashes = {l["http.request.header.authorization"][0] for l in lines}
        self.assertEqual(len(hashes), 1)  # the same caller, the same hash
        self.assertRegex(hashes.pop(), r"^hash:[0-9a-f]{16}$")


class Rotation(unittest.TestCase):
    def test_sighup_reopens_the_file(self):
        """logrotate's way: move the file, SIGHUP, new lines go to a new file."""
        env = Env()
        log = os.path.join(env.dir, "access.log")
        try:
            cfg = env.config(["nginx"], log)
            with Apiscope("--config", cfg) as scope, env.nginx:
                send("hdr-client", NGINX_PORT, "/ok", 10, "before", "x" * 20)
                wait_logged(scope, 10)
                os.rename(log, log + ".1")
                scope.proc.send_signal(signal.SIGHUP)
                time.sleep(0.5)  # the reader reopens within its poll period
                send("hdr-client", NGINX_PORT, "/ok", 7, "after", "x" * 20)
                wait_logged(scope, 17)
                self.assertIsNone(scope.proc.poll())
            _, old = read_log(log + ".1")
            _, new = read_log(log)
        finally:
            env.close()
        self.assertEqual([l["http.request.header.x-tenant"] for l in old], [["before"]] * 10)
        self.assertEqual([l["http.request.header.x-tenant"] for l in new], [["after"]] * 7)


class StalledReader(unittest.TestCase):
    """The log goes to a pipe nobody reads: the kernel drops log events and
    counts them; metrics stay exact and /metrics answers at once."""

    def test_stalled_log_reader(self):
        env = Env()
        n = 3000
        try:
            cfg = env.config(["nginx"], "stdout", buffer=65536)
            with Apiscope("--config", cfg) as scope, env.nginx:
                t0 = time.monotonic()
                send("hdr-client", NGINX_PORT, "/ok", n, "acme", "x" * 20)
                s = wait_for_count(scope, DUR, n, service_name="nginx")
                scrape_start = time.monotonic()
                s = scope.scrape()
                self.assertLess(time.monotonic() - scrape_start, 2.0)
                self.assertEqual(value(s, DUR, service_name="nginx"), n)
                full = value(s, "apiscope_access_log_events_dropped_total", reason="buffer_full")
                self.assertGreater(full, 0)
                # now read the pipe: what was held back is written, and every
                # event is either written or counted as dropped
                lines = []
                reader = threading.Thread(target=lambda: lines.extend(scope.proc.stdout))
                reader.start()
                s = wait_logged(scope, n)
                self.assertEqual(value(s, "apiscope_access_log_events_total") +
                                 value(s, "apiscope_access_log_events_dropped_total", reason="buffer_full"), n)
                self.assertLess(time.monotonic() - t0, 60)
                scope.proc.terminate()  # not stop(): the reader thread owns stdout
                scope.proc.wait(timeout=20)
                reader.join(timeout=20)
                scope.proc.stdout.close()
                scope.proc.stderr.close()
                self.assertEqual(len(lines), value(s, "apiscope_access_log_events_total"))
        finally:
            env.close()


if __name__ == "__main__":
    main()
