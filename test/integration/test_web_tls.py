"""tls_server_config: /metrics over HTTPS, with and without client
certificates, scraped by curl, Python's ssl and Prometheus itself. Plain HTTP,
a missing or foreign client certificate and a wrong password are refused and
counted; bad TLS files are one-line config errors."""
import base64
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import ssl
import json

from harness import ARGS, Apiscope, main, parse_metrics, value

PORT, PROM = 19492, 19493


def sh(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def make_pki(d):
    """A CA, a server certificate for localhost signed by it, a client
    certificate signed by it, and a client certificate signed by another CA."""
    for ca in ("ca", "other-ca"):
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + ca,
           "-keyout", f"{d}/{ca}.key", "-out", f"{d}/{ca}.pem")
    ext = f"{d}/san.ext"
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name, ca, extra in (("server", "ca", ["-extfile", ext]), ("client", "ca", []),
                            ("stranger", "other-ca", [])):
        sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name,
           "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr")
        sh("openssl", "x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/{ca}.pem", "-CAkey", f"{d}/{ca}.key",
           "-CAcreateserial", "-days", "2", "-out", f"{d}/{name}.pem", *extra)


def curl(*args):
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", *args],
                       capture_output=True, text=True)
    return r.stdout


class WebTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = tempfile.mkdtemp(prefix="apiscope-webtls-")
        make_pki(cls.d)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.d, ignore_errors=True)

    def web_config(self, text):
        path = os.path.join(self.d, "web.yml")
        with open(path, "w") as f:
            f.write(text.format(d=self.d))
        return path

    def context(self, cert=None):
        ctx = ssl.create_default_context(cafile=f"{self.d}/ca.pem")
        if cert:
            ctx.load_cert_chain(f"{self.d}/{cert}.pem", f"{self.d}/{cert}.key")
        return ctx

    def test_https_with_basic_auth(self):
        import crypt  # noqa: PLC0415 - deprecated in 3.11, still the stdlib's bcrypt
        hash_ = crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
        conf = self.web_config("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/server.key\n"
                               "basic_auth_users:\n  alice: '%s'\n" % hash_)
        with Apiscope("--web.config.file", conf, port=PORT, tls=self.context()) as scope:
            url = "https://localhost:%d/metrics" % PORT
            ca = ["--cacert", f"{self.d}/ca.pem"]
            self.assertEqual(curl(*ca, "-u", "alice:s3cret", url), "200")
            self.assertEqual(curl(*ca, "-u", "alice:wrong", url), "401")
            self.assertEqual(curl(*ca, url), "401")
            self.assertEqual(curl(*ca, "https://localhost:%d/healthz" % PORT), "200")
            # plain HTTP gets a 400 that says to use https, and is counted
            self.assertEqual(curl("http://localhost:%d/metrics" % PORT), "400")
            # a client that does not trust the certificate gives up in the handshake
            self.assertEqual(curl(url), "000")
            # keep-alive: three requests on one connection
            r = subprocess.run(["curl", "-s", *ca, "-u", "alice:s3cret", "-o", "/dev/null", "-o", "/dev/null",
                                "-o", "/dev/null", "-w", "%{num_connects}\n", url, url, url],
                               capture_output=True, text=True)
            self.assertEqual(r.stdout.split(), ["1", "0", "0"])
            req = urllib.request.Request(url, headers={
                "Authorization": "Basic " + base64.b64encode(b"alice:s3cret").decode()})
            samples = parse_metrics(urllib.request.urlopen(req, context=self.context()).read().decode())
            self.assertEqual(value(samples, "apiscope_web_requests_rejected_total", reason="unauthorized"), 2)
            self.assertEqual(value(samples, "apiscope_web_requests_rejected_total", reason="tls_handshake"), 2)
            self.assertEqual(value(samples, "apiscope_build_info"), 1)
            self.assertEqual(scope.stop(), 0)

    def test_client_certificates_and_prometheus(self):
        conf = self.web_config("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/server.key\n"
                               "  client_ca_file: {d}/ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n")
        with Apiscope("--web.config.file", conf, port=PORT, tls=self.context("client")) as scope:
            url = "https://localhost:%d/metrics" % PORT
            ca = ["--cacert", f"{self.d}/ca.pem"]
            self.assertEqual(curl(*ca, "--cert", f"{self.d}/client.pem", "--key", f"{self.d}/client.key", url), "200")
            self.assertEqual(curl(*ca, url), "000")
            self.assertEqual(curl(*ca, "--cert", f"{self.d}/stranger.pem", "--key", f"{self.d}/stranger.key", url),
                             "000")
            self.assertEqual(value(scope.scrape(), "apiscope_web_requests_rejected_total", reason="tls_handshake"), 2)

            # Prometheus scrapes it with its own TLS client
            prom_conf = os.path.join(self.d, "prometheus.yml")
            with open(prom_conf, "w") as f:
                f.write("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: apiscope\n"
                        "    scheme: https\n    tls_config: {ca_file: %s/ca.pem, cert_file: %s/client.pem, "
                        "key_file: %s/client.key, server_name: localhost}\n"
                        "    static_configs: [{targets: ['127.0.0.1:%d']}]\n" % (self.d, self.d, self.d, PORT))
            prom = subprocess.Popen(["prometheus", "--config.file", prom_conf, "--storage.tsdb.path",
                                     os.path.join(self.d, "data"), "--web.listen-address", "127.0.0.1:%d" % PROM,
                                     "--log.level", "warn"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                q = "http://127.0.0.1:%d/api/v1/query?%s" % (PROM, urllib.parse.urlencode(
                    {"query": 'up{job="apiscope"} * on() group_left count(apiscope_build_info)'}))
                deadline, result = time.monotonic() + 30, []
                while time.monotonic() < deadline and not result:
                    time.sleep(1)
                    try:
                        result = json.load(urllib.request.urlopen(q, timeout=5))["data"]["result"]
                    except OSError:
                        pass
                self.assertEqual([r["value"][1] for r in result], ["1"], "Prometheus scraped apiscope over mTLS")
            finally:
                prom.terminate()
                prom.wait()
            self.assertEqual(scope.stop(), 0)

    def test_bad_tls_files(self):
        def start(text):
            return subprocess.run([ARGS.apiscope, "--web.config.file", self.web_config(text)],
                                  capture_output=True, text=True, timeout=60)

        for text, needles in (
            ("tls_server_config:\n  cert_file: {d}/nope.pem\n  key_file: {d}/server.key\n",
             ["tls_server_config.cert_file", "nope.pem", "No such file"]),
            ("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/client.key\n",
             ["key_file", "does not belong to cert_file"]),
            ("tls_server_config:\n  cert_file: {d}/server.key\n  key_file: {d}/server.key\n",
             ["cert_file", "not a PEM certificate"]),
            ("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/server.key\n"
             "  client_auth_type: RequireAndVerifyClientCert\n", ["needs client_ca_file"]),
            ("tls_server_config:\n  cert_file: {d}/server.pem\n  key_file: {d}/server.key\n"
             "  client_auth_type: Sometimes\n", ["client_auth_type", "Sometimes"]),
        ):
            r = start(text)
            self.assertEqual(r.returncode, 2, r.stderr)
            lines = [l for l in r.stderr.splitlines() if l.startswith("apiscope")]
            self.assertEqual(len(lines), 1, r.stderr)
            for n in needles:
                self.assertIn(n, lines[0])


if __name__ == "__main__":
    main()
