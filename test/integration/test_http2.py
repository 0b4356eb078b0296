"""HTTP/2 and gRPC, driven by software nobody here wrote: nginx over h2c and
TLS with curl and h2load (counts equal to nginx's own access log), python-h2
making the frames that change what a request is (Upgrade: h2c, padding,
CONTINUATION, RST_STREAM, GOAWAY, a table size update), Node.js's http2
module, gRPC from python3-grpcio and @grpc/grpc-js, and apiscope started in
the middle of a long-lived gRPC connection."""
import collections
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import APPS, Apiscope, Server, curl, main, names, nginx, value, wait_for_count

DEBIAN_PYTHON = "/usr/bin/python3"  # Debian's python3-grpcio and python3-h2 live there
NODE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "node")
H2C, H2TLS, PYH2, GRPC, GRPC_TLS, NODE_H2, NODE_GRPC = 18301, 18302, 18303, 18304, 18305, 18306, 18307
DUR = "http_server_request_duration_seconds_count"
CDUR = "http_client_request_duration_seconds_count"
RPC = "rpc_server_call_duration_seconds_count"
CRPC = "rpc_client_call_duration_seconds_count"

SERVER = """
        listen 127.0.0.1:%(h2c)d http2;
        listen 127.0.0.1:%(tls)d ssl http2;
        ssl_certificate %(dir)s/cert.pem;
        ssl_certificate_key %(dir)s/key.pem;
        access_log %(dir)s/access.log;
        location = /ok { return 200 "ok\\n"; }
        location = /missing { return 404; }
        location /items/ { return 200 "item\\n"; }"""


def certificate(d):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", d + "/key.pem", "-out",
                    d + "/cert.pem"], check=True, capture_output=True)


def h2load(name, d, url, n, clients, streams):
    """h2load under a process name of its own; returns the requests it says succeeded."""
    exe = os.path.join(d, name)
    if not os.path.exists(exe):
        os.symlink(shutil.which("h2load"), exe)
    out = subprocess.run([exe, "-n", str(n), "-c", str(clients), "-m", str(streams), url], capture_output=True,
                         text=True, timeout=120).stdout
    return int(re.search(r"(\d+) succeeded", out).group(1))


def nginx_log(d):
    """(scheme, route-like path, status) -> requests, from nginx's access log."""
    counts = collections.Counter()
    with open(os.path.join(d, "access.log")) as f:
        for line in f:
            m = re.search(r'"(\w+) (\S+) HTTP/2.0" (\d+)', line)
            if m:
                counts[(re.sub(r"/\d+$", "/{id}", m.group(2)), m.group(3))] += 1
    return counts


class Nginx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = tempfile.mkdtemp(prefix="apiscope-h2-")
        os.chmod(cls.d, 0o755)
        certificate(cls.d)
        cls.scope = Apiscope("--target.comm", "nginx", "--target.comm", "curl", "--target.comm", "h2load-c",
                             "--target.comm", "h2load-t", port=19501).__enter__()
        try:
            with nginx(cls.d, SERVER % {"h2c": H2C, "tls": H2TLS, "dir": cls.d}, H2C):
                for _ in range(3):
                    assert curl("--http2-prior-knowledge", "http://127.0.0.1:%d/ok" % H2C) == 200
                    assert curl("-k", "https://localhost:%d/ok" % H2TLS) == 200  # h2 by ALPN
                for _ in range(2):
                    assert curl("--http2-prior-knowledge", "http://127.0.0.1:%d/missing" % H2C) == 404
                # many concurrent streams per connection
                cls.h2c_done = h2load("h2load-c", cls.d, "http://127.0.0.1:%d/items/7" % H2C, 1000, 4, 50)
                cls.tls_done = h2load("h2load-t", cls.d, "https://127.0.0.1:%d/items/8" % H2TLS, 600, 3, 30)
                cls.samples = wait_for_count(cls.scope, DUR, 3 + 3 + 2 + 1000 + 600, service_name="nginx")
                time.sleep(0.5)  # nginx writes its log line after the response
                cls.log = nginx_log(cls.d)
        except BaseException:
            cls.scope.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.scope.close()
        shutil.rmtree(cls.d, ignore_errors=True)

    def test_server_side_equals_nginx_log(self):
        self.assertEqual(self.h2c_done, 1000)
        self.assertEqual(self.tls_done, 600)
        got = collections.Counter()
        for n, l, v in self.samples:
            if n == DUR and l["service_name"] == "nginx":
                self.assertEqual(l["network_protocol_version"], "2")
                got[(l["http_route"], l["http_response_status_code"])] += v
        self.assertEqual(dict(got), dict(self.log))
        self.assertEqual(value(self.samples, DUR, service_name="nginx", http_route="/items/{id}",
                               url_scheme="https"), 600)
        self.assertEqual(value(self.samples, DUR, service_name="nginx", http_route="/ok", url_scheme="https"), 3)
        self.assertEqual(value(self.samples, DUR, service_name="nginx", http_route="/missing",
                               http_response_status_code="404", url_scheme="http"), 2)

    def test_client_side(self):
        c = dict(network_protocol_version="2", http_route="/items/{id}", http_response_status_code="200")
        self.assertEqual(value(self.samples, CDUR, service_name="h2load-c", url_scheme="http",
                               server_port=str(H2C), **c), 1000)
        self.assertEqual(value(self.samples, CDUR, service_name="h2load-t", url_scheme="https",
                               server_port=str(H2TLS), **c), 600)
        self.assertEqual(value(self.samples, CDUR, service_name="curl", http_route="/missing",
                               error_type="404"), 2)

    def test_nothing_unknown_or_lost(self):
        for reason in ("attached_mid_connection", "records_lost", "table_too_large", "decode_error"):
            self.assertEqual(value(self.samples, "apiscope_http2_requests_unknown_total", reason=reason), 0, reason)
        for reason in ("h2_records_lost", "h2_streams_map_full"):
            self.assertEqual(value(self.samples, "apiscope_events_dropped_total", reason=reason), 0, reason)
        self.assertEqual(value(self.samples, "apiscope_parse_failures_total", reason="h2_framing_lost"), 0)


class Frames(unittest.TestCase):
    """python-h2 as the server, curl (nghttp2) as the client."""

    def test_frames_that_change_a_request(self):
        server = Server([DEBIAN_PYTHON, os.path.join(APPS, "h2_server.py"), "h2-srv", str(PYH2)], PYH2)
        with Apiscope("--target.comm", "h2-srv", "--target.comm", "curl", port=19502) as scope, server:
            base = "http://127.0.0.1:%d" % PYH2
            self.assertEqual(curl("--http2", base + "/items/1"), 200)  # Upgrade: h2c, then stream 1
            for path, status in (("/padded", 200), ("/big", 200), ("/items/2", 200), ("/status/503", 503),
                                 ("/reset", 0), ("/goaway", 200)):
                self.assertEqual(curl("--http2-prior-knowledge", base + path), status, path)
            s = wait_for_count(scope, DUR, 7, service_name="h2-srv")
        v = lambda name, **l: value(s, name, network_protocol_version="2", **l)  # noqa: E731
        for side, name in (("h2-srv", DUR), ("curl", CDUR)):
            self.assertEqual(v(name, service_name=side, http_route="/items/{id}", http_response_status_code="200"), 2)
            self.assertEqual(v(name, service_name=side, http_route="/padded", http_response_status_code="200"), 1)
            self.assertEqual(v(name, service_name=side, http_route="/big", http_response_status_code="200"), 1)
            self.assertEqual(v(name, service_name=side, http_route="/goaway", http_response_status_code="200"), 1)
            self.assertEqual(v(name, service_name=side, http_route="/status/{id}", http_response_status_code="503"),
                             1)
            # headers came, then the stream was reset
            self.assertEqual(v(name, service_name=side, http_route="/reset", error_type="cancel"), 1)
        resp = "http_server_response_body_size_bytes_sum"
        self.assertEqual(value(s, resp, service_name="h2-srv", http_route="/padded"), 5)  # padding is not body
        self.assertEqual(value(s, resp, service_name="h2-srv", http_route="/items/{id}"), 10)
        self.assertEqual(value(s, "apiscope_http2_requests_unknown_total"), 0)
        # the upgrade's request was HTTP/1.1 on the wire, its exchange HTTP/2: counted once, as 2
        self.assertEqual(value(s, DUR, service_name="h2-srv", network_protocol_version="1.1"), 0)


class Grpc(unittest.TestCase):
    def run_client(self, *args):
        out = subprocess.run([DEBIAN_PYTHON, os.path.join(APPS, "grpc_app.py"), "client", *args], capture_output=True,
                             text=True, timeout=120, cwd=APPS)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def test_python_grpc_plain_and_tls(self):
        d = tempfile.mkdtemp(prefix="apiscope-grpc-")
        certificate(d)
        srv = [DEBIAN_PYTHON, os.path.join(APPS, "grpc_app.py"), "server"]
        try:
            with Apiscope("--target.comm", "grpc-srv", "--target.comm", "grpc-cli", "--target.comm", "grpc-tls",
                          "--target.comm", "grpc-tcli", port=19503) as scope, \
                    Server(srv + ["grpc-srv", str(GRPC)], GRPC), \
                    Server(srv + ["grpc-tls", str(GRPC_TLS), d + "/cert.pem", d + "/key.pem"], GRPC_TLS):
                plain = self.run_client("grpc-cli", str(GRPC))
                tls = self.run_client("grpc-tcli", str(GRPC_TLS), d + "/cert.pem")
                wait_for_count(scope, RPC, 2 * 10, rpc_system_name="grpc")
                s = wait_for_count(scope, CRPC, 2 * 10, rpc_system_name="grpc")
        finally:
            shutil.rmtree(d, ignore_errors=True)
        for got in (plain, tls):
            self.assertEqual(got["Get"], ["OK", "OK", "OK", "NOT_FOUND", "INTERNAL", "OK"])
        # gRPC C-core runs OpenSSL on memory BIOs: the socket under each SSL object is the one its
        # thread read last, also before the thread's first SSL call
        self.assertEqual(value(s, "apiscope_events_dropped_total", reason="tls_socket_unknown"), 0)
        for server, client, port in (("grpc-srv", "grpc-cli", GRPC), ("grpc-tls", "grpc-tcli", GRPC_TLS)):
            for name, side, extra in ((RPC, server, {}), (CRPC, client, {"server_port": str(port)})):
                r = lambda m, st: value(s, name, service_name=side, rpc_system_name="grpc",  # noqa: E731
                                        rpc_method="demo.Items/" + m, rpc_response_status_code=st, **extra)
                self.assertEqual(r("Get", "OK"), 4, (side, "Get"))
                self.assertEqual(r("Get", "NOT_FOUND"), 1, side)
                self.assertEqual(r("Get", "INTERNAL"), 1, side)
                self.assertEqual(r("List", "OK"), 2, side)      # server streaming
                self.assertEqual(r("Collect", "OK"), 1, side)   # client streaming
                self.assertEqual(r("Chat", "OK"), 1, side)      # both
                self.assertEqual(value(s, name, service_name=side, error_type="NOT_FOUND"), 1)
        # gRPC calls are RPCs, not HTTP series
        self.assertNotIn(("grpc-srv",), {(l.get("service_name"),) for n, l, _ in s if n == DUR})

    def test_started_in_the_middle_of_a_connection(self):
        """A channel open before apiscope starts: its calls after the start
        are counted; what they refer to in the header table apiscope never saw
        is _unknown, and the self-metric says why."""
        SIDES = (("grpc-srv", DUR, RPC), ("grpc-hold", CDUR, CRPC))

        def calls(s, side, http, rpc):
            return sum(v for n, l, v in s if l.get("service_name") == side and
                       (n == rpc or (n == http and l.get("network_protocol_version") == "2")))
        srv = Server([DEBIAN_PYTHON, os.path.join(APPS, "grpc_app.py"), "server", "grpc-srv", str(GRPC)], GRPC)
        with srv:
            hold = subprocess.Popen([DEBIAN_PYTHON, os.path.join(APPS, "grpc_app.py"), "hold", "grpc-hold", str(GRPC),
                                     "5", "8"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=APPS)
            try:
                self.assertEqual(hold.stdout.readline().strip(), "ready")
                with Apiscope("--target.comm", "grpc-srv", "--target.comm", "grpc-hold", port=19504) as scope:
                    hold.stdin.write("go\n")
                    hold.stdin.flush()
                    statuses = json.loads(hold.stdout.readline())
                    deadline = time.monotonic() + 10
                    while True:  # until both ends counted all 8, or the time is up
                        s = scope.scrape()
                        if min(calls(s, *side) for side in SIDES) >= 8 or time.monotonic() > deadline:
                            break
                        time.sleep(0.2)
            finally:
                hold.kill()
                hold.communicate()
        self.assertEqual(len(statuses), 8)
        # every call counted; what told it was gRPC (content-type) may be in the table apiscope never
        # saw, and then it is an HTTP/2 request whose route and status are _unknown
        for side in SIDES:
            self.assertEqual(calls(s, *side), 8, side)
        unknown = value(s, "apiscope_http2_requests_unknown_total", reason="attached_mid_connection")
        self.assertGreater(unknown, 0)
        self.assertLessEqual(unknown, 16)  # 8 calls, both ends
        for reason in ("records_lost", "decode_error"):
            self.assertEqual(value(s, "apiscope_http2_requests_unknown_total", reason=reason), 0)


class AccessLog(unittest.TestCase):
    """Header capture, redaction and the access log for HTTP/2 and gRPC, as for HTTP/1."""

    CONFIG = """
targets: {comms: [h2-srv, curl, grpc-srv, grpc-cli]}
headers:
  request: [X-Request-Id, Authorization, {name: User-Agent, label: true}]
  response: [Content-Type]
access_log:
  output: %s
"""

    def test_one_line_per_request_and_call(self):
        d = tempfile.mkdtemp(prefix="apiscope-h2log-")
        secret = "s3cret-" + os.urandom(8).hex()
        log = os.path.join(d, "access.log")
        with open(d + "/apiscope.yaml", "w") as f:
            f.write(self.CONFIG % log)
        h2 = Server([DEBIAN_PYTHON, os.path.join(APPS, "h2_server.py"), "h2-srv", str(PYH2)], PYH2)
        gs = Server([DEBIAN_PYTHON, os.path.join(APPS, "grpc_app.py"), "server", "grpc-srv", str(GRPC)], GRPC)
        try:
            with Apiscope("--config", d + "/apiscope.yaml", port=19506) as scope, h2, gs:
                for i in range(3):
                    self.assertEqual(curl("--http2-prior-knowledge", "-A", "h2-test/1", "-H", "x-request-id: r-%d" % i,
                                          "-H", "authorization: Bearer " + secret,
                                          "http://127.0.0.1:%d/items/%d" % (PYH2, i)), 200)
                out = subprocess.run([DEBIAN_PYTHON, os.path.join(APPS, "grpc_app.py"), "client", "grpc-cli",
                                      str(GRPC)], capture_output=True, text=True, timeout=120, cwd=APPS,
                                     env=dict(os.environ, GRPC_TEST_SECRET=secret))
                self.assertEqual(out.returncode, 0, out.stderr)
                s = wait_for_count(scope, RPC, 10, service_name="grpc-srv")
                wait_for_count(scope, CRPC, 10, service_name="grpc-cli")
                wait_for_count(scope, "apiscope_access_log_events_total", 2 * 3 + 2 * 10)
            with open(log) as f:
                raw = f.read()
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.assertNotIn(secret, raw)
        lines = [json.loads(l) for l in raw.splitlines()]
        self.assertEqual(len(lines), 2 * 3 + 2 * 10)
        for kind, who in (("server", "h2-srv"), ("client", "curl")):
            got = [l for l in lines if l["service.name"] == who and l["span.kind"] == kind]
            self.assertEqual(sorted(l["http.request.header.x-request-id"][0] for l in got), ["r-0", "r-1", "r-2"])
            for l in got:
                self.assertEqual(l["network.protocol.version"], "2")
                self.assertEqual(l["http.request.method"], "GET")
                self.assertEqual(l["http.route"], "/items/{id}")
                self.assertEqual(l["http.response.status_code"], 200)
                self.assertEqual(l["http.request.header.authorization"], ["[REDACTED]"])
                self.assertEqual(l["http.request.header.user-agent"], ["h2-test/1"])
                self.assertEqual(l["http.response.header.content-type"], ["text/plain"])
        self.assertEqual(value(s, DUR, service_name="h2-srv", http_request_header_user_agent="h2-test"), 3)  # the product
        for kind, who in (("server", "grpc-srv"), ("client", "grpc-cli")):
            got = [l for l in lines if l["service.name"] == who and l["span.kind"] == kind]
            calls = collections.Counter((l["rpc.method"], l["rpc.response.status_code"]) for l in got)
            self.assertEqual(calls, {("demo.Items/Get", "OK"): 4, ("demo.Items/Get", "NOT_FOUND"): 1,
                                     ("demo.Items/Get", "INTERNAL"): 1, ("demo.Items/List", "OK"): 2,
                                     ("demo.Items/Collect", "OK"): 1, ("demo.Items/Chat", "OK"): 1}, kind)
            gets = [l for l in got if l["rpc.method"] == "demo.Items/Get"]
            self.assertEqual(sorted(l["http.request.header.x-request-id"][0] for l in gets),
                             ["get-%d" % i for i in range(6)])
            for l in got:
                self.assertEqual(l["rpc.system.name"], "grpc")
                self.assertEqual(l["network.protocol.version"], "2")
                self.assertEqual(l["http.response.status_code"], 200)
                self.assertEqual(l["http.response.header.content-type"], ["application/grpc"])
            for l in gets:
                self.assertEqual(l["http.request.header.authorization"], ["[REDACTED]"])
            self.assertEqual([l.get("error.type") for l in gets if l["rpc.response.status_code"] != "OK"],
                             ["NOT_FOUND", "INTERNAL"])


class Node(unittest.TestCase):
    """Node.js's http2 module and @grpc/grpc-js, over TLS (OpenSSL in node)."""

    def test_node_http2_and_grpc_js(self):
        from test_genai import npm_ci  # noqa: PLC0415 - the pinned npm packages, installed once
        npm_ci()
        d = tempfile.mkdtemp(prefix="apiscope-node-h2-")
        certificate(d)
        for n in ("node-h2-srv", "node-h2-cli", "node-grpc-srv", "node-grpc-cli"):
            os.symlink(shutil.which("node"), os.path.join(d, n))
        peers = os.path.join(NODE_DIR, "h2_peers.mjs")

        def run(name, *args):
            r = subprocess.run([os.path.join(d, name), peers, *args], capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, NODE_EXTRA_CA_CERTS=d + "/cert.pem"))
            self.assertEqual(r.returncode, 0, r.stderr)
            return json.loads(r.stdout)
        try:
            targets = [a for n in ("node-h2-srv", "node-h2-cli", "node-grpc-srv", "node-grpc-cli")
                       for a in ("--target.comm", n)]
            with Apiscope(*targets, port=19505) as scope, \
                    Server([d + "/node-h2-srv", peers, "http2-server", str(NODE_H2), d + "/cert.pem",
                            d + "/key.pem"], NODE_H2), \
                    Server([d + "/node-grpc-srv", peers, "grpc-server", str(NODE_GRPC), d + "/cert.pem",
                            d + "/key.pem"], NODE_GRPC):
                statuses = run("node-h2-cli", "http2-client", "https://localhost:%d" % NODE_H2, "20")
                grpc_out = run("node-grpc-cli", "grpc-client", str(NODE_GRPC), d + "/cert.pem")
                s = wait_for_count(scope, RPC, 6, service_name="node-grpc-srv")
                s = wait_for_count(scope, DUR, 20, service_name="node-h2-srv")
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.assertEqual(statuses.count(200), 16)
        self.assertEqual(statuses.count(404), 4)
        for side, name in (("node-h2-srv", DUR), ("node-h2-cli", CDUR)):
            c = dict(service_name=side, url_scheme="https", network_protocol_version="2")
            self.assertEqual(value(s, name, http_route="/items/{id}", http_response_status_code="200", **c), 16)
            self.assertEqual(value(s, name, http_route="/missing", http_response_status_code="404", **c), 4)
        self.assertEqual(grpc_out, {"Get": ["OK", "OK", "NOT_FOUND", "OK"], "List": [2, 4]})
        for side, name in (("node-grpc-srv", RPC), ("node-grpc-cli", CRPC)):
            r = lambda m, st: value(s, name, service_name=side, rpc_method="demo.Items/" + m,  # noqa: E731
                                    rpc_response_status_code=st)
            self.assertEqual(r("Get", "OK"), 3, side)
            self.assertEqual(r("Get", "NOT_FOUND"), 1, side)
            self.assertEqual(r("List", "OK"), 2, side)
        self.assertIn("rpc_client_call_duration_seconds_count", names(s))


if __name__ == "__main__":
    main()
