"""Shared pieces of the integration tests: run apiscope, run real servers and
clients on loopback, scrape /metrics and pick out series.

These tests load the real BPF programs, so they need root. They fail, never
skip, when that is not possible.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(HERE, "apps")


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--apiscope", required=True)
    args, rest = p.parse_known_args()
    sys.argv = [sys.argv[0]] + rest
    return args


ARGS = parse_args()

_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise AssertionError("unparsable /metrics line: " + line)
        labels = dict(_LABEL.findall(m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return samples


def wait_http(url, timeout, alive=lambda: None, context=None):
    """Poll url until it answers. alive() may raise to give up early (with why)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return urllib.request.urlopen(url, timeout=1, context=context).read()
        except OSError:
            alive()
            if time.monotonic() > deadline:
                raise AssertionError("%s did not answer within %d s" % (url, timeout))
            time.sleep(0.2)


class Apiscope:
    """apiscope as a child process, ready once /healthz answers. With tls (an
    ssl.SSLContext) its endpoint is HTTPS."""

    def __init__(self, *flags, port=19478, tls=None):
        self.port, self.tls = port, tls
        self.url = ("https://localhost:%d" if tls else "http://127.0.0.1:%d") % port  # the test certificate names localhost
        self.cmd = [ARGS.apiscope, "--web.listen-address", "127.0.0.1:%d" % port, *flags]
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def alive():
            if self.proc.poll() is not None:
                raise AssertionError("apiscope exited with %d: %s" % (self.proc.returncode, self.proc.stderr.read()))
        try:
            wait_http(self.url + "/healthz", 60, alive, self.tls)
        except AssertionError:
            self.proc.kill()
            raise
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.close()
        else:
            self.stop()  # the test's own failure says more

    def close(self):
        """SIGTERM, and apiscope must exit 0 (detached everything, lost nothing)."""
        code = self.stop()
        if code != 0:
            raise AssertionError("apiscope exited with %s at SIGTERM, not 0: %s" % (code, self.stderr))

    def stop(self):
        """SIGTERM, then its exit code (0 expected: the caller checks)."""
        self.stderr = getattr(self, "stderr", "")
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                _, self.stderr = self.proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()
                raise AssertionError("apiscope did not exit within 20 s of SIGTERM")
        return self.proc.returncode

    def metrics_text(self):
        return urllib.request.urlopen(self.url + "/metrics", timeout=10, context=self.tls).read().decode()

    def scrape(self):
        return parse_metrics(self.metrics_text())


def total(samples, name, **labels):
    """Sum of the samples called name whose labels include all of labels (0 if none)."""
    return sum(v for n, l, v in samples if n == name and all(l.get(k) == w for k, w in labels.items()))


def value(samples, name, **labels):
    """total(), for a metric the scrape must have: no sample called name, or a
    label no sample of it carries, is an error, so that a check of 0 always
    names something that exists. A label given as None must be absent."""
    named = [l for n, l, v in samples if n == name]
    if not named:
        raise AssertionError("no sample of %s in the scrape" % name)
    unknown = sorted(k for k, w in labels.items() if w is not None and not any(k in l for l in named))
    if unknown:
        raise AssertionError("no sample of %s has the label(s) %s" % (name, ", ".join(unknown)))
    return total(samples, name, **labels)


def names(samples):
    """The metric names of a scrape's samples."""
    return {n for n, l, v in samples}


def label_values(samples, name, label, **labels):
    return {l.get(label) for n, l, v in samples if n == name and all(l.get(k) == w for k, w in labels.items())}


def wait_for_count(scope, name, expected, timeout=10, **labels):
    """Poll until the summed count reaches expected (requests complete at
    syscall time; a close-delimited one at close), then return the samples."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scope.scrape()
        if total(samples, name, **labels) >= expected or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)


class Server:
    """A server process that prints 'ready' (or a port check) when it listens."""

    def __init__(self, cmd, port, env=None):
        self.cmd, self.port, self.env = cmd, port, env

    def __enter__(self):
        import socket
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            raise AssertionError("port %d is taken by a process left from an earlier run" % self.port)
        except OSError:
            pass
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=APPS,
                                     env=self.env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited: %s" % (self.cmd, self.proc.stderr.read()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("%s did not listen on %d" % (self.cmd, self.port))

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


NGINX_CONF = """
worker_processes 1;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log;
events { worker_connections 256; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    client_body_temp_path %(dir)s/body;
    proxy_temp_path %(dir)s/proxy;
    fastcgi_temp_path %(dir)s/fastcgi;
    uwsgi_temp_path %(dir)s/uwsgi;
    scgi_temp_path %(dir)s/scgi;
    server {
%(server)s
    }
}
"""


def nginx(directory, server, port):
    """nginx (one worker, in the foreground, files in directory) with one
    server block whose body is `server`; ready once it listens on port."""
    conf = os.path.join(directory, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF % {"dir": directory, "server": server})
    return Server(["nginx", "-c", conf, "-e", os.path.join(directory, "error.log")], port)


def api_server(port, name="api-server"):
    return Server([sys.executable, os.path.join(APPS, "api_server.py"), str(port), name], port)


def client(name, mode, port, *args):
    out = subprocess.run([sys.executable, os.path.join(APPS, "client.py"), name, mode, str(port), *map(str, args)],
                         capture_output=True, text=True, timeout=120, cwd=APPS)
    if out.returncode != 0:
        raise AssertionError("client %s %s failed: %s" % (name, mode, out.stderr))
    return json.loads(out.stdout)


def curl(*args):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *args],
                         capture_output=True, text=True, timeout=60)
    return int(out.stdout or 0)


def main():
    if os.geteuid() != 0:
        raise SystemExit("integration tests load BPF programs and must run as root (they never skip)")
    unittest.main(verbosity=2)
