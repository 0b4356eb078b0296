"""An HTTP server on raw sockets that never loads OpenSSL (no http.server,
which imports ssl): apiscope must report it as TLS-unsupported and still
count its plaintext requests.

usage: plain_server.py PORT NAME
"""
import socket
import sys
import threading

from procname import set_comm


def serve(conn):
    with conn:
        buf = b""
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain")


def main():
    port, name = int(sys.argv[1]), sys.argv[2]
    set_comm(name)
    assert "ssl" not in sys.modules
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
