"""The apiscope image, built with podman from the repository's Dockerfile, runs
as a sidecar sharing an nginx container's PID and network namespaces. It
counts exactly the requests that container served, and nothing of an nginx
running outside it on the same host.

Recipe for podman without a Docker engine: ../shared/ENVIRONMENT.md (a
debootstrap'd base imported as debian:bookworm-slim, chroot isolation, runc).
"""
import os
import subprocess
import tempfile
import time
import unittest
import urllib.request

from harness import Server, curl, main, names, parse_metrics, total, value, wait_http

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
BASE = "docker.io/library/debian:bookworm-slim"
APP_PORT, HOST_PORT, METRICS = 18097, 18087, 19483  # no other test's ports
RUN = ["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", "run", "-d",
       "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]

HOST_NGINX = """
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    server {{ listen 127.0.0.1:{port}; location / {{ return 200 "host\\n"; }} }}
}}
"""


def sh(*cmd, timeout=1800):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (" ".join(cmd), r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
    return r.stdout


def remove_containers():
    """The sidecar, then the app whose namespaces it shares (podman refuses to remove a
    container another one depends on). A container left running would hold its port in the
    next run, so a failed removal is retried, then reported."""
    names = ("apiscope-test-sidecar", "apiscope-test-app")
    for _ in range(3):
        errors = [subprocess.run(["podman", "rm", "-f", "-t", "5", n], capture_output=True, text=True).stderr
                  for n in names]
        left = [n for n in names if subprocess.run(["podman", "container", "exists", n]).returncode == 0]
        if not left:
            return
        time.sleep(1)
    raise AssertionError("podman could not remove %s: %s" % (", ".join(left), " ".join(errors).strip()))


def ensure_base_image():
    if subprocess.run(["podman", "image", "exists", BASE]).returncode == 0:
        return
    with tempfile.TemporaryDirectory(prefix="apiscope-rootfs-") as root:
        sh("debootstrap", "--variant=minbase", "bookworm", root)
        with subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE) as tar:
            sh_in = subprocess.run(["podman", "import", "-", BASE], stdin=tar.stdout, capture_output=True, text=True)
        if sh_in.returncode != 0:
            raise AssertionError("podman import failed: " + sh_in.stderr)


def build(tag, context, file=None):
    cmd = ["podman", "build", "--isolation", "chroot", "--pull=never", "--network", "host", "-t", tag]
    if file:
        cmd += ["-f", file]
    sh(*cmd, context)


class Sidecar(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ensure_base_image()
        build("localhost/apiscope", REPO)
        build("localhost/apiscope-test-app", HERE, os.path.join(HERE, "container", "app.Containerfile"))
        remove_containers()  # left by a run that was killed

    def test_sidecar_counts_its_app_only(self):
        d = tempfile.mkdtemp(prefix="apiscope-hostnginx-")
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(HOST_NGINX.format(d=d, port=HOST_PORT))
        try:
            sh(*RUN, "--name", "apiscope-test-app", "--network", "host", "localhost/apiscope-test-app")
            sh(*RUN, "--name", "apiscope-test-sidecar", "--privileged", "--pid", "container:apiscope-test-app",
               "--network", "container:apiscope-test-app", "localhost/apiscope",
               "--web.listen-address", "127.0.0.1:%d" % METRICS)
            with Server(["nginx", "-c", os.path.join(d, "nginx.conf"), "-e", os.path.join(d, "error.log")], HOST_PORT):
                url = "http://127.0.0.1:%d/metrics" % METRICS
                try:
                    wait_http(url, 90)
                except AssertionError:
                    logs = subprocess.run(["podman", "logs", "apiscope-test-sidecar"], capture_output=True, text=True)
                    raise AssertionError("sidecar did not serve /metrics: " + logs.stdout + logs.stderr)
                deadline = time.monotonic() + 30
                while curl("http://127.0.0.1:%d/" % APP_PORT) != 200:
                    self.assertLess(time.monotonic(), deadline, "the app container does not answer")
                    time.sleep(0.5)
                # the readiness probe above was one request; count from a scrape
                before = total(parse_metrics(urllib.request.urlopen(url).read().decode()),
                               "http_server_request_duration_seconds_count", service_name="nginx")
                for i in range(12):
                    self.assertEqual(curl("http://127.0.0.1:%d/app/%d" % (APP_PORT, i)), 200)
                for i in range(9):
                    self.assertEqual(curl("http://127.0.0.1:%d/host/%d" % (HOST_PORT, i)), 200)
                time.sleep(1)
                s = parse_metrics(urllib.request.urlopen(url).read().decode())
            dur = "http_server_request_duration_seconds_count"
            self.assertEqual(value(s, dur, service_name="nginx", http_route="/app/{id}"), 12)
            self.assertEqual(value(s, dur, service_name="nginx") - before, 12, "only the app beside the sidecar")
            self.assertEqual(value(s, dur, http_route="/host/{id}"), 0, "nothing of the host's nginx")
            self.assertNotIn("http_client_request_duration_seconds_count", names(s), "curl runs outside")
        finally:
            try:
                remove_containers()
            finally:
                # drop untagged build-stage images; the tagged ones stay as the build cache
                subprocess.run(["podman", "image", "prune", "-f"], capture_output=True)


if __name__ == "__main__":
    main()
