"""A process that speaks a binary protocol whose messages start with an
uppercase letter, as PostgreSQL's do ('Q' query, 'T' row description, 'D'
data row, 'Z' ready), and a text one whose commands are an uppercase word
and a space, as SMTP's: both ends of each over loopback TCP. Then a few HTTP
requests on one keep-alive connection, and one on a connection of its own
written by sendmsg with an empty first buffer. Prints JSON: what was sent.

usage: binary_peer.py NAME EXCHANGES HTTP_PORT HTTP_REQUESTS
"""
import http.client
import json
import socket
import struct
import sys

from procname import set_comm


def message(kind, body):
    return kind + struct.pack("!I", len(body) + 4) + body


def main():
    name, exchanges, http_port, requests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    set_comm(name)
    lsock = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(lsock.getsockname())
    server, _ = lsock.accept()
    query = message(b"Q", b"SELECT 1;\0")
    reply = message(b"T", b"\0\1?column?\0" + b"\0" * 18) + message(b"D", b"\0\1\0\0\0\0011") + \
        message(b"C", b"SELECT 1\0") + message(b"Z", b"I")
    for _ in range(exchanges):
        client.sendall(query)
        got = b""
        while len(got) < len(query):
            got += server.recv(len(query) - len(got))
        server.sendall(reply)
        got = b""
        while len(got) < len(reply):
            got += client.recv(len(reply) - len(got))
    client.close()
    server.close()
    # SMTP-like: "EHLO client.example" passes a first look at the bytes
    client = socket.create_connection(lsock.getsockname())
    server, _ = lsock.accept()
    for _ in range(exchanges // 10):
        for src, dst, line in ((client, server, b"EHLO client.example\r\n"), (server, client, b"250 ok\r\n")):
            src.sendall(line)
            got = b""
            while len(got) < len(line):
                got += dst.recv(len(line) - len(got))
    for s in (client, server, lsock):
        s.close()
    conn = http.client.HTTPConnection("127.0.0.1", http_port)
    statuses = []
    for i in range(requests):
        conn.request("GET", "/api/users/%d" % i)
        resp = conn.getresponse()
        resp.read()
        statuses.append(resp.status)
    conn.close()
    # one more request on a new connection, written by sendmsg with an empty
    # first buffer: the connection's first bytes are in the second iovec
    s = socket.create_connection(("127.0.0.1", http_port))
    s.sendmsg([b"", b"GET /api/users/99 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])
    reply = b""
    while chunk := s.recv(65536):
        reply += chunk
    s.close()
    statuses.append(int(reply.split(b" ", 2)[1]))
    print(json.dumps({"exchanges": exchanges, "statuses": statuses}))


if __name__ == "__main__":
    main()
