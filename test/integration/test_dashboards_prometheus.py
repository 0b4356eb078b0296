"""End to end with a real Prometheus: apiscope measures a real server under a
bounded traffic mix, Prometheus scrapes it and evaluates the bundled rules,
and every PromQL expression of every dashboard panel, template variable and
rule must run without error and return series."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request
import uuid

from harness import APPS, Apiscope, Server, api_server, client, curl, main
from test_genai import GATEWAY, PROVIDER, TARGETS as GENAI_TARGETS, GenaiApps
from test_http2 import DEBIAN_PYTHON
from test_kubernetes import V2, Node, container_id

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORT, PROM, SCOPE, GRPC = 18085, 19090, 19481, 18087
RULES = os.path.join(REPO, "deploy", "prometheus", "apiscope.rules.yml")

# what Grafana would put in for each variable, as PromQL regexes
VARIABLES = {
    "${datasource}": "prometheus",
    "$__rate_interval": "15s",
    "$service_name": "api-server|e2e-client|llm-provider|llm-client|llm-gateway|mcp-server|mcp-client|grpc-srv|grpc-cli",
    "$http_route": r"/api/users/\\{id\\}",  # regex-escaped, then escaped for a PromQL string
    "$http_request_method": "GET",
    "$rpc_method": "demo.Items/.*",
    "$k8s_namespace_name": "e2e",
    "${workload:pipe}": "e2e-api-[a-z0-9]{6,10}-[a-z0-9]{5}",  # the workload variable's value, a regex of pod names
}
POD, NAMESPACE, DEPLOYMENT = "e2e-api-5c9b7d6f48-2vqbx", "e2e", "e2e-api"

PROM_CONF = """
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [{rules}]
scrape_configs:
  - job_name: apiscope
    static_configs: [{{targets: ["127.0.0.1:{scope}"]}}]
"""


def substitute(expr):
    for k, v in VARIABLES.items():
        expr = expr.replace(k, v)
    return expr


def dashboard_queries():
    """(where, expr) for every panel target and every variable of every dashboard."""
    out = []
    for path in sorted(glob.glob(os.path.join(REPO, "dashboards", "*.json"))):
        with open(path) as f:
            board = json.load(f)
        name = os.path.basename(path)
        for p in board["panels"]:
            for t in p.get("targets", []):
                out.append(("%s panel %r %s" % (name, p["title"], t["refId"]), t["expr"]))
        for v in board["templating"]["list"]:
            if v["type"] == "query":
                out.append(("%s variable %s" % (name, v["name"]), v["definition"]))
    return out


def rules_exprs():
    with open(RULES) as f:
        text = f.read()
    exprs = []
    # the rules file is ours: expr is either one line or a literal block
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s+)expr: (.*)$", lines[i])
        if m:
            if m.group(2).strip() == "|":
                block, indent = [], None
                i += 1
                while i < len(lines) and (not lines[i].strip() or
                                          len(lines[i]) - len(lines[i].lstrip()) > len(m.group(1))):
                    block.append(lines[i].strip())
                    i += 1
                exprs.append(" ".join(block))
                continue
            exprs.append(m.group(2))
        i += 1
    return exprs


def as_bool(expr):
    return re.sub(r"(\s)(>|<|==|!=|>=|<=)\s+(?=[\d.])", r"\1\2 bool ", expr)


def datasources(node):
    """Every datasource reference anywhere in a dashboard."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "datasource" and isinstance(v, dict):
                yield v
            else:
                yield from datasources(v)
    elif isinstance(node, list):
        for v in node:
            yield from datasources(v)


class DashboardsAgainstPrometheus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="apiscope-prom-")
        conf = os.path.join(cls.dir, "prometheus.yml")
        with open(conf, "w") as f:
            f.write(PROM_CONF.format(rules=RULES, scope=SCOPE))
        # the test itself, and so everything it starts, runs in a Deployment's pod
        cls.node = Node()
        uid, cid = str(uuid.uuid4()), container_id()
        cls.pod = cls.node.pod("systemd", "burstable", uid, "cri-containerd", cid)
        cls.node.link(POD, NAMESPACE, "api", cid)
        with open(os.path.join(cls.pod, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        cls.prom = subprocess.Popen(
            ["prometheus", "--config.file", conf, "--storage.tsdb.path", os.path.join(cls.dir, "data"),
             "--web.listen-address", "127.0.0.1:%d" % PROM, "--log.level", "warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.scope = Apiscope("--target.comm", "api-server", "--target.comm", "e2e-client", "--target.comm", "curl",
                             "--target.comm", "grpc-srv", "--target.comm", "grpc-cli", *GENAI_TARGETS,
                             port=SCOPE).__enter__()
        grpc = [DEBIAN_PYTHON, os.path.join(APPS, "grpc_app.py")]
        try:
            with api_server(PORT), GenaiApps() as apps, Server(grpc + ["server", "grpc-srv", str(GRPC)], GRPC):
                deadline = time.monotonic() + 25  # bounded traffic mix, rates need a few scrapes
                while time.monotonic() < deadline:
                    client("e2e-client", "keepalive", PORT, "/api/users/1", 20)
                    client("e2e-client", "post", PORT, "/api/items", 5, 3000)
                    for path, code in (("/status/500", 500), ("/status/404", 404), ("/api/users/2", 200)):
                        assert curl("http://127.0.0.1:%d%s" % (PORT, path)) == code
                    apps.llm("http://127.0.0.1:%d/v1" % PROVIDER, "direct")
                    apps.llm("http://127.0.0.1:%d/v1" % GATEWAY, "gateway")
                    apps.mcp()
                    subprocess.run(grpc + ["client", "grpc-cli", str(GRPC)], check=True, capture_output=True,
                                   timeout=60, cwd=APPS)  # OK and failing calls, unary and streaming
                apps.mcp("keep")  # a session left open
                time.sleep(3)  # a last scrape and rule evaluation
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.scope.close()
        finally:
            cls.prom.terminate()
            cls.prom.wait()
            shutil.rmtree(cls.dir, ignore_errors=True)
            with open(os.path.join(V2, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
            cls.node.remove()

    def query(self, expr):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (PROM, urllib.parse.urlencode({"query": expr}))
        try:
            body = json.load(urllib.request.urlopen(url, timeout=10))
        except urllib.error.HTTPError as e:
            body = json.load(e)
        return body

    def check(self, where, expr):
        expr = substitute(expr)
        m = re.match(r"^label_values\((.*),\s*(\w+)\)$", expr)
        if m:  # a variable: the series behind it must exist and carry the label
            expr = "count by (%s) (%s)" % (m.group(2), m.group(1))
        m = re.match(r"^query_result\((.*)\)$", expr)
        if m:
            expr = m.group(1)
        body = self.query(expr)
        self.assertEqual(body.get("status"), "success", "%s: %s -> %s" % (where, expr, body.get("error")))
        self.assertTrue(body["data"]["result"], "%s returned no series: %s" % (where, expr))

    def test_every_dashboard_query_returns_series(self):
        queries = dashboard_queries()
        self.assertGreater(len(queries), 40)
        for where, expr in queries:
            with self.subTest(where=where):
                self.check(where, expr)

    def test_workload_variable_names_the_deployment_and_its_pods(self):
        """What Grafana shows for the workload variable (its regex over the
        query_result lines), and the value the panels then filter by."""
        with open(os.path.join(REPO, "dashboards", "apiscope-overview.json")) as f:
            board = json.load(f)
        var = next(v for v in board["templating"]["list"] if v["name"] == "workload")
        body = self.query(substitute(re.match(r"^query_result\((.*)\)$", var["definition"]).group(1)))
        regex = re.compile(var["regex"].strip("/").replace("(?<", "(?P<"))
        options = set()
        for r in body["data"]["result"]:  # as Grafana writes a query_result line
            line = "{%s} %s %d" % (",".join('%s="%s"' % kv for kv in sorted(r["metric"].items())), r["value"][1],
                                   r["value"][0] * 1000)
            m = regex.search(line)
            self.assertTrue(m, line)
            options.add((m.group("text"), m.group("value")))
        self.assertEqual(options, {(DEPLOYMENT, VARIABLES["${workload:pipe}"])})
        self.assertTrue(re.fullmatch(VARIABLES["${workload:pipe}"], POD))

    def test_every_rule_expression_returns_series(self):
        exprs = rules_exprs()
        self.assertEqual(len(exprs), 12)
        for expr in exprs:
            with self.subTest(expr=expr):
                self.check("rule", as_bool(expr))

    def test_dashboard_json(self):
        gen = subprocess.run(["python3", os.path.join(REPO, "dashboards", "generate.py"), "--check"],
                             capture_output=True, text=True)
        self.assertEqual(gen.returncode, 0, gen.stderr)
        paths = glob.glob(os.path.join(REPO, "dashboards", "*.json"))
        self.assertEqual(len(paths), 4)
        for path in paths:
            with open(path) as f:
                board = json.load(f)
            variables = board["templating"]["list"]
            self.assertEqual((variables[0]["name"], variables[0]["type"], variables[0]["query"]),
                             ("datasource", "datasource", "prometheus"), path)
            ids = [p["id"] for p in board["panels"]]
            self.assertEqual(len(ids), len(set(ids)), path)
            for p in board["panels"]:
                if p["type"] != "row":
                    self.assertIn("datasource", p, (path, p["title"]))
            for ds in datasources(board):
                self.assertEqual(ds, {"type": "prometheus", "uid": "${datasource}"}, path)


if __name__ == "__main__":
    main()
