"""Target filters (--target.pid, --target.port, --target.cgroup) and
--service-name: only what is selected is measured, under the given name."""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

from harness import (APPS, ARGS, Apiscope, api_server, client, main, names, parse_metrics, value, wait_for_count,
                     wait_http)

A, B = 18083, 18084
DUR = "http_server_request_duration_seconds_count"
CDUR = "http_client_request_duration_seconds_count"
CGROUP = "/sys/fs/cgroup/unified/apiscope-test" if os.path.isdir("/sys/fs/cgroup/unified") \
    else "/sys/fs/cgroup/apiscope-test"


def traffic():
    client("tgt-client", "keepalive", A, "/api/users/1", 7)
    client("tgt-client", "keepalive", B, "/api/users/1", 5)


class Targets(unittest.TestCase):
    def test_port_filter(self):
        with Apiscope("--target.port", str(A)) as scope, api_server(A, "srv-a"), api_server(B, "srv-b"):
            traffic()
            s = wait_for_count(scope, DUR, 7, service_name="srv-a")
        self.assertEqual(value(s, DUR, service_name="srv-a"), 7)
        self.assertEqual(value(s, DUR, service_name="srv-b"), 0)
        # the client side of connections to port A is measured too, not to B
        self.assertEqual(value(s, CDUR, service_name="tgt-client", server_port=str(A)), 7)
        self.assertEqual(value(s, CDUR, service_name="tgt-client", server_port=str(B)), 0)

    def test_pid_filter_and_service_name(self):
        with api_server(A, "srv-a") as a, api_server(B, "srv-b"):
            with Apiscope("--target.pid", str(a.proc.pid), "--service-name", "checkout") as scope:
                traffic()
                s = wait_for_count(scope, DUR, 7, service_name="checkout")
        self.assertEqual(value(s, DUR, service_name="checkout"), 7)
        self.assertEqual(value(s, DUR), 7, "nothing else is measured")
        self.assertNotIn(CDUR, names(s), "the client is another process")

    def test_cgroup_filter(self):
        os.makedirs(CGROUP, exist_ok=True)
        try:
            with api_server(A, "srv-a") as a, api_server(B, "srv-b"):
                with open(os.path.join(CGROUP, "cgroup.procs"), "w") as f:
                    f.write(str(a.proc.pid))
                with Apiscope("--target.cgroup", CGROUP) as scope:
                    traffic()
                    s = wait_for_count(scope, DUR, 7, service_name="srv-a")
                with open(os.path.join(os.path.dirname(CGROUP), "cgroup.procs"), "w") as f:
                    f.write(str(a.proc.pid))  # back to the root, so the cgroup can go
        finally:
            os.rmdir(CGROUP)
        self.assertEqual(value(s, DUR, service_name="srv-a"), 7)
        self.assertEqual(value(s, DUR, service_name="srv-b"), 0)
        self.assertNotIn(CDUR, names(s))


class SidecarPidNamespace(unittest.TestCase):
    """apiscope in a container's PID namespace measures that namespace only."""

    def test_own_pid_namespace_by_default(self):
        port = 19482
        inside = "%s %s/api_server.py %d srv-a & exec %s --web.listen-address 127.0.0.1:%d" % (
            sys.executable, APPS, A, ARGS.apiscope, port)
        with api_server(B, "srv-b"):
            ns = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
                                   "bash", "-c", inside], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                url = "http://127.0.0.1:%d/metrics" % port

                def alive():
                    if ns.poll() is not None:
                        raise AssertionError("apiscope in the namespace exited: " + ns.stderr.read().decode())
                wait_http(url, 60, alive)
                traffic()  # clients run outside the namespace
                time.sleep(1)
                s = parse_metrics(urllib.request.urlopen(url, timeout=10).read().decode())
            finally:
                # apiscope is PID 1 of the namespace: SIGTERM must still stop it cleanly
                with open("/proc/%d/task/%d/children" % (ns.pid, ns.pid)) as f:
                    init = int(f.read().split()[0])
                os.kill(init, signal.SIGTERM)
                try:
                    ns.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    ns.kill()
                    raise AssertionError("apiscope as PID 1 ignored SIGTERM")
        self.assertEqual(value(s, DUR, service_name="srv-a"), 7, "the app beside apiscope")
        self.assertEqual(value(s, DUR, service_name="srv-b"), 0, "a neighbour on the same host")
        self.assertNotIn(CDUR, names(s), "clients outside the namespace")


class PerCpuValues(unittest.TestCase):
    def test_percpu_maps_count_exactly_under_concurrency(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write("maps:\n  percpu_values: true\n")
            f.flush()
            with Apiscope("--config", f.name, "--target.comm", "srv-a", "--target.comm", "tgt-many") as scope, \
                    api_server(A, "srv-a"):
                out = client("tgt-many", "concurrent", A, 50, 4, "/bytes/100")
                self.assertEqual(out["errors"], [])
                s = wait_for_count(scope, DUR, 200, service_name="srv-a")
        self.assertEqual(value(s, DUR, service_name="srv-a"), 200)
        self.assertEqual(value(s, CDUR, service_name="tgt-many"), 200)
        self.assertEqual(value(s, "http_server_response_body_size_bytes_sum", service_name="srv-a"), 20000)


if __name__ == "__main__":
    main()
