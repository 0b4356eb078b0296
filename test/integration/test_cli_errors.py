"""Bad input gets one clear line and a non-zero exit; good input starts, serves
/, /healthz and valid /metrics, and SIGTERM detaches everything."""
import os
import signal
import socket
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from harness import ARGS, Apiscope, main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args, user=None):
    cmd = [ARGS.apiscope, *args]
    if user:
        cmd = ["setpriv", "--reuid", user, "--regid", "nogroup", "--clear-groups", "--inh-caps=-all", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def prog_ids():
    out = subprocess.run(["bpftool", "prog", "show"], capture_output=True, text=True).stdout
    return {l.split(":")[0] for l in out.splitlines() if "syscall_exit" in l}


BEFORE = prog_ids()  # another apiscope on the host (a soak run) is not ours


def our_programs():
    return sorted(prog_ids() - BEFORE)


class Cli(unittest.TestCase):
    def assertOneLineError(self, r, code, *needles):
        self.assertEqual(r.returncode, code, r.stderr)
        lines = [l for l in r.stderr.splitlines() if l.startswith("apiscope")]
        self.assertEqual(len(lines), 1, r.stderr)
        for n in needles:
            self.assertIn(n, lines[0])

    def test_version(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^apiscope \d+\.\d+\.\d+")

    def test_documented_config_is_valid(self):
        r = run("--check-config", os.path.join(REPO, "config", "apiscope.yaml"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_unknown_key(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write("routes:\n  max_per_servce: 10\n")
            f.flush()
            self.assertOneLineError(run("--config", f.name), 2, "routes.max_per_servce", "unknown key")

    def test_sensitive_header_as_label(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write("headers:\n  request: [{name: Authorization, label: true}]\n")
            f.flush()
            self.assertOneLineError(run("--check-config", f.name), 2, "authorization", "sensitive",
                                    "remove 'label: true'")

    def test_unwritable_access_log(self):
        self.assertOneLineError(run("--access-log.output", "/nonexistent/dir/access.log"), 2,
                                "access_log.output", "/nonexistent/dir/access.log", "No such file")
        self.assertOneLineError(run("--access-log.sample-ratio", "2"), 2, "access_log.sample_ratio")

    def test_basic_auth(self):
        import crypt  # noqa: PLC0415 - deprecated in 3.11, still the stdlib's bcrypt
        hash_ = crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            f.write("basic_auth_users:\n  alice: '%s'\n" % hash_)
            f.flush()
            scope = Apiscope("--web.config.file", f.name, "--web.max-requests", "2", port=19486).__enter__()
            try:
                url = "http://127.0.0.1:19486/metrics"

                def status(user=None):
                    req = urllib.request.Request(url)
                    if user:
                        import base64  # noqa: PLC0415
                        req.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
                    try:
                        return urllib.request.urlopen(req, timeout=10).status
                    except urllib.error.HTTPError as e:
                        return e.code
                self.assertEqual(status("alice:s3cret"), 200)
                self.assertEqual(status("alice:wrong"), 401)
                self.assertEqual(status("bob:s3cret"), 401)
                self.assertEqual(status(), 401)
                self.assertEqual(urllib.request.urlopen("http://127.0.0.1:19486/healthz").read(), b"ok\n")
                req = urllib.request.Request(url, headers={"Authorization": "Basic YWxpY2U6czNjcmV0"})
                text = urllib.request.urlopen(req).read().decode()
                self.assertIn('apiscope_web_requests_rejected_total{reason="unauthorized"} 3', text)
            finally:
                self.assertEqual(scope.stop(), 0)

    def test_bad_web_config(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            f.write("basic_auth_users:\n  alice: plaintext\n")
            f.flush()
            self.assertOneLineError(run("--web.config.file", f.name), 2, "basic_auth_users.alice", "bcrypt")
        self.assertOneLineError(run("--web.max-connections", "0"), 2, "web.max_connections")
        self.assertOneLineError(run("--web.max-requests", "0"), 2, "web.max_connections")  # its old name

    def test_bad_value(self):
        self.assertOneLineError(run("--routes.max-per-service", "0"), 2, "routes.max_per_service", "1-100000")

    def test_missing_config_file(self):
        self.assertOneLineError(run("--config", "/nonexistent.yaml"), 2, "/nonexistent.yaml", "cannot read")

    def test_unknown_target(self):
        self.assertOneLineError(run("--target.pid", "999999"), 2, "999999", "no such process")
        self.assertOneLineError(run("--target.cgroup", "/no/such/cgroup"), 2, "no cgroup")

    def test_busy_port(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        try:
            r = run("--web.listen-address", "127.0.0.1:%d" % port)
            self.assertOneLineError(r, 1, "cannot listen", "--web.listen-address")
        finally:
            s.close()
        self.assertEqual(our_programs(), [], "a failed start leaves nothing attached")

    def test_without_privileges(self):
        r = run("--web.listen-address", "127.0.0.1:19479", user="nobody")
        self.assertEqual(r.returncode, 1, r.stderr)
        last = r.stderr.strip().splitlines()[-1]
        self.assertIn("permission denied", last)
        self.assertIn("CAP_BPF", last)

    def test_endpoints_promtool_and_clean_shutdown(self):
        scope = Apiscope(port=19480).__enter__()
        try:
            base = "http://127.0.0.1:19480"
            self.assertIn(b"/metrics", urllib.request.urlopen(base + "/").read())
            self.assertEqual(urllib.request.urlopen(base + "/healthz").read(), b"ok\n")
            text = scope.metrics_text()
            self.assertIn("apiscope_build_info{", text)
            self.assertIn('apiscope_bpf_map_capacity{map="metrics"} 16384', text)
            check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            self.assertEqual(len(our_programs()), 1)  # syscall_exit
        finally:
            code = scope.stop()
        self.assertEqual(code, 0)
        self.assertEqual(our_programs(), [], "SIGTERM detaches and unloads every program")


if __name__ == "__main__":
    main()
