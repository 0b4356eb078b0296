"""Hostile bytes against an HTTP server, with well-formed requests in
between, from a process with a name of its own. Prints JSON: how many
well-formed requests got which status, and what was sent.

usage: hostile_client.py NAME PORT
"""
import json
import os
import random
import socket
import sys
import time

from procname import set_comm

PORT = 0


def connect():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def drain(s):
    """Read until the server closes or goes quiet; returns the bytes."""
    out = b""
    s.settimeout(2)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except OSError:
        pass
    s.close()
    return out


def fire(payload, shut=True):
    s = connect()
    try:
        s.sendall(payload)
        if shut:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    return drain(s)


def good(statuses):
    """One well-formed request on its own connection."""
    s = connect()
    s.sendall(b"GET /api/users/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    statuses.append(int(drain(s).split(b" ", 2)[1]))


def main():
    global PORT
    set_comm(sys.argv[1])
    PORT = int(sys.argv[2])
    rnd = random.Random(7)
    statuses, sent = [], {}

    sent["random_bytes"] = 50
    for _ in range(50):
        fire(os.urandom(rnd.randint(1, 4096)))
    good(statuses)

    # a TLS ClientHello and an HTTP/2 preface on the plaintext port
    fire(bytes.fromhex("16030100f5010000f10303") + os.urandom(240))
    fire(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x12\x04\x00\x00\x00\x00\x00")
    sent["tls_and_h2"] = 2
    good(statuses)

    # 64 KiB request line and 64 KiB of headers
    fire(b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    fire(b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"b" * 65536 + b"\r\n\r\n")
    fire(b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(8000)) + b"\r\n")
    sent["huge"] = 3
    good(statuses)

    # thousands of random methods (Python answers 501 and closes each connection)
    methods = 0
    for _ in range(2000):
        m = "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rnd.randint(3, 12)))
        reply = fire(b"%s /x HTTP/1.1\r\nHost: x\r\n\r\n" % m.encode(), shut=False)
        assert reply.startswith(b"HTTP/1.") and b" 501 " in reply.split(b"\r\n")[0], reply[:80]
        methods += 1
    sent["random_methods"] = methods
    good(statuses)

    # unterminated heads, closed half-way. Python takes the end of input for
    # the end of the head and answers: those answers are requests to count.
    answered = 0
    for i in range(20):
        reply = fire(b"GET /api/users/1 HTTP/1.1\r\nHost: x\r\nX-Cut: " + b"c" * i * 10)
        answered += reply.startswith(b"HTTP/1.1 200 ")
    sent["unterminated"] = 20
    sent["unterminated_answered"] = answered
    good(statuses)

    # slowloris: a well-formed request written one byte at a time
    s = connect()
    for b in b"GET /api/users/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n":
        s.send(bytes([b]))
        time.sleep(0.002)
    statuses.append(int(drain(s).split(b" ", 2)[1]))

    # half-closed: the request, then our side shut, then the response read
    s = connect()
    s.sendall(b"GET /api/users/3 HTTP/1.1\r\nHost: x\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    statuses.append(int(drain(s).split(b" ", 2)[1]))
    good(statuses)

    print(json.dumps({"statuses": statuses, "sent": sent}))


if __name__ == "__main__":
    main()
