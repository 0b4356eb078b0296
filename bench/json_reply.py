"""What the benchmarks' small Python servers share (they run as child
processes: the realistic API of python_api.py, the soak's MCP server): an
HTTP/1.1 handler that answers with a JSON body."""
import http.server
import json
import os

# for the child processes' PYTHONPATH, so their scripts can import this module
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))


class JsonHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as every production server does: no 40 ms delayed-ACK stalls

    def send_json(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass
