"""LLM API and MCP calls, driven by the official openai and
@modelcontextprotocol/sdk npm packages (test/node, pinned with a lockfile):
a model server over HTTP and HTTPS, a gateway that forwards calls to it, an
MCP server with two tools. Counts per model, method and tool, token sums,
time to first chunk against total duration, errors and sessions are checked
against what the clients were told."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import Apiscope, Server, main, value, wait_for_count

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(os.path.dirname(HERE), "node")
PROVIDER, PROVIDER_TLS, GATEWAY, MCP, PROVIDER_H2, MCP_H2 = 18221, 18222, 18223, 18224, 18225, 18226
NAMES = ["llm-provider", "llm-client", "llm-gateway", "mcp-server", "mcp-client"]


def npm_ci():
    """The pinned client libraries, installed once from the lockfile."""
    stamp = os.path.join(NODE_DIR, "node_modules", ".package-lock.json")
    lock = os.path.join(NODE_DIR, "package-lock.json")
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(lock):
        return
    r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True, text=True,
                       timeout=600)
    if r.returncode != 0:
        raise AssertionError("npm ci in test/node failed (the npm registry must be reachable): " + r.stderr)


class GenaiApps:
    """The model server, the gateway and the MCP server, each under a process
    name of its own (node under another name); run() drives the clients."""

    def __init__(self):
        npm_ci()
        self.d = d = tempfile.mkdtemp(prefix="apiscope-genai-")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", d + "/key.pem", "-out", d + "/cert.pem"], check=True, capture_output=True)
        for n in NAMES:
            os.symlink(shutil.which("node"), os.path.join(d, n))
        self.env = dict(os.environ, NODE_EXTRA_CA_CERTS=d + "/cert.pem")
        self.servers = [
            Server([d + "/llm-provider", NODE_DIR + "/llm_provider.mjs", str(PROVIDER), str(PROVIDER_TLS),
                    d + "/cert.pem", d + "/key.pem", str(PROVIDER_H2)], PROVIDER),
            Server([d + "/llm-gateway", NODE_DIR + "/llm_gateway.mjs", str(GATEWAY),
                    "https://localhost:%d/v1" % PROVIDER_TLS], GATEWAY, env=self.env),
            Server([d + "/mcp-server", NODE_DIR + "/mcp_server.mjs", str(MCP), str(MCP_H2), d + "/cert.pem",
                    d + "/key.pem"], MCP),
        ]

    def __enter__(self):
        try:
            for s in self.servers:
                s.__enter__()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for s in self.servers:
            if getattr(s, "proc", None):
                s.__exit__()
        shutil.rmtree(self.d, ignore_errors=True)

    def run(self, name, script, *args, env=None):
        r = subprocess.run([os.path.join(self.d, name), os.path.join(NODE_DIR, script), *args],
                           env=dict(self.env, **(env or {})), capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError("%s %s failed: %s" % (script, args, r.stderr))
        return json.loads(r.stdout)

    def llm(self, base, scenario, http2=False):
        return self.run("llm-client", "llm_client.mjs", base, scenario, env={"LLM_HTTP2": "1"} if http2 else None)

    def mcp(self, *args, http2=False):
        if http2:
            return self.run("mcp-client", "mcp_client.mjs", "https://localhost:%d/mcp" % MCP_H2, *args,
                            env={"MCP_HTTP2": "1"})
        return self.run("mcp-client", "mcp_client.mjs", "http://127.0.0.1:%d/mcp" % MCP, *args)


TARGETS = [a for n in NAMES for a in ("--target.comm", n)]


class Genai(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.log = tempfile.NamedTemporaryFile(prefix="apiscope-genai-log-", suffix=".jsonl")
        cls.scope = Apiscope(*TARGETS, "--access-log.output", cls.log.name, port=19497).__enter__()
        try:
            cls.apps = GenaiApps().__enter__()
            cls.direct = cls.apps.llm("http://127.0.0.1:%d/v1" % PROVIDER, "direct")
            cls.tls = cls.apps.llm("https://localhost:%d/v1" % PROVIDER_TLS, "tls")
            cls.gw = cls.apps.llm("http://127.0.0.1:%d/v1" % GATEWAY, "gateway")
            cls.mcp_closed = cls.apps.mcp()
            cls.mcp_kept = cls.apps.mcp("keep")
            cls.m = cls.scope.scrape()
            time.sleep(0.5)  # the log writer's next batch
            with open(cls.log.name) as f:
                cls.lines = [json.loads(l) for l in f]
            if os.environ.get("APISCOPE_TEST_DUMP"):
                print("\n".join("%s %s %s" % x for x in cls.m if not x[0].endswith("_bucket")))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "apps", None):
            cls.apps.__exit__()
        cls.scope.close()

    def v(self, name, **labels):
        return value(self.m, name, **labels)

    def test_direct_calls_per_model(self):
        srv, cli = dict(service_name="llm-provider"), dict(service_name="llm-client", server_port=str(PROVIDER))
        for side, dur in ((srv, "gen_ai_server_request_duration_seconds_count"),
                          (cli, "gen_ai_client_operation_duration_seconds_count")):
            self.assertEqual(self.v(dur, gen_ai_request_model="gpt-test-a", gen_ai_response_model="gpt-test-a-2026",
                                    gen_ai_operation_name="chat", gen_ai_provider_name="openai", **side), 3)
            self.assertEqual(self.v(dur, gen_ai_request_model="gpt-test-b", **side), 2)
            self.assertEqual(self.v(dur, gen_ai_request_model="emb-1", gen_ai_response_model="emb-1-v2",
                                    gen_ai_operation_name="embeddings", **side), 1)
            self.assertEqual(self.v(dur, gen_ai_request_model="overloaded", error_type="429", **side), 1)

    def test_token_sums_equal_what_the_clients_were_told(self):
        for side, tokens in (("llm-provider", "gen_ai_server_token_usage"), ("llm-client", "gen_ai_client_token_usage")):
            for model in ("gpt-test-a", "gpt-test-b", "emb-1"):
                calls = [c for c in self.direct if c["model"] == model]
                self.assertEqual(self.v(tokens + "_sum", service_name=side, gen_ai_request_model=model,
                                        gen_ai_token_type="input", server_port=None if side == "llm-provider"
                                        else str(PROVIDER)),
                                 sum(c["input"] for c in calls), (side, model))
                self.assertEqual(self.v(tokens + "_count", service_name=side, gen_ai_request_model=model,
                                        gen_ai_token_type="input"), len(calls), (side, model))
                out = sum(c.get("output", 0) for c in calls)
                self.assertEqual(self.v(tokens + "_sum", service_name=side, gen_ai_request_model=model,
                                        gen_ai_token_type="output"), out, (side, model))

    def test_time_to_first_chunk_is_below_the_duration_of_streamed_calls(self):
        for side, ttft, dur in (
                ("llm-provider", "gen_ai_server_time_to_first_token_seconds",
                 "gen_ai_server_request_duration_seconds"),
                ("llm-client", "gen_ai_client_operation_time_to_first_chunk_seconds",
                 "gen_ai_client_operation_duration_seconds")):
            labels = dict(service_name=side, gen_ai_request_model="gpt-test-b")
            self.assertEqual(self.v(ttft + "_count", **labels), 2)
            first, total = self.v(ttft + "_sum", **labels), self.v(dur + "_sum", **labels)
            # the server waits 60 ms before its first chunk, then 15 ms per token (8)
            self.assertGreaterEqual(first, 2 * 0.055, side)
            self.assertLess(first, 2 * 0.5, side)
            self.assertGreaterEqual(total - first, 2 * 8 * 0.014, side)
            # calls not streamed have no first-chunk time
            self.assertEqual(self.v(ttft + "_count", service_name=side, gen_ai_request_model="gpt-test-a"), 0)
        self.assertEqual(self.v("gen_ai_server_time_per_output_token_seconds_count", service_name="llm-provider",
                                gen_ai_request_model="gpt-test-b"), 2)

    def test_https_calls(self):
        for side, dur, tokens in (
                ("llm-provider", "gen_ai_server_request_duration_seconds_count", "gen_ai_server_token_usage_sum"),
                ("llm-client", "gen_ai_client_operation_duration_seconds_count", "gen_ai_client_token_usage_sum")):
            self.assertEqual(self.v(dur, service_name=side, gen_ai_request_model="gpt-tls"), 2, side)
            self.assertEqual(self.v(tokens, service_name=side, gen_ai_request_model="gpt-tls",
                                    gen_ai_token_type="output"), sum(c["output"] for c in self.tls), side)

    def test_gateway_shows_its_two_sides_apart(self):
        self.assertEqual(self.v("gen_ai_server_request_duration_seconds_count", service_name="llm-gateway",
                                gen_ai_request_model="gpt-gw"), 2)
        self.assertEqual(self.v("gen_ai_client_operation_duration_seconds_count", service_name="llm-gateway",
                                gen_ai_request_model="gpt-gw", server_port=str(PROVIDER_TLS)), 2)
        self.assertEqual(self.v("gen_ai_client_operation_duration_seconds_count", service_name="llm-gateway",
                                server_port=str(GATEWAY)), 0)
        # and the model server saw the gateway's calls
        self.assertEqual(self.v("gen_ai_server_request_duration_seconds_count", service_name="llm-provider",
                                gen_ai_request_model="gpt-gw"), 2)
        self.assertEqual(self.v("gen_ai_client_token_usage_sum", service_name="llm-gateway",
                                gen_ai_token_type="input"), sum(c["input"] for c in self.gw))

    def test_mcp_methods_tools_and_errors(self):
        for side, name in (("mcp-server", "mcp_server_operation_duration_seconds_count"),
                           ("mcp-client", "mcp_client_operation_duration_seconds_count")):
            v = lambda **l: self.v(name, service_name=side, **l)  # noqa: E731
            self.assertEqual(v(mcp_method_name="initialize"), 2, side)
            self.assertEqual(v(mcp_method_name="notifications/initialized"), 2, side)
            self.assertEqual(v(mcp_method_name="tools/list"), 2, side)
            self.assertEqual(v(mcp_method_name="tools/call", gen_ai_tool_name="add", error_type=""), 6, side)
            self.assertEqual(v(mcp_method_name="tools/call", gen_ai_tool_name="fail", error_type="tool_error"), 4,
                             side)
            self.assertEqual(v(mcp_method_name="tools/call", gen_ai_tool_name="nonexistent",
                               error_type="tool_error"), 2, side)
            self.assertEqual(v(mcp_method_name="tools/call"), 12, side)
            self.assertEqual(v(mcp_protocol_version=self.mcp_closed["protocolVersion"],
                               mcp_method_name="tools/call"), 12, side)
        self.assertEqual(self.mcp_closed["add"], ["1", "2", "3"])

    def test_mcp_sessions(self):
        # one session ended with DELETE, one left open
        self.assertEqual(self.v("mcp_server_session_duration_seconds_count", service_name="mcp-server"), 1)
        self.assertEqual(self.v("mcp_server_active_sessions", service_name="mcp-server"), 1)
        self.assertEqual(self.v("mcp_client_session_duration_seconds_count", service_name="mcp-client"), 1)
        # the session id is never a label
        labels = {k for _, l, _ in self.m for k in l}
        self.assertFalse([k for k in labels if "session" in k], labels)

    def test_access_log_lines(self):
        llm = [l for l in self.lines if l.get("event.name") == "gen_ai.call" and l["service.name"] == "llm-provider"]
        direct = [c for c in self.direct if "input" in c]
        by_model = lambda m: [l for l in llm if l.get("gen_ai.request.model") == m]  # noqa: E731
        self.assertEqual(len(by_model("gpt-test-a")), 3)
        self.assertEqual(sum(l["gen_ai.usage.output_tokens"] for l in by_model("gpt-test-b")),
                         sum(c["output"] for c in direct if c["model"] == "gpt-test-b"))
        for l in by_model("gpt-test-b"):
            self.assertLess(l["gen_ai.response.time_to_first_chunk_s"], l["duration_s"])
            self.assertEqual(l["span.kind"], "server")
        self.assertEqual(by_model("overloaded")[0]["error.type"], "429")
        mcp = [l for l in self.lines if l.get("event.name") == "mcp.call" and l["service.name"] == "mcp-server"]
        self.assertEqual(len([l for l in mcp if l.get("gen_ai.tool.name") == "fail"]), 4)
        hashes = {l["mcp.session.id.hash"] for l in mcp if "mcp.session.id.hash" in l}
        self.assertEqual(len(hashes), 2)  # two sessions, never their ids
        # one HTTP line per request beside them; no body, no API key
        text = open(self.log.name).read()
        for secret in ("count to eight please", "sk-test-not-a-secret", "sk-gateway-not-a-secret", "word word"):
            self.assertNotIn(secret, text)

    def test_no_drops_and_http_metrics_agree(self):
        self.assertEqual(self.v("apiscope_events_dropped_total", reason="genai_events_lost"), 0)
        self.assertEqual(self.v("apiscope_events_dropped_total", reason="genai_calls_map_full"), 0)
        self.assertEqual(self.v("http_server_request_duration_seconds_count", service_name="llm-provider",
                                http_route="/v1/chat/completions"),
                         self.v("gen_ai_server_request_duration_seconds_count", service_name="llm-provider",
                                gen_ai_operation_name="chat"))


class Http2(unittest.TestCase):
    """The same SDKs with their requests over HTTP/2 (TLS, ALPN h2): the
    calls are read as over HTTP/1."""

    @classmethod
    def setUpClass(cls):
        with Apiscope(*TARGETS, port=19498) as scope, GenaiApps() as apps:
            cls.llm = apps.llm("https://localhost:%d/v1" % PROVIDER_H2, "http2", http2=True)
            cls.mcp = apps.mcp(http2=True)
            wait_for_count(scope, "gen_ai_client_operation_duration_seconds_count", 4)
            cls.m = wait_for_count(scope, "mcp_client_operation_duration_seconds_count", 10)
            if os.environ.get("APISCOPE_TEST_DUMP"):
                print("\n".join("%s %s %s" % x for x in cls.m if not x[0].endswith("_bucket")))

    def v(self, name, **labels):
        return value(self.m, name, **labels)

    def test_llm_calls(self):
        for side, dur, tokens, ttft in (
                (dict(service_name="llm-provider"), "gen_ai_server_request_duration_seconds",
                 "gen_ai_server_token_usage", "gen_ai_server_time_to_first_token_seconds"),
                (dict(service_name="llm-client", server_port=str(PROVIDER_H2)),
                 "gen_ai_client_operation_duration_seconds", "gen_ai_client_token_usage",
                 "gen_ai_client_operation_time_to_first_chunk_seconds")):
            for model in ("gpt-h2", "gpt-h2s"):
                calls = [c for c in self.llm if c["model"] == model]
                self.assertEqual(self.v(dur + "_count", gen_ai_request_model=model,
                                        gen_ai_response_model=model + "-2026", gen_ai_operation_name="chat",
                                        **side), 2, (side, model))
                for kind in ("input", "output"):
                    self.assertEqual(self.v(tokens + "_sum", gen_ai_request_model=model, gen_ai_token_type=kind,
                                            **side), sum(c[kind] for c in calls), (side, model, kind))
            # streamed: the first chunk after the server's 60 ms, before the end
            self.assertEqual(self.v(ttft + "_count", gen_ai_request_model="gpt-h2s", **side), 2)
            self.assertEqual(self.v(ttft + "_count", gen_ai_request_model="gpt-h2", **side), 0)
            first = self.v(ttft + "_sum", gen_ai_request_model="gpt-h2s", **side)
            self.assertGreaterEqual(first, 2 * 0.055, side)
            self.assertLess(first, self.v(dur + "_sum", gen_ai_request_model="gpt-h2s", **side), side)
        self.assertEqual(self.v("http_server_request_duration_seconds_count", service_name="llm-provider",
                                http_route="/v1/chat/completions", network_protocol_version="2"), 4)

    def test_mcp_calls(self):
        self.assertEqual(self.mcp["add"], ["1", "2", "3"])
        for side, name in (("mcp-server", "mcp_server_operation_duration_seconds_count"),
                           ("mcp-client", "mcp_client_operation_duration_seconds_count")):
            v = lambda **l: self.v(name, service_name=side, **l)  # noqa: E731
            self.assertEqual(v(mcp_method_name="initialize"), 1, side)
            self.assertEqual(v(mcp_method_name="tools/list"), 1, side)
            self.assertEqual(v(mcp_method_name="tools/call", gen_ai_tool_name="add", error_type=""), 3, side)
            self.assertEqual(v(mcp_method_name="tools/call", gen_ai_tool_name="fail", error_type="tool_error"), 2,
                             side)
            self.assertEqual(v(mcp_protocol_version=self.mcp["protocolVersion"], mcp_method_name="tools/call"), 6,
                             side)
        # the session opened by initialize, ended by the DELETE
        self.assertEqual(self.v("mcp_server_session_duration_seconds_count", service_name="mcp-server"), 1)
        self.assertEqual(self.v("mcp_server_active_sessions", service_name="mcp-server"), 0)


if __name__ == "__main__":
    main()
