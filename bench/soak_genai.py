"""The LLM and MCP part of the soak: the OpenAI-compatible model server of
the integration tests (test/node/llm_provider.mjs, Node.js built-ins only)
over HTTP and HTTPS, a small MCP server speaking JSON-RPC over Streamable
HTTP, and clients that remember what they were told, so apiscope's GenAI and
MCP metrics can be checked exactly against it at the end.
"""
import collections
import http.client
import json
import os
import random
import shutil
import ssl
import subprocess
import sys
import threading
import time

from benchlib import ROOT, metric, wait_port
from json_reply import BENCH_DIR

LLM_COMM, MCP_COMM = "soak-llm", "soak-mcp"
LLM_HTTP, LLM_HTTPS, MCP_PORT = 18112, 18113, 18114
MODELS = [("soak-chat", False), ("soak-stream", True)]  # (model, streamed)
TOOLS = ["add", "fail"]  # "fail" answers with isError: true

MCP_SERVER = r'''
import http.server, json, sys

from json_reply import JsonHandler


class Mcp(JsonHandler):
    def do_POST(self):
        call = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = call["params"]["name"]
        result = {"content": [{"type": "text", "text": "no" if name == "fail" else "3"}], "isError": name == "fail"}
        self.send_json({"jsonrpc": "2.0", "id": call["id"], "result": result})


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Mcp).serve_forever()
'''


class GenaiWorkload:
    """Servers started in `d` under names of their own; clients added to `threads`."""

    def __init__(self, d):
        self.d = d
        self.lock = threading.Lock()
        self.calls = collections.defaultdict(lambda: collections.Counter())  # model -> n, input, output
        self.tools = collections.Counter()  # tool -> calls
        self.failures = 0
        os.symlink(shutil.which("node"), os.path.join(d, LLM_COMM))
        os.symlink(sys.executable, os.path.join(d, MCP_COMM))
        with open(os.path.join(d, "mcp_server.py"), "w") as f:
            f.write(MCP_SERVER)
        self.procs = []

    def start(self):
        provider = os.path.join(ROOT, "test", "node", "llm_provider.mjs")
        self.procs = [
            subprocess.Popen([os.path.join(self.d, LLM_COMM), provider, str(LLM_HTTP), str(LLM_HTTPS),
                              os.path.join(self.d, "cert.pem"), os.path.join(self.d, "key.pem")]),
            subprocess.Popen([os.path.join(self.d, MCP_COMM), os.path.join(self.d, "mcp_server.py"), str(MCP_PORT)],
                             env=dict(os.environ, PYTHONPATH=BENCH_DIR)),
        ]
        for port in (LLM_HTTP, LLM_HTTPS, MCP_PORT):
            wait_port(port)

    def stop(self):
        for p in self.procs:
            p.terminate()
            p.wait()

    def clients(self, stop, rate):
        return [threading.Thread(target=self.llm_client, args=(stop, rate, tls)) for tls in (False, True)] + \
               [threading.Thread(target=self.mcp_client, args=(stop, rate))]

    def llm_client(self, stop, rate, tls):
        """Chat calls, streamed (SSE, usage in the last chunk) or not, on one keep-alive connection."""
        conn = None
        while not stop.is_set():
            model, stream = random.choice(MODELS)
            call = {"model": model, "stream": stream, "max_tokens": random.randint(1, 8),
                    "messages": [{"role": "user", "content": " ".join(["word"] * random.randint(1, 40))}]}
            if stream:
                call["stream_options"] = {"include_usage": True}
            try:
                if conn is None:
                    conn = (http.client.HTTPSConnection("127.0.0.1", LLM_HTTPS,
                                                        context=ssl._create_unverified_context())
                            if tls else http.client.HTTPConnection("127.0.0.1", LLM_HTTP))
                conn.request("POST", "/v1/chat/completions", body=json.dumps(call),
                             headers={"Content-Type": "application/json"})
                body = conn.getresponse().read().decode()
                usage = (json.loads(body)["usage"] if not stream else
                         [json.loads(l[6:]) for l in body.splitlines()
                          if l.startswith("data: {") and '"usage"' in l][-1]["usage"])
            except (OSError, http.client.HTTPException, ValueError, IndexError, KeyError):
                with self.lock:
                    self.failures += 1
                conn = None
                continue
            with self.lock:
                c = self.calls[model]
                c["n"] += 1
                c["input"] += usage["prompt_tokens"]
                c["output"] += usage["completion_tokens"]
            time.sleep(random.expovariate(rate))

    def mcp_client(self, stop, rate):
        """tools/call requests, one of the tools answering with an error."""
        conn, n = None, 0
        while not stop.is_set():
            tool = random.choice(TOOLS)
            n += 1
            call = {"jsonrpc": "2.0", "id": n, "method": "tools/call", "params": {"name": tool, "arguments": {}}}
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", MCP_PORT)
                conn.request("POST", "/mcp", body=json.dumps(call),
                             headers={"Content-Type": "application/json",
                                      "Accept": "application/json, text/event-stream"})
                json.loads(conn.getresponse().read())["result"]
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                with self.lock:
                    self.failures += 1
                conn = None
                continue
            with self.lock:
                self.tools[tool] += 1
            time.sleep(random.expovariate(rate))

    def check(self, text):
        """Prints apiscope's GenAI and MCP counts against the clients'; True if all equal."""
        ok = self.failures == 0
        print("LLM and MCP calls that failed on the client side: %d" % self.failures)
        for model, c in sorted(self.calls.items()):
            labels = dict(service_name=LLM_COMM, gen_ai_request_model=model)
            seen = (metric(text, "gen_ai_server_request_duration_seconds_count", **labels),
                    metric(text, "gen_ai_server_token_usage_sum", gen_ai_token_type="input", **labels),
                    metric(text, "gen_ai_server_token_usage_sum", gen_ai_token_type="output", **labels))
            want = (c["n"], c["input"], c["output"])
            mark = "" if seen == want else "   <-- differs"
            print("  model %-12s calls/input/output tokens: clients %s  apiscope %s%s" % (
                model, want, tuple(int(x) for x in seen), mark))
            ok &= seen == want
        for tool, n in sorted(self.tools.items()):
            seen = metric(text, "mcp_server_operation_duration_seconds_count", service_name=MCP_COMM,
                          mcp_method_name="tools/call", gen_ai_tool_name=tool,
                          error_type="tool_error" if tool == "fail" else "")
            mark = "" if seen == n else "   <-- differs"
            print("  MCP tools/call %-6s clients %7d  apiscope %7d%s" % (tool, n, seen, mark))
            ok &= seen == n
        ok &= bool(self.calls) and bool(self.tools)
        return ok
