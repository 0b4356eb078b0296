"""N HTTP/2 connections (h2c, python-h2), each with one request answered,
then held open until stdin closes. Run with Debian's /usr/bin/python3
(python3-h2). Prints "ready N" once every answer came.

usage: /usr/bin/python3 bench/h2_idle_clients.py PORT N
"""
import resource
import socket
import sys

import h2.config
import h2.connection
import h2.events


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 1000, n + 1000))
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        c.initiate_connection()
        c.send_headers(1, [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1"),
                           (":path", "/ok")], end_stream=True)
        s.sendall(c.data_to_send())
        conns.append((s, c))
    answered = 0
    for s, c in conns:
        done = False
        while not done:
            data = s.recv(65536)
            if not data:
                raise SystemExit("the server closed a connection")
            for e in c.receive_data(data):
                done = done or isinstance(e, h2.events.StreamEnded)
            s.sendall(c.data_to_send())
        answered += 1
    print("ready %d" % answered, flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
