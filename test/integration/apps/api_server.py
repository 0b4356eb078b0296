"""A small HTTP/1.1 API server (stdlib ThreadingHTTPServer) with routes whose
status codes and body sizes the integration tests know in advance.

usage: api_server.py PORT [NAME]
"""
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from procname import set_comm


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        # Each handler thread gets a name of its own, as JVM and many native
        # servers do: service_name must still be the process's name.
        set_comm("h-%d" % (threading.get_ident() % 1000))
        super().setup()

    def log_message(self, *args):
        pass

    def send_body(self, status, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        kind, arg = parts[0], (parts[1] if len(parts) > 1 else "")
        if kind == "api" and arg == "users":
            self.send_body(200, b"u" * 64)
        elif kind == "bytes":
            self.send_body(200, b"b" * int(arg))
        elif kind == "status":
            self.send_body(int(arg), b"status\n")
        elif kind == "slow":
            time.sleep(int(arg) / 1000)
            self.send_body(200, b"ok")
        elif kind == "chunked":
            # three chunks then the last-chunk: payload 3 * arg bytes
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(3):
                self.wfile.write(b"%x\r\n%s\r\n" % (int(arg), b"c" * int(arg)))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        elif kind == "close":
            # HTTP/1.0-style close-delimited body: no Content-Length
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"d" * int(arg))
            self.close_connection = True
        elif kind == "flood":
            self.send_body(200, b"")
        else:
            self.send_body(404, b"no such route\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        self.send_body(201, b"created:" + b"%02d" % (n % 100))

    do_PUT = do_POST


def main():
    port = int(sys.argv[1])
    set_comm(sys.argv[2] if len(sys.argv) > 2 else "api-server")
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
