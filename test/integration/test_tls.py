"""HTTPS through the OpenSSL uprobes, against real peers on loopback: nginx
serving HTTP and HTTPS (a self-signed certificate made here with openssl),
curl and Python http.client over ssl (the system libssl.so.3) as clients,
Node.js (OpenSSL linked into the node binary) as server and client, and a
server without OpenSSL. Exact counts per method, route and status on both
sides, exact body sizes, url_scheme, TLS status reporting."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from harness import APPS, Apiscope, Server, curl, main, names, nginx, value, wait_for_count

HTTP_PORT = 18090
HTTPS_PORT = 18493
NODE_PORT = 18494
PLAIN_PORT = 18095
DUR = "http_server_request_duration_seconds_count"
CDUR = "http_client_request_duration_seconds_count"
RESP = "http_server_response_body_size_bytes_sum"

SERVER = """
        listen 127.0.0.1:%(http)d;
        listen 127.0.0.1:%(https)d ssl;
        ssl_certificate %(dir)s/cert.pem;
        ssl_certificate_key %(dir)s/key.pem;
        location = /ok { return 200 "twelve bytes"; }
        location = /missing { return 404; }
        location = /broken { return 500; }
        location = /post { return 201 "created"; }"""

PATHS = ["/ok", "/missing", "/broken", "/post"]
STATUS = {"/ok": "200", "/missing": "404", "/broken": "500", "/post": "201"}
METHOD = {"/ok": "GET", "/missing": "GET", "/broken": "GET", "/post": "POST"}


def run_client(*args, node=False):
    if node:
        cmd = ["node", os.path.join(APPS, "node_https.js"), "client", *map(str, args)]
    else:
        cmd = [sys.executable, os.path.join(APPS, "tls_client.py"), *map(str, args)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=APPS)
    if out.returncode != 0:
        raise AssertionError("%s failed: %s" % (cmd, out.stderr))
    return json.loads(out.stdout)


class Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="apiscope-tls-")
        os.chmod(cls.dir, 0o755)  # nginx workers run as nobody
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-keyout", os.path.join(cls.dir, "key.pem"),
                        "-out", os.path.join(cls.dir, "cert.pem")], check=True, capture_output=True)
        cls.scope = Apiscope("--target.comm", "nginx", "--target.comm", "curl", "--target.comm", "tls-client",
                             "--target.comm", "plain-client", "--target.comm", "node",
                             "--target.comm", "plain-srv").__enter__()
        try:
            web = nginx(cls.dir, SERVER % {"http": HTTP_PORT, "https": HTTPS_PORT, "dir": cls.dir}, HTTPS_PORT)
            node = Server(["node", os.path.join(APPS, "node_https.js"), "server", str(NODE_PORT),
                           os.path.join(cls.dir, "key.pem"), os.path.join(cls.dir, "cert.pem")], NODE_PORT)
            plain = Server([sys.executable, os.path.join(APPS, "plain_server.py"), str(PLAIN_PORT), "plain-srv"],
                           PLAIN_PORT)
            with web, node, plain:
                cls.drive()
                cls.samples = wait_for_count(cls.scope, DUR, cls.expected_server)
                time.sleep(0.5)  # the second look at new processes (TLS status)
                cls.samples = cls.scope.scrape()
        except BaseException:
            cls.scope.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.scope.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def drive(cls):
        # the same mix in plaintext and in TLS, keep-alive, from Python
        cls.https_got = run_client("tls-client", "https", HTTPS_PORT, 5, *PATHS)
        cls.http_got = run_client("plain-client", "http", HTTP_PORT, 5, *PATHS)
        # curl: a new process per request, started after apiscope
        cls.curl_codes = [curl("-k", "https://127.0.0.1:%d/ok" % HTTPS_PORT) for _ in range(3)]
        # Node.js both ends
        cls.node_got = run_client(NODE_PORT, 4, "/n/1", "/missing", node=True)
        # a server without OpenSSL, plaintext
        cls.plain_got = run_client("plain-client", "http", PLAIN_PORT, 3, "/p")
        cls.expected_server = 20 + 20 + 3 + 8 + 3

    def test_clients_got_what_they_asked(self):
        self.assertEqual([g["status"] for g in self.https_got], [int(STATUS[p]) for p in PATHS] * 5)
        self.assertEqual(self.curl_codes, [200] * 3)
        self.assertEqual(sorted(g["status"] for g in self.node_got), [200] * 4 + [404] * 4)

    def test_nginx_https_server_side_exact(self):
        s = self.samples
        for path in PATHS:
            want = 5 + (3 if path == "/ok" else 0)  # tls-client, then curl on /ok
            self.assertEqual(value(s, DUR, service_name="nginx", url_scheme="https", http_route=path,
                                   http_request_method=METHOD[path], http_response_status_code=STATUS[path]),
                             want, path)
        self.assertEqual(value(s, RESP, service_name="nginx", url_scheme="https", http_route="/ok"), 12 * 8)
        self.assertEqual(value(s, "http_server_request_body_size_bytes_sum", service_name="nginx",
                               url_scheme="https", http_route="/post"), 100 * 5)

    def test_https_client_side_exact(self):
        s = self.samples
        for path in PATHS:
            self.assertEqual(value(s, CDUR, service_name="tls-client", url_scheme="https", http_route=path,
                                   http_response_status_code=STATUS[path], server_port=str(HTTPS_PORT)), 5, path)
        self.assertEqual(value(s, "http_client_response_body_size_bytes_sum", service_name="tls-client",
                               http_route="/ok"), 12 * 5)

    def test_client_started_after_apiscope_counted_from_first_request(self):
        self.assertEqual(value(self.samples, CDUR, service_name="curl", url_scheme="https", http_route="/ok",
                               http_response_status_code="200"), 3)

    def test_node_both_sides(self):
        s = self.samples
        for route, status, size in [("/n/{id}", "200", 42), ("/missing", "404", 7)]:
            self.assertEqual(value(s, DUR, service_name="node", url_scheme="https", http_route=route,
                                   http_response_status_code=status), 4, route)
            self.assertEqual(value(s, CDUR, service_name="node", url_scheme="https", http_route=route,
                                   http_response_status_code=status, server_port=str(NODE_PORT)), 4, route)
            self.assertEqual(value(s, RESP, service_name="node", http_route=route), size * 4)

    def test_plaintext_and_tls_give_the_same_counts(self):
        s = self.samples
        for path in PATHS:
            http = value(s, CDUR, service_name="plain-client", url_scheme="http", http_route=path,
                         server_port=str(HTTP_PORT))
            https = value(s, CDUR, service_name="tls-client", url_scheme="https", http_route=path)
            self.assertEqual(http, https, path)
            self.assertEqual(value(s, DUR, service_name="nginx", url_scheme="http", http_route=path), 5, path)
        # TLS bytes on the wire were never parsed as HTTP
        self.assertEqual(value(s, DUR, service_name="nginx"), 20 + 20 + 3)

    def test_tls_status(self):
        s = self.samples
        status = "apiscope_tls_probe_status"
        self.assertEqual(value(s, status, service_name="nginx", state="attached",
                               library="/usr/lib/x86_64-linux-gnu/libssl.so.3"), 1)
        self.assertEqual(value(s, status, service_name="node", state="attached"), 1)
        self.assertEqual(value(s, status, service_name="plain-srv", state="unsupported", library=""), 1)
        self.assertEqual(value(s, status, service_name="plain-srv", state="attached"), 0)
        # and it still counts in plaintext
        self.assertEqual(value(s, DUR, service_name="plain-srv", url_scheme="http"), 3)
        self.assertEqual(value(s, "apiscope_events_dropped_total", reason="tls_socket_unknown"), 0)



class SslCalls:
    """A process making CALLS OpenSSL read calls per go()."""

    def __init__(self, calls):
        self.calls = calls
        self.proc = subprocess.Popen([sys.executable, os.path.join(APPS, "ssl_calls.py"), str(calls)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=APPS)
        assert self.proc.stdout.readline().strip() == "ready"

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "done"

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


def tls_runs(scope):
    """Runs of apiscope's OpenSSL entry programs so far (its own statistics)."""
    return sum(v for n, l, v in scope.scrape()
               if n == "apiscope_bpf_program_runs_total" and l.get("program", "").startswith("tls_"))


class TlsPerProcess(unittest.TestCase):
    """With --target.pid the uprobes are attached to the target processes
    only: a process apiscope ignores makes its OpenSSL calls without a trap
    (each one costs microseconds), and the targets are still counted exactly,
    a libssl a target loads after apiscope started included."""

    def test_only_target_processes_reach_the_probes(self):
        d = tempfile.mkdtemp(prefix="apiscope-tls-pid-")
        os.chmod(d, 0o755)
        try:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=localhost", "-keyout", os.path.join(d, "key.pem"),
                            "-out", os.path.join(d, "cert.pem")], check=True, capture_output=True)
            target, other = SslCalls(500), SslCalls(500)
            try:
                self.check(d, target, other)
            finally:
                target.close()
                other.close()
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def check(self, d, target, other):
        web = nginx(d, SERVER % {"http": HTTP_PORT, "https": HTTPS_PORT, "dir": d}, HTTPS_PORT)
        with web:
            master = web.proc.pid
            workers = []
            deadline = time.monotonic() + 10
            while not workers and time.monotonic() < deadline:  # nginx listens before it forks
                with open("/proc/%d/task/%d/children" % (master, master)) as f:
                    workers = f.read().split()
                time.sleep(0.05)
            self.assertTrue(workers, "nginx started no worker")
            pids = [str(master), *workers, str(target.proc.pid)]
            with Apiscope(*[x for p in pids for x in ("--target.pid", p)]) as scope:
                before = tls_runs(scope)
                other.go()
                self.assertEqual(tls_runs(scope), before, "a process apiscope ignores reached the uprobes")
                target.go()
                # entry and return of each call
                self.assertEqual(tls_runs(scope) - before, 2 * target.calls)
                got = run_client("tls-client", "https", HTTPS_PORT, 5, *PATHS)
                samples = wait_for_count(scope, DUR, 20)
                for path in PATHS:
                    self.assertEqual(value(samples, DUR, http_route=path, url_scheme="https",
                                           http_response_status_code=STATUS[path]), 5, path)
                self.assertNotIn(CDUR, names(samples), "the client is not a target")
                self.assertEqual(len(got), 20)


if __name__ == "__main__":
    main()
