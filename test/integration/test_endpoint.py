"""The /metrics endpoint, plain and over TLS (--web.config.file in the
exporter-toolkit format): basic auth and its timing, TLS versions and cipher
suites, the five client certificate policies, session resumption, certificate
rotation while running, Prometheus scraping over TLS with basic auth and over
mTLS, idle, slow and stalled connections that must not starve a scraper, and
bad web configs as one-line errors."""
import base64
import json
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import ARGS, Apiscope, main, parse_metrics, value

PORT, PROM = 19492, 19493
URL = "https://localhost:%d" % PORT


def sh(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def make_cert(d, name, ca, san=False):
    ext = []
    if san:
        with open(f"{d}/san.ext", "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        ext = ["-extfile", f"{d}/san.ext"]
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", f"{d}/{name}.key",
       "-out", f"{d}/{name}.csr")
    sh("openssl", "x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/{ca}.pem", "-CAkey", f"{d}/{ca}.key",
       "-CAcreateserial", "-days", "2", "-out", f"{d}/{name}.pem", *ext)


def make_pki(d):
    """Two CAs; a server certificate for localhost and a client one signed by
    the first, a client certificate signed by the other."""
    for ca in ("ca", "other-ca"):
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + ca,
           "-keyout", f"{d}/{ca}.key", "-out", f"{d}/{ca}.pem")
    make_cert(d, "server", "ca", san=True)
    make_cert(d, "client", "ca")
    make_cert(d, "stranger", "other-ca")


def curl(*args):
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", *args],
                       capture_output=True, text=True)
    return r.stdout


def bcrypt(password, cost=10):
    import crypt  # noqa: PLC0415 - deprecated in 3.11, still the stdlib's bcrypt
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** cost))


class Endpoint(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = tempfile.mkdtemp(prefix="apiscope-endpoint-")
        make_pki(cls.d)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.d, ignore_errors=True)

    def web_config(self, text, name="web.yml"):
        path = os.path.join(self.d, name)
        with open(path, "w") as f:
            f.write(text.format(d=self.d))
        return path

    TLS = "tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/server.key\n"

    def ca(self):
        return ["--cacert", f"{self.d}/ca.pem"]

    def context(self, cert=None):
        ctx = ssl.create_default_context(cafile=f"{self.d}/ca.pem")
        if cert:
            ctx.load_cert_chain(f"{self.d}/{cert}.pem", f"{self.d}/{cert}.key")
        return ctx

    def test_https_with_basic_auth(self):
        conf = self.web_config(self.TLS + "basic_auth_users:\n  alice: '%s'\n"
                               "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
                               "    Strict-Transport-Security: max-age=31536000\n" % bcrypt("s3cret"))
        with Apiscope("--web.config.file", conf, port=PORT, tls=self.context()) as scope:
            url = URL + "/metrics"
            ca = self.ca()
            self.assertEqual(curl(*ca, "-u", "alice:s3cret", url), "200")
            self.assertEqual(curl(*ca, "-u", "alice:wrong", url), "401")
            self.assertEqual(curl(*ca, "-u", "mallory:s3cret", url), "401")
            self.assertEqual(curl(*ca, url), "401")
            self.assertEqual(curl(*ca, URL + "/healthz"), "200")
            self.assertEqual(curl(*ca, "-u", "alice:s3cret", URL + "/nothing"), "404")
            # plain HTTP and a client that does not trust the certificate: no TLS session, no answer
            self.assertEqual(curl("http://localhost:%d/metrics" % PORT), "000")
            self.assertEqual(curl(url), "000")
            # keep-alive: three requests on one connection; the configured headers; gzip
            r = subprocess.run(["curl", "-s", *ca, "-u", "alice:s3cret", "--compressed", "-D", "-", "-o", "/dev/null",
                                "-o", "/dev/null", "-o", "/dev/null", "-w", "connects=%{num_connects}\n", url, url,
                                url], capture_output=True, text=True)
            self.assertEqual([l for l in r.stdout.split() if l.startswith("connects=")],
                             ["connects=1", "connects=0", "connects=0"])
            for h in ("X-Frame-Options: deny", "Strict-Transport-Security: max-age=31536000",
                      "Content-Encoding: gzip", "Content-Type: text/plain; version=0.0.4; charset=utf-8"):
                self.assertIn(h.lower(), r.stdout.lower())
            req = urllib.request.Request(url, headers={
                "Authorization": "Basic " + base64.b64encode(b"alice:s3cret").decode()})
            samples = parse_metrics(urllib.request.urlopen(req, context=self.context()).read().decode())
            self.assertEqual(value(samples, "apiscope_web_requests_rejected_total", reason="unauthorized"), 3)
            self.assertEqual(value(samples, "apiscope_web_requests_rejected_total", reason="tls_handshake"), 2)
            self.assertEqual(value(samples, "apiscope_web_requests_total", code="401"), 3)
            self.assertEqual(value(samples, "apiscope_web_requests_total", code="404"), 1)
            self.assertEqual(value(samples, "apiscope_build_info"), 1)
            self.assertEqual(scope.stop(), 0)

    def test_password_timing(self):
        """An unknown user costs a bcrypt like a known user with a wrong
        password; a correct password is checked by bcrypt once, then cached."""
        conf = self.web_config("basic_auth_users:\n  alice: '%s'\n  bob: '%s'\n" % (bcrypt("s3cret", 12),
                                                                                  bcrypt("other", 10)))
        with Apiscope("--web.config.file", conf, port=PORT) as scope:
            url = "http://127.0.0.1:%d/metrics" % PORT

            def timed(user):
                start = time.perf_counter()
                code = curl("-u", user, url)
                return code, time.perf_counter() - start
            unknown, wrong = [], []
            for _ in range(9):  # interleaved, so that a slow moment hits both
                code, t = timed("mallory:s3cret")
                self.assertEqual(code, "401")
                unknown.append(t)
                code, t = timed("alice:wrong")
                self.assertEqual(code, "401")
                wrong.append(t)
            med_u, med_w = statistics.median(unknown), statistics.median(wrong)
            spread = max(statistics.quantiles(unknown, n=4)[2] - statistics.quantiles(unknown, n=4)[0],
                         statistics.quantiles(wrong, n=4)[2] - statistics.quantiles(wrong, n=4)[0])
            # bcrypt at cost 12 is tens of milliseconds: both paid it
            self.assertGreater(min(med_u, med_w), 0.02, (unknown, wrong))
            self.assertLess(abs(med_u - med_w), max(spread, 0.1 * med_w), (unknown, wrong))
            first = timed("alice:s3cret")
            cached = [timed("alice:s3cret") for _ in range(5)]
            self.assertEqual({first[0]} | {c for c, _ in cached}, {"200"})
            self.assertLess(statistics.median(t for _, t in cached), med_w / 4, (first, cached, med_w))
            self.assertEqual(scope.stop(), 0)

    def test_tls_versions_and_cipher_suites(self):
        ca = self.ca()
        conf = self.web_config(self.TLS + "  min_version: TLS13\n")
        with Apiscope("--web.config.file", conf, port=PORT, tls=self.context()) as scope:
            self.assertEqual(curl(*ca, "--tlsv1.2", "--tls-max", "1.2", URL + "/healthz"), "000")
            self.assertEqual(curl(*ca, "--tlsv1.3", URL + "/healthz"), "200")
            self.assertEqual(scope.stop(), 0)
        conf = self.web_config(self.TLS + "  max_version: TLS12\n  cipher_suites:\n"
                               "    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n")
        with Apiscope("--web.config.file", conf, port=PORT, tls=self.context()) as scope:
            self.assertEqual(curl(*ca, "--tlsv1.3", URL + "/healthz"), "000")
            self.assertEqual(curl(*ca, "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES256-GCM-SHA384",
                                  URL + "/healthz"), "000")
            self.assertEqual(curl(*ca, "--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256",
                                  URL + "/healthz"), "200")
            self.assertEqual(scope.stop(), 0)

    def test_client_auth_types(self):
        ca = self.ca()
        client = ["--cert", f"{self.d}/client.pem", "--key", f"{self.d}/client.key"]
        stranger = ["--cert", f"{self.d}/stranger.pem", "--key", f"{self.d}/stranger.key"]
        # (policy, needs the CA) -> codes for: our client's certificate, another CA's, none
        for policy, verifies, expected in (
                ("NoClientCert", False, ("200", "200", "200")),
                ("RequestClientCert", False, ("200", "200", "200")),
                ("RequireAnyClientCert", False, ("200", "200", "000")),
                ("VerifyClientCertIfGiven", True, ("200", "000", "200")),
                ("RequireAndVerifyClientCert", True, ("200", "000", "000"))):
            conf = self.web_config(self.TLS + "  client_auth_type: %s\n" % policy +
                                   ("  client_ca_file: {d}/ca.pem\n" if verifies else ""))
            with Apiscope("--web.config.file", conf, port=PORT, tls=self.context("client")) as scope:
                got = tuple(curl(*ca, *cert, URL + "/healthz") for cert in (client, stranger, []))
                self.assertEqual(got, expected, policy)
                refused = value(scope.scrape(), "apiscope_web_requests_rejected_total", reason="client_certificate")
                self.assertEqual(refused, 1 if verifies else 0, policy)
                self.assertEqual(scope.stop(), 0)

    def test_session_resumption(self):
        conf = self.web_config(self.TLS)
        sess = os.path.join(self.d, "session")
        with Apiscope("--web.config.file", conf, port=PORT, tls=self.context()) as scope:
            outs = []
            for flag in ("-sess_out", "-sess_in"):
                r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % PORT, "-servername",
                                    "localhost", "-CAfile", f"{self.d}/ca.pem", "-ign_eof", flag, sess],
                                   input="GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                                   capture_output=True, text=True, timeout=30)
                self.assertIn("\nok", r.stdout)
                outs.append(r.stdout)
            self.assertIn("New, TLSv1.3", outs[0])
            self.assertIn("Reused, TLSv1.3", outs[1])
            self.assertEqual(scope.stop(), 0)

    def peer_certificate(self):
        ctx = self.context()
        with socket.create_connection(("127.0.0.1", PORT), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                return t.getpeercert(binary_form=True)

    def test_certificate_rotation(self):
        d = os.path.join(self.d, "rot")
        os.makedirs(d, exist_ok=True)
        for ext in ("pem", "key"):
            shutil.copy(f"{self.d}/server.{ext}", f"{d}/server.{ext}")
        conf = self.web_config("tls_server_config:\n  cert_file: %s/server.pem\n  key_file: %s/server.key\n" % (d, d))
        with Apiscope("--web.config.file", conf, port=PORT, tls=self.context()) as scope:
            before = self.peer_certificate()
            # cert-manager's way: new files written, then swapped in
            make_cert(self.d, "server2", "ca", san=True)
            for ext in ("pem", "key"):
                shutil.copy(f"{self.d}/server2.{ext}", f"{d}/new.{ext}")
            os.rename(f"{d}/new.key", f"{d}/server.key")
            os.rename(f"{d}/new.pem", f"{d}/server.pem")
            with open(f"{self.d}/server2.pem") as f:
                want = ssl.PEM_cert_to_DER_cert(f.read())
            deadline = time.monotonic() + 10
            while self.peer_certificate() != want and time.monotonic() < deadline:
                time.sleep(0.3)
            self.assertNotEqual(before, want)
            self.assertEqual(self.peer_certificate(), want)
            # a broken new certificate: the one in use is kept, and said
            with open(f"{d}/server.pem", "w") as f:
                f.write("not a certificate\n")
            time.sleep(2.5)
            self.peer_certificate()  # a handshake looks at the files
            self.assertEqual(self.peer_certificate(), want)
            s = scope.scrape()
            self.assertEqual(value(s, "apiscope_web_tls_reloads_total", result="ok"), 1)
            self.assertEqual(value(s, "apiscope_web_tls_reloads_total", result="failed"), 1)
            self.assertEqual(scope.stop(), 0)
            self.assertIn("cannot reload", scope.stderr)
            self.assertIn("keeping the certificate in use", scope.stderr)

    def test_prometheus_over_tls(self):
        """Prometheus scrapes over TLS with basic auth, and over mTLS."""
        for name, web, tls_extra, auth in (
                ("basic_auth", self.TLS + "basic_auth_users:\n  prom: '%s'\n" % bcrypt("scrape"), "",
                 "    basic_auth: {username: prom, password: scrape}\n"),
                ("mtls", self.TLS + "  client_ca_file: {d}/ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n",
                 ", cert_file: {d}/client.pem, key_file: {d}/client.key", "")):
            conf = self.web_config(web)
            with Apiscope("--web.config.file", conf, port=PORT, tls=self.context("client")) as scope:
                prom_conf = os.path.join(self.d, "prometheus.yml")
                with open(prom_conf, "w") as f:
                    f.write(("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: apiscope\n"
                             "    scheme: https\n    tls_config: {ca_file: {d}/ca.pem, server_name: localhost"
                             + tls_extra + "}\n" + auth +
                             "    static_configs: [{targets: ['127.0.0.1:%d']}]\n" % PORT).replace("{d}", self.d))
                data = os.path.join(self.d, "data-" + name)
                prom = subprocess.Popen(["prometheus", "--config.file", prom_conf, "--storage.tsdb.path", data,
                                         "--web.listen-address", "127.0.0.1:%d" % PROM, "--log.level", "warn"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    q = "http://127.0.0.1:%d/api/v1/query?%s" % (PROM, urllib.parse.urlencode(
                        {"query": 'count_over_time(up{job="apiscope"}[1m]) * on() group_left '
                                  'count(apiscope_build_info)'}))
                    deadline, result = time.monotonic() + 30, []
                    while time.monotonic() < deadline and not (result and float(result[0]["value"][1]) >= 3):
                        time.sleep(1)
                        try:
                            result = json.load(urllib.request.urlopen(q, timeout=5))["data"]["result"]
                        except OSError:
                            pass
                    self.assertTrue(result and float(result[0]["value"][1]) >= 3, (name, result))
                    up = json.load(urllib.request.urlopen("http://127.0.0.1:%d/api/v1/query?query=up" % PROM))
                    self.assertEqual([r["value"][1] for r in up["data"]["result"]], ["1"], name)
                finally:
                    prom.terminate()
                    prom.wait()
                req = urllib.request.Request(URL + "/metrics", headers={
                    "Authorization": "Basic " + base64.b64encode(b"prom:scrape").decode()})
                s = parse_metrics(urllib.request.urlopen(req, context=self.context("client")).read().decode())
                self.assertEqual(value(s, "apiscope_web_requests_rejected_total", reason="unauthorized"), 0, name)
                self.assertGreaterEqual(value(s, "apiscope_web_scrapes_total"), 3, name)
                self.assertEqual(scope.stop(), 0)

    def test_bad_web_configs(self):
        def start(text):
            return subprocess.run([ARGS.apiscope, "--web.config.file", self.web_config(text, "bad.yml")],
                                  capture_output=True, text=True, timeout=60)
        with open(f"{self.d}/garbage.key", "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n")
        for text, needles in (
            ("tls_server_config:\n  cert_file: {d}/nope.pem\n  key_file: {d}/server.key\n",
             ["tls_server_config.cert_file", "nope.pem", "No such file"]),
            ("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/client.key\n",
             ["key_file", "does not belong to cert_file"]),
            ("tls_server_config:\n  cert_file: {d}/server.key\n  key_file: {d}/server.key\n",
             ["cert_file", "not a PEM certificate"]),
            ("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/garbage.key\n",
             ["key_file", "garbage.key", "not an unencrypted PEM private key"]),
            ("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/server.key\n"
             "  client_auth_type: RequireAndVerifyClientCert\n", ["needs client_ca_file"]),
            ("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/server.key\n"
             "  client_auth_type: Sometimes\n", ["client_auth_type", "Sometimes"]),
            ("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/server.key\n"
             "  prefer_server_cipher_suites: true\n", ["prefer_server_cipher_suites", "unknown key"]),
            ("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/server.key\n"
             "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", ["cipher_suites", "TLS_AES_128_GCM_SHA256"]),
            ("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/server.key\n"
             "  min_version: TLS11\n", ["min_version", "TLS11"]),
            ("basic_auth_users:\n  alice: plaintext\n", ["basic_auth_users.alice", "bcrypt"]),
            ("basic_auth_users:\n  alice: '$2y$10$short'\n", ["basic_auth_users.alice", "bcrypt"]),
            ("http_server_config:\n  headers:\n    Server: apiscope\n", ["headers.Server", "not allowed"]),
            ("http_server_config:\n  http2: true\n", ["http2", "HTTP/1.1 only"]),
            ("tls_config:\n  cert_file: x\n", ["tls_config", "unknown key"]),
        ):
            r = start(text)
            self.assertEqual(r.returncode, 2, r.stderr)
            lines = [l for l in r.stderr.splitlines() if l.startswith("apiscope")]
            self.assertEqual(len(lines), 1, r.stderr)
            for n in needles:
                self.assertIn(n, lines[0])
        r = subprocess.run([ARGS.apiscope, "--web.config.file", f"{self.d}/missing.yml"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("missing.yml", r.stderr)


class Hold(threading.Thread):
    """Connections that never finish a request: idle ones, ones sending a
    head a byte at a time, and (over TLS) ones stuck in the handshake."""

    def __init__(self, kind, tls_context=None):
        super().__init__(daemon=True)
        self.kind, self.ctx, self.stop = kind, tls_context, threading.Event()
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=10)

    def run(self):
        s = self.sock
        try:
            if self.kind == "stalled_handshake":
                s.sendall(b"\x16\x03\x01\x02\x00\x01")  # the start of a ClientHello, and nothing more
            if self.kind == "slow_head":
                if self.ctx:
                    s = self.ctx.wrap_socket(s, server_hostname="localhost")
                for b in b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 200:
                    if self.stop.wait(0.3):
                        break
                    s.send(bytes([b]))
            self.stop.wait()
        except OSError:
            pass
        finally:
            s.close()


class Starvation(unittest.TestCase):
    """Idle, slow-head and stalled-handshake connections held open while a
    scraper keeps being answered within a second, plain and over TLS; past the
    bound per client address new connections are refused and counted, and
    silent ones are closed at the read timeout."""

    def scrapes_go_on(self, scope, ctx, seconds=4):
        url = scope.url + "/metrics"
        worst = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            start = time.monotonic()
            body = urllib.request.urlopen(url, timeout=5, context=ctx).read()
            worst = max(worst, time.monotonic() - start)
            self.assertIn(b"apiscope_build_info", body)
            time.sleep(0.1)
        return worst

    def hold(self, kinds, ctx=None):
        holds = [Hold(k, ctx) for k in kinds]
        for h in holds:
            h.start()
        time.sleep(0.5)
        return holds

    def release(self, holds):
        for h in holds:
            h.stop.set()
        for h in holds:
            h.join()

    def test_plain(self):
        with Apiscope(port=PORT) as scope:
            holds = self.hold(["idle"] * 6 + ["slow_head"] * 6)
            try:
                self.assertLess(self.scrapes_go_on(scope, None), 1.0)
            finally:
                self.release(holds)
            self.assertEqual(scope.stop(), 0)

    def test_tls(self):
        d = tempfile.mkdtemp(prefix="apiscope-starve-")
        try:
            make_pki(d)
            with open(d + "/web.yml", "w") as f:
                f.write("tls_server_config:\n  cert_file: %s/server.pem\n  key_file: %s/server.key\n" % (d, d))
            ctx = ssl.create_default_context(cafile=d + "/ca.pem")
            with Apiscope("--web.config.file", d + "/web.yml", port=PORT, tls=ctx) as scope:
                holds = self.hold(["idle"] * 4 + ["stalled_handshake"] * 4 + ["slow_head"] * 4, ctx)
                try:
                    self.assertLess(self.scrapes_go_on(scope, ctx), 1.0)
                finally:
                    self.release(holds)
                self.assertEqual(scope.stop(), 0)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_head_deadline(self):
        """A head sent a byte every 0.3 s never goes silent, and is cut at the
        deadline all the same."""
        with Apiscope("--web.read-timeout-seconds", "2", port=PORT) as scope:
            s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
            start, cut = time.monotonic(), None
            try:
                for b in b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 100:
                    s.send(bytes([b]))
                    time.sleep(0.3)
            except OSError:
                cut = time.monotonic() - start
            finally:
                s.close()
            self.assertIsNotNone(cut, "the slow head was never cut")
            self.assertLess(cut, 4.0)
            s = scope.scrape()
            self.assertEqual(value(s, "apiscope_web_requests_rejected_total", reason="head_timeout"), 1)
            self.assertEqual(scope.stop(), 0)

    def test_bounds_and_read_timeout(self):
        with Apiscope("--web.max-connections-per-ip", "4", "--web.read-timeout-seconds", "2", port=PORT) as scope:
            holds = self.hold(["idle"] * 4)
            try:
                with self.assertRaises(OSError):  # a fifth connection from this address: closed at once
                    urllib.request.urlopen(scope.url + "/metrics", timeout=5).read()
                time.sleep(3)  # the idle ones are cut at the deadline
                s = parse_metrics(urllib.request.urlopen(scope.url + "/metrics", timeout=5).read().decode())
            finally:
                self.release(holds)
            self.assertEqual(value(s, "apiscope_web_requests_rejected_total", reason="address_limit"), 1)
            self.assertEqual(value(s, "apiscope_web_requests_rejected_total", reason="head_timeout"), 4)
            self.assertEqual(scope.stop(), 0)


if __name__ == "__main__":
    main()
