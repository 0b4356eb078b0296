"""HTTPS in Go programs (crypto/tls, no OpenSSL), built here from the
standard library with Debian's Go: a net/http server, built as is and
stripped (-ldflags "-s -w"), started after apiscope, one of them by a Go
program that execs; curl, Python and a Go client (HTTP/1.1 and HTTP/2)
calling it; the Go client calling nginx and an LLM server over HTTPS; many
goroutines on many connections at once. Counts, routes, statuses and sizes
exact on both sides."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from harness import APPS, ARGS, Apiscope, Server, curl, main, nginx, value, wait_for_count

HERE = os.path.dirname(os.path.abspath(__file__))
GO_SRC = os.path.join(os.path.dirname(HERE), "go")
NODE_DIR = os.path.join(os.path.dirname(HERE), "node")
SRV, STRIP, NGINX, LLM_HTTP, LLM = 18401, 18402, 18403, 18404, 18405
DUR = "http_server_request_duration_seconds_count"
CDUR = "http_client_request_duration_seconds_count"
NAMES = ["go-srv", "go-strip", "go-cli", "go-exec", "curl", "py-tls", "nginx", "llm-provider"]

NGINX_SERVER = """
        listen 127.0.0.1:%(port)d ssl http2;
        ssl_certificate %(dir)s/cert.pem;
        ssl_certificate_key %(dir)s/key.pem;
        location /items/ { return 200 "nginx item\\n"; }""" 


PLAIN_SERVER = """package main

import ("bufio"; "fmt"; "net")

func main() {
	ln, _ := net.Listen("tcp", "127.0.0.1:18407")
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func(c net.Conn) {
			defer c.Close()
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\\n')
				if err != nil {
					return
				}
				if line == "\\r\\n" {
					c.Write([]byte("HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n"))
				}
			}
		}(c)
	}
}
"""


def go_build(d, src, out, strip=False, flags=()):
    env = dict(os.environ, GOCACHE=os.path.join(d, "gocache"), GOPATH=os.path.join(d, "gopath"), GO111MODULE="off",
               CGO_ENABLED="0")
    flags = (["-ldflags", "-s -w"] if strip else []) + list(flags)
    r = subprocess.run(["go", "build", *flags, "-o", os.path.join(d, out), os.path.join(GO_SRC, src)], env=env,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError("go build %s failed (Debian's golang-go is needed): %s" % (src, r.stderr))


class GoTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = d = tempfile.mkdtemp(prefix="apiscope-go-")
        os.chmod(d, 0o755)  # nginx workers run as nobody
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", d + "/key.pem", "-out", d + "/cert.pem"], check=True, capture_output=True)
        go_build(d, "tls_server.go", "go-srv")
        go_build(d, "tls_server.go", "go-strip", strip=True)
        go_build(d, "tls_server.go", "go-exec")
        go_build(d, "tls_server.go", "go-noopt", flags=["-gcflags", "all=-N -l"])  # the same functions elsewhere
        go_build(d, "tls_client.go", "go-cli")
        cls.scope = Apiscope(*[a for n in NAMES for a in ("--target.comm", n)], port=19507).__enter__()
        try:
            cls.run_all()
        except BaseException:
            cls.scope.stop()
            shutil.rmtree(d, ignore_errors=True)
            raise
        cls.scope.close()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.d, ignore_errors=True)

    @classmethod
    def probed(cls):
        return value(cls.scope.scrape(), "apiscope_go_tls_processes_probed_total")

    @classmethod
    def wait_probed(cls, n):
        """Until apiscope has probed the crypto/tls of n Go processes since it
        started (a process is probed some milliseconds after each exec)."""
        deadline = time.monotonic() + 20
        while cls.probed() < n:
            if time.monotonic() > deadline:
                raise AssertionError("%d Go processes probed, not %d" % (cls.probed(), n))
            time.sleep(0.1)

    @classmethod
    def go_client(cls, *args):
        n = cls.probed()
        p = subprocess.Popen([os.path.join(cls.d, "go-cli"), args[0], args[1], cls.d + "/cert.pem", *map(str, args[2:])],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            cls.wait_probed(n + 1)
            out, err = p.communicate("go\n", timeout=120)
        finally:
            p.kill()
        if p.returncode != 0:
            raise AssertionError("go client %s failed: %s" % (args, err))
        return json.loads(out)

    @classmethod
    def run_all(cls):
        d = cls.d
        srv = lambda name, port, *pre: Server([os.path.join(d, name), *pre, "127.0.0.1:%d" % port,  # noqa: E731
                                               d + "/cert.pem", d + "/key.pem"], port)
        node = shutil.which("node")
        n = cls.probed()
        os.symlink(node, os.path.join(d, "llm-provider"))
        with srv("go-srv", SRV), srv("go-strip", STRIP), nginx(d, NGINX_SERVER % {"port": NGINX, "dir": d}, NGINX), \
                Server([os.path.join(d, "llm-provider"), os.path.join(NODE_DIR, "llm_provider.mjs"), str(LLM_HTTP),
                        str(LLM), d + "/cert.pem", d + "/key.pem"], LLM_HTTP):
            cls.wait_probed(n + 2)
            for port in (SRV, STRIP):
                for i in range(5):  # curl: HTTP/2 by ALPN, then HTTP/1.1
                    assert curl("-k", "https://127.0.0.1:%d/items/%d" % (port, i)) == 200
                    assert curl("-k", "--http1.1", "https://127.0.0.1:%d/items/%d" % (port, i)) == 200
                assert curl("-k", "https://127.0.0.1:%d/nothing" % port) == 404
                out = subprocess.run([sys.executable, os.path.join(APPS, "tls_client.py"), "py-tls", "https",
                                      str(port), "4", "/size/1000", "/size/10"], capture_output=True, text=True,
                                     timeout=60, cwd=APPS)
                assert out.returncode == 0, out.stderr
            cls.h2 = cls.go_client("h2", "https://localhost:%d" % SRV, 30)
            cls.h1 = cls.go_client("h1", "https://localhost:%d" % STRIP, 12)
            cls.conns = cls.go_client("conns", "https://localhost:%d" % SRV, 16, 5)
            cls.nginx_h2 = cls.go_client("h2", "https://localhost:%d" % NGINX, 10)
            cls.nginx_h1 = cls.go_client("h1", "https://localhost:%d" % NGINX, 7)
            cls.llm = cls.go_client("llm", "https://localhost:%d/v1" % LLM, 3)
            # a Go program that execs itself as the server: probed at each exec
            n = cls.probed()
            with srv("go-exec", 18406, "exec"):
                cls.wait_probed(n + 2)
                for i in range(4):
                    assert curl("-k", "https://127.0.0.1:18406/items/%d" % i) == 200
                cls.samples = wait_for_count(cls.scope, DUR, 4, service_name="go-exec")
            # go-exec rewritten in place (same file, other code) and run again:
            # probed at its new offsets, never at the old ones
            with open(os.path.join(d, "go-noopt"), "rb") as src, open(os.path.join(d, "go-exec"), "r+b") as dst:
                shutil.copyfileobj(src, dst)
                dst.truncate()
            n = cls.probed()
            with srv("go-exec", 18406):
                cls.wait_probed(n + 1)
                for i in range(3):
                    assert curl("-k", "--http1.1", "https://127.0.0.1:18406/items/%d" % i) == 200
                cls.samples = wait_for_count(cls.scope, DUR, 7, service_name="go-exec")
            cls.samples = wait_for_count(cls.scope, CDUR, 30 + 12 + 80 + 10 + 7 + 3, service_name="go-cli")
        # every Go program has exited: what the kernel kept of them goes too
        cls.go_state_live = cls.go_state(cls.samples)
        deadline = time.monotonic() + 15
        while True:
            cls.go_state_left = cls.go_state(cls.scope.scrape())
            if not any(cls.go_state_left.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.5)

    @staticmethod
    def go_state(samples):
        return {m: value(samples, "apiscope_bpf_map_entries", map=m) for m in ("go_conns", "go_calls")}

    def v(self, name, **labels):
        return value(self.samples, name, **labels)

    def test_server_side_exact(self):
        # curl's 5 + 5 on each, and the Go client's 30 over HTTP/2 to go-srv, 12 over HTTP/1.1 to go-strip
        for server, version, n in (("go-srv", "2", 5 + 30), ("go-srv", "1.1", 5), ("go-strip", "2", 5),
                                   ("go-strip", "1.1", 5 + 12)):
            self.assertEqual(self.v(DUR, service_name=server, http_route="/items/{id}", url_scheme="https",
                                    http_response_status_code="200", network_protocol_version=version), n,
                             (server, version))
        for server in ("go-srv", "go-strip"):
            self.assertEqual(self.v(DUR, service_name=server, http_route="/nothing",
                                    http_response_status_code="404"), 1, server)
            self.assertEqual(self.v(DUR, service_name=server, http_route="/size/{id}"), 8 + (80 if server == "go-srv"
                                                                                              else 0), server)
        self.assertEqual(self.v(DUR, service_name="go-exec", http_route="/items/{id}"), 4 + 3)

    def test_body_sizes_exact(self):
        # Python asked /size/1000 and /size/10 four times each, on each server
        for server in ("go-srv", "go-strip"):
            self.assertEqual(self.v("http_server_response_body_size_bytes_sum", service_name=server,
                                    http_route="/size/{id}", network_protocol_version="1.1"),
                             4 * 1010 + (sum(100 * g + j for g in range(1, 16, 2) for j in range(5))
                                         if server == "go-srv" else 0), server)

    def test_go_client_side_exact(self):
        self.assertEqual(self.h2["statuses"], {"200": 30})
        self.assertEqual(self.h1["statuses"], {"200": 12})
        for port, version, n in ((SRV, "2", 30), (STRIP, "1.1", 12), (NGINX, "2", 10), (NGINX, "1.1", 7)):
            self.assertEqual(self.v(CDUR, service_name="go-cli", server_port=str(port), url_scheme="https",
                                    http_route="/items/{id}", http_response_status_code="200",
                                    network_protocol_version=version), n, (port, version))
        # and nginx saw the same
        self.assertEqual(self.v(DUR, service_name="nginx", network_protocol_version="2"), 10)
        self.assertEqual(self.v(DUR, service_name="nginx", network_protocol_version="1.1"), 7)

    def test_many_goroutines_on_many_connections(self):
        """16 goroutines, each on connections of its own (HTTP/2 or HTTP/1.1),
        asking sizes no other asks: every byte lands on its own connection."""
        self.assertEqual(self.conns["statuses"], {"200": 80})
        sizes = sum(100 * g + j for g in range(16) for j in range(5))
        self.assertEqual(self.conns["bytes"], sizes)
        self.assertEqual(self.v("http_client_response_body_size_bytes_sum", service_name="go-cli",
                                http_route="/size/{id}", server_port=str(SRV)), sizes)
        self.assertEqual(self.v("http_server_response_body_size_bytes_sum", service_name="go-srv",
                                http_route="/size/{id}", network_protocol_version="2"),
                         sum(100 * g + j for g in range(0, 16, 2) for j in range(5)))
        for reason in ("framing_lost", "not_http", "unmatched_response", "h2_framing_lost"):
            self.assertEqual(self.v("apiscope_parse_failures_total", reason=reason), 0, reason)
        self.assertEqual(self.v("apiscope_events_dropped_total", reason="tls_socket_unknown"), 0)
        self.assertEqual(self.v("apiscope_http2_requests_unknown_total"), 0)

    def test_llm_calls_from_go(self):
        self.assertEqual(self.llm["statuses"], {"200": 3})
        labels = dict(service_name="go-cli", gen_ai_request_model="gpt-go", server_port=str(LLM))
        self.assertEqual(self.v("gen_ai_client_operation_duration_seconds_count", **labels), 3)
        self.assertEqual(self.v("gen_ai_client_token_usage_sum", gen_ai_token_type="output", **labels),
                         self.llm["output_tokens"])
        self.assertEqual(self.v("gen_ai_client_token_usage_sum", gen_ai_token_type="input", **labels),
                         self.llm["input_tokens"])

    def test_no_state_left_by_go_programs_gone(self):
        self.assertGreater(self.go_state_live["go_conns"], 0)  # the servers' sockets, while they ran
        self.assertEqual(self.go_state_left, {"go_conns": 0, "go_calls": 0})

    def test_probe_status(self):
        got = {(l["service_name"], l["state"]) for n, l, v in self.samples if n == "apiscope_tls_probe_status" and v
               and l["library"].startswith("go1.")}
        for name in ("go-srv", "go-strip", "go-cli", "go-exec"):
            self.assertIn((name, "attached"), got)


class GoBinaryReading(unittest.TestCase):
    """apiscope's reading of a Go executable against Go's own: the function
    table (debug/gosym) and the RET instructions (go tool objdump), for a
    binary as built and stripped."""

    def test_same_as_go_tools(self):
        d = tempfile.mkdtemp(prefix="apiscope-go-read-")
        try:
            go_build(d, "tls_server.go", "srv")
            go_build(d, "tls_server.go", "srv-stripped", strip=True)
            go_build(d, "gosym_dump.go", "gosym_dump")
            sites = os.path.join(os.path.dirname(ARGS.apiscope), "test", "go_sites")
            for binary in ("srv", "srv-stripped"):
                path = os.path.join(d, binary)
                ours = subprocess.run([sites, path], capture_output=True, text=True, check=True).stdout.split("\n")
                theirs = subprocess.run([os.path.join(d, "gosym_dump"), path], capture_output=True, text=True,
                                        check=True).stdout.split("\n")
                version = subprocess.run(["go", "version", path], capture_output=True, text=True).stdout
                self.assertIn(ours[0].split()[1], version)  # "version go1.19.8"
                for mine, go in zip([l for l in ours if l.startswith("func")], [l for l in theirs if l]):
                    _, name, entry, *rets = mine.split()
                    _, name2, entry2, end = go.split()
                    self.assertEqual((name, int(entry, 16)), (name2, int(entry2, 16)), binary)
                    # objdump needs the symbol table: the stripped build's code is the same
                    dump = subprocess.run(["go", "tool", "objdump", "-s", re.escape(name) + "$",
                                           os.path.join(d, "srv")], capture_output=True, text=True, check=True).stdout
                    go_rets = [int(m, 16) for m in re.findall(r"^\s+\S+\s+0x([0-9a-f]+)\s+c3\s+RET", dump, re.M)]
                    self.assertTrue(go_rets, (binary, name))
                    self.assertEqual([int(r, 16) for r in rets], go_rets, (binary, name))
                    self.assertTrue(all(int(entry2, 16) <= r < int(end, 16) for r in go_rets))
        finally:
            shutil.rmtree(d, ignore_errors=True)


class GoUnsupported(unittest.TestCase):
    def test_a_go_program_without_tls(self):
        """A Go program without crypto/tls answering HTTP by hand: TLS
        unsupported (the reason in the log), its plaintext requests counted."""
        d = tempfile.mkdtemp(prefix="apiscope-go-plain-")
        try:
            with open(d + "/plain.go", "w") as f:  # net only: net/http would bring crypto/tls in
                f.write(PLAIN_SERVER)
            env = dict(os.environ, GOCACHE=d + "/cache", GOPATH=d + "/gopath", GO111MODULE="off", CGO_ENABLED="0")
            subprocess.run(["go", "build", "-o", d + "/go-plain", d + "/plain.go"], env=env, check=True,
                           capture_output=True, timeout=300)
            with Apiscope("--target.comm", "go-plain", "--target.comm", "curl", port=19508) as scope, \
                    Server([d + "/go-plain"], 18407):
                for _ in range(3):
                    self.assertEqual(curl("http://127.0.0.1:18407/p/1"), 200)
                s = wait_for_count(scope, DUR, 3, service_name="go-plain")
                deadline = time.monotonic() + 10
                while not [1 for n, l, v in s if n == "apiscope_tls_probe_status" and v and
                           l.get("service_name") == "go-plain"] and time.monotonic() < deadline:
                    time.sleep(0.3)
                    s = scope.scrape()
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.assertEqual(value(s, DUR, service_name="go-plain", url_scheme="http"), 3)
        status = {(l["library"], l["state"]) for n, l, v in s if n == "apiscope_tls_probe_status" and v and
                  l["service_name"] == "go-plain"}
        self.assertEqual(len(status), 1, status)
        library, state = status.pop()
        self.assertTrue(library.startswith("go1."), library)
        self.assertEqual(state, "unsupported")


if __name__ == "__main__":
    main()
