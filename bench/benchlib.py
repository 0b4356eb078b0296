"""Shared pieces of the benchmarks: an nginx under wrk, agents started and
stopped around each round, BPF run-time statistics, medians and spreads.

Every benchmark interleaves its configurations round by round (A B C A B C
...) so that drift on a noisy machine hits them all alike, and prints ratios
against the no-agent baseline measured in the same run.
"""
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_dir():
    return os.environ.get("APISCOPE_BUILD", os.path.join(ROOT, "build"))


class Nginx:
    """nginx with one worker pinned to CPU 0, serving `return 200` and a static
    file over HTTP/1 and HTTP/2, cleartext and TLS."""

    CONF = """
worker_processes 1;
worker_cpu_affinity 01;
worker_rlimit_nofile 40000;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 20000; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 100000000;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{tls_port} ssl;
        listen 127.0.0.1:{h2c_port} http2;
        listen 127.0.0.1:{h2_port} ssl http2;
        ssl_certificate {d}/cert.pem;
        ssl_certificate_key {d}/key.pem;
        root {d}/www;
        location = /ok {{ return 200 "ok\\n"; }}
        location /static/ {{ }}
    }}
    # The same server with an access log, for an agent that reads the log
    # (mtail): its cost includes nginx writing the lines (buffered, the
    # cheapest way a user would set it up).
    log_format routes '$request_method $uri $status $request_time $body_bytes_sent';
    server {{
        listen 127.0.0.1:{log_port};
        access_log {d}/access.log routes buffer=64k flush=1s;
        root {d}/www;
        location = /ok {{ return 200 "ok\\n"; }}
        location /static/ {{ }}
    }}
}}
"""

    def __init__(self, port=18100, tls_port=18101, log_port=18102, h2c_port=18103, h2_port=18104):
        self.port, self.tls_port, self.log_port = port, tls_port, log_port
        self.h2c_port, self.h2_port = h2c_port, h2_port
        self.dir = tempfile.mkdtemp(prefix="apiscope-bench-")
        os.chmod(self.dir, 0o755)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-keyout", os.path.join(self.dir, "key.pem"),
                        "-out", os.path.join(self.dir, "cert.pem")], check=True, capture_output=True)
        os.makedirs(os.path.join(self.dir, "www", "static"))
        with open(os.path.join(self.dir, "www", "static", "4k.bin"), "wb") as f:
            f.write(b"x" * 4096)
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(self.CONF.format(d=self.dir, port=port, tls_port=tls_port, log_port=log_port, h2c_port=h2c_port,
                                     h2_port=h2_port))
        self.access_log = os.path.join(self.dir, "access.log")

    def __enter__(self):
        self.proc = subprocess.Popen(["nginx", "-c", os.path.join(self.dir, "nginx.conf"),
                                      "-e", os.path.join(self.dir, "error.log")])
        wait_port(self.port)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def pids(self):
        """The master's and its worker's, once the worker is forked."""
        master = self.proc.pid
        for _ in range(200):
            with open("/proc/%d/task/%d/children" % (master, master)) as f:
                workers = f.read().split()
            if workers:
                return [master, *map(int, workers)]
            time.sleep(0.05)
        raise SystemExit("nginx started no worker")


def wait_port(port, timeout=30):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("nothing listens on port %d" % port)


class Agent:
    """A process started before a round and stopped after it. `port`, when
    set, is where the load must go instead of the server (a proxy in front,
    or the server's logging twin)."""

    def __init__(self, name, cmd, ready, port=None, check_exit=False):
        self.name, self.cmd, self.ready, self.port, self.check_exit = name, cmd, ready, port, check_exit
        self.proc = None

    def cpu_seconds(self):
        """CPU time the agent's processes (and their children) used so far."""
        return process_tree_cpu(self.proc.pid) if self.proc else 0.0

    def __enter__(self):
        if self.cmd:
            self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, text=True,
                                         stderr=subprocess.PIPE if self.check_exit else subprocess.DEVNULL)
            self.ready(self)
        return self

    def __exit__(self, *exc):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            if self.proc.wait(timeout=30) and self.check_exit:
                raise SystemExit("%s failed (exit %d): %s" % (self.name, self.proc.returncode, self.proc.stderr.read()))


def wait_answer(agent, url, what, timeout):
    """Until url answers; stops the benchmark if the agent exits or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            if agent.proc.poll() is not None:
                raise SystemExit("%s exited: %d" % (what, agent.proc.returncode))
            time.sleep(0.1)
    raise SystemExit("%s did not start" % what)


def no_agent():
    return Agent("none", None, None)


def process_tree_cpu(pid):
    """CPU time of a process's threads and its live descendants, in seconds
    (from schedstat: nanoseconds, not clock ticks)."""
    total = 0.0
    try:
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, task)) as f:
                total += int(f.read().split()[0]) / 1e9
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                total += sum(process_tree_cpu(int(c)) for c in f.read().split())
    except OSError:
        pass  # it exited
    return total


class CpuCgroup:
    """A cgroup of its own for a process, to read the CPU time of all its threads, those that
    already ended included, in microseconds (cgroup v2's cpu.stat; the unified hierarchy of a
    hybrid setup works too)."""

    def __init__(self, pid):
        root = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
        self.root, self.path = root, os.path.join(root, "apiscope-bench-%d" % pid)
        os.makedirs(self.path, exist_ok=True)
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def seconds(self):
        with open(os.path.join(self.path, "cpu.stat")) as f:
            return int(f.readline().split()[1]) / 1e6  # usage_usec

    def close(self):
        try:
            with open(os.path.join(self.path, "cgroup.procs")) as f:
                pids = f.read().split()
            for pid in pids:
                with open(os.path.join(self.root, "cgroup.procs"), "w") as f:
                    f.write(pid)
            os.rmdir(self.path)
        except OSError:
            pass  # the process ended and the cgroup went with it, or is gone


PROXY_CONF = """
worker_processes 1;
daemon off;
pid {d}/proxy.pid;
error_log {d}/proxy-error.log;
events {{ worker_connections 4096; }}
http {{
    log_format routes '$request_method $uri $status $upstream_response_time $body_bytes_sent';
    access_log {d}/proxy-access.log routes buffer=64k flush=1s;
    keepalive_requests 100000000;
    upstream app {{ server 127.0.0.1:{upstream}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }}
    }}
}}
"""


def proxy_agent(nginx, port=18110):
    """An nginx reverse proxy in front of the server, logging each request's
    upstream time: the measuring sidecar a user would otherwise deploy. Not
    pinned: a sidecar shares the app's CPUs."""
    conf = os.path.join(nginx.dir, "proxy.conf")
    with open(conf, "w") as f:
        f.write(PROXY_CONF.format(d=nginx.dir, port=port, upstream=nginx.port))
    return Agent("nginx proxy", ["nginx", "-c", conf, "-e", os.path.join(nginx.dir, "proxy-error.log")],
                 lambda a: wait_port(port), port=port)


MTAIL_PROG = """
histogram http_server_request_duration_seconds by http_request_method, http_route, http_response_status_code buckets 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10
counter http_server_response_body_size_bytes_total by http_request_method, http_route, http_response_status_code
/^(?P<method>[A-Z]+) (?P<route>\\S+) (?P<status>\\d{3}) (?P<seconds>\\d+\\.\\d+) (?P<bytes>\\d+)$/ {
  http_server_request_duration_seconds[$method][$route][$status] = $seconds
  http_server_response_body_size_bytes_total[$method][$route][$status] += $bytes
}
"""


def mtail_agent(nginx, port=18111):
    """Google's mtail turning nginx's access log into per-route histograms;
    the load goes to the nginx server that writes the log."""
    progs = os.path.join(nginx.dir, "mtail")
    os.makedirs(progs, exist_ok=True)
    with open(os.path.join(progs, "routes.mtail"), "w") as f:
        f.write(MTAIL_PROG)

    def ready(a):
        wait_answer(a, "http://127.0.0.1:%d/metrics" % port, "mtail", 30)
    open(nginx.access_log, "a").close()  # mtail watches only files that exist when it starts
    agent = Agent("mtail", ["mtail", "-progs", progs, "-logs", nginx.access_log, "-address", "127.0.0.1",
                            "-port", str(port), "-logtostderr"], ready, port=nginx.log_port)
    agent.metrics_port = port
    return agent


FLOOR_NAMES = {None: "floor", "enter": "floor enter+exit", "raw": "floor raw", "pid": "floor pid", "tls": "floor tls",
               "read": "floor read", "count": "floor count"}


def round_args(ap):
    """--rounds, --seconds and --smoke (one round of a second, to check the
    script) parsed from ap."""
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--smoke", action="store_true", help="one short round, to check the script")
    args = ap.parse_args()
    if args.smoke:
        args.rounds, args.seconds = 1, 1
    return args


def floor_agent(mode=None, *values, name=None):
    """Empty programs on apiscope's hooks, or a variant (bench/floor.c): "enter" adds the
    syscalls' entry (apiscope's hooks before it read the arguments at exit), "raw" is one BTF
    raw tracepoint on every syscall's exit, "pid" reads whose syscall it is and leaves, "tls"
    adds empty uprobes on OpenSSL's read and write functions, "read" (values: up to four tgids)
    does for those processes' reads and writes the least a design that reads message heads does,
    "count" (the same values) that and the least an exact count by route and status adds,
    "go" (values: a Go executable and its crypto/tls sites) empty uprobes there; name: the
    agent's, for variants beyond FLOOR_NAMES."""
    def ready(a):
        line = a.proc.stdout.readline()
        if "ready" not in line:
            raise SystemExit("bench_floor failed to start")
    cmd = [os.path.join(build_dir(), "bench", "bench_floor")] + (["--" + mode] if mode else []) + list(values)
    return Agent(name or FLOOR_NAMES[mode], cmd, ready, check_exit=True)


def floor_agents(*modes):
    """(name, factory) pairs of the floor variants, for a benchmark's agent list."""
    return [(FLOOR_NAMES[m], lambda m=m: floor_agent(m)) for m in modes]


def apiscope_agent(*flags, name="apiscope", port=19500, binary=None):
    """apiscope, ready once /healthz answers."""
    def ready(a):
        wait_answer(a, "http://127.0.0.1:%d/healthz" % port, "apiscope", 60)
    cmd = [binary or os.path.join(build_dir(), "apiscope"), "--web.listen-address", "127.0.0.1:%d" % port, *flags]
    agent = Agent(name, cmd, ready)
    agent.metrics_port = port
    return agent


# Header capture with two labels and the access log (to /dev/null: the cost
# measured is apiscope's, not the disk's): the agent "apiscope headers+log".
HEADERS_LOG_CONFIG = ("headers:\n"
                      "  request: [X-Request-Id, {name: X-Tenant, label: true}, {name: User-Agent, label: true}]\n"
                      "  response: [Content-Type]\n"
                      "access_log: {output: /dev/null}\n")


def config_file(text):
    """A temporary apiscope config file holding text; it goes when closed."""
    f = tempfile.NamedTemporaryFile("w", suffix=".yaml")
    f.write(text)
    f.flush()
    return f


def add_agent_args(ap):
    """--agents and --baseline, as every benchmark that runs apiscope takes them."""
    ap.add_argument("--agents", help="comma-separated agent names to run (none is always run)")
    ap.add_argument("--baseline", help="another apiscope binary, run as the agent 'apiscope baseline'")


def baseline_variant(agents, args, name, *flags):
    """With --baseline, also "apiscope baseline <name>": the other build run with flags."""
    if args.baseline:
        agents.append(("apiscope baseline " + name, lambda: apiscope_agent(*flags, binary=args.baseline)))


def chosen_agents(agents, args, *baseline_flags):
    """(name, make) pairs: with --baseline another build of apiscope side by side (the commit
    before a change, say) run with baseline_flags, then only those --agents names, and none."""
    if args.baseline:
        agents = agents + [("apiscope baseline",
                            lambda: apiscope_agent(*baseline_flags, binary=args.baseline))]
    if args.agents:
        keep = set(args.agents.split(",")) | {"none"}
        agents = [a for a in agents if a[0] in keep]
    return agents


def scrape(port, gzip=False):
    """The text of /metrics; with gzip, the compressed body as sent."""
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port,
                                 headers={"Accept-Encoding": "gzip"} if gzip else {})
    body = urllib.request.urlopen(req, timeout=30).read()
    return body if gzip else body.decode()


def fill_routes(port, first, last):
    """One request for each of the distinct routes /r/<first>..<last-1>, over one connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(first, last):
        conn.request("GET", "/r/" + "".join(chr(ord("a") + (i // 26 ** k) % 26) for k in range(5)))
        conn.getresponse().read()
    conn.close()


def metric(text, name, **labels):
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$', line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


# Header elements an API request typically carries; the same for every agent.
WRK_HEADERS = ["X-Request-Id: 5f0c2a9e-bench", "X-Tenant: acme", "User-Agent: wrk-bench/4.1"]


def h2load(url, seconds, conns=16, streams=1):
    """Runs h2load (HTTP/2) on CPU 1; returns requests/s and the mean request time in µs."""
    out = subprocess.run(["taskset", "-c", "1", "h2load", "-t1", "-c%d" % conns, "-m%d" % streams,
                          "-D%d" % seconds, url], capture_output=True, text=True, check=True).stdout
    done = re.search(r"finished in [\d.]+(?:ms|s), ([\d.]+) req/s", out)  # ms when under a second
    if not done:
        raise RuntimeError("h2load %s gave no result:\n%s" % (url, out[-2000:]))
    rps = float(done.group(1))
    m = re.search(r"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out)
    return rps, float(m.group(1)) * {"us": 1, "ms": 1000, "s": 1e6}[m.group(2)]


def wrk(url, seconds, conns=16, close=False, script=None):
    """Runs wrk on CPU 1 (with a Lua script of bench/, if named); returns requests/s and p50/p99
    latency in µs."""
    cmd = ["taskset", "-c", "1", "wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds, "--latency", url]
    if script:
        cmd[-1:-1] = ["-s", os.path.join(os.path.dirname(os.path.abspath(__file__)), script)]
    for h in WRK_HEADERS + (["Connection: close"] if close else []):
        cmd[5:5] = ["-H", h]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct, val, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        lat[pct] = float(val) * {"us": 1, "ms": 1000, "s": 1e6}[unit]
    return rps, lat.get("50", 0.0), lat.get("99", 0.0)


# apiscope's programs and the floor's
PROG_PREFIXES = ("syscall_", "enter_close", "process_exit", "process_exec", "task_rename", "tls_", "floor_")


def bpf_prog_stats(prefixes=PROG_PREFIXES):
    """Sum of run_time_ns and run_cnt over loaded programs whose name starts with a prefix."""
    progs = json.loads(subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True,
                                      text=True, check=True).stdout)
    ns = cnt = 0
    for p in progs:
        if any(p.get("name", "").startswith(x) for x in prefixes):
            ns += p.get("run_time_ns", 0)
            cnt += p.get("run_cnt", 0)
    return ns, cnt


def med(xs):
    return statistics.median(xs) if xs else 0.0


def spread(xs):
    """Half the range over the median, in percent: how far rounds disagree."""
    if len(xs) < 2 or not med(xs):
        return 0.0
    return 100.0 * (max(xs) - min(xs)) / 2 / med(xs)


def paired_ratio(xs, ys):
    """xs against ys round by round (rounds next to each other share the VM's mood, so these
    ratios spread less than the medians of each side): "median (quartiles)"."""
    r = [x / y for x, y in zip(xs, ys) if y]
    if len(r) < 2:
        return "%.3f" % r[0] if r else "-"
    q = statistics.quantiles(r, n=4)
    return "%.3f (%.3f-%.3f)" % (med(r), q[0], q[2])


def rss_kib(pid):
    """A process's resident memory, KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def require_root():
    if os.geteuid() != 0:
        sys.exit("benchmarks load BPF programs: run as root")
