"""HTTP clients with a process name of their own. Prints one JSON object:
what was sent and how long each request took as the client measured it.

usage: client.py NAME MODE PORT [ARGS...]
  keepalive PORT PATH COUNT       GETs on one http.client connection
  post PORT PATH COUNT SIZE       POSTs of SIZE bytes on one connection
  pipeline PORT COUNT PATH...     COUNT requests written in one send()
  concurrent PORT CONNS PER PATH  CONNS keep-alive connections in threads
  urls PORT PREFIX COUNT          COUNT distinct letter-only URLs under PREFIX
"""
import http.client
import json
import socket
import sys
import threading
import time

from procname import set_comm


def keepalive(port, path, count, method="GET", body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.connect()
    times, heads, sizes = [], [], []
    for _ in range(count):
        t0 = time.monotonic()
        conn.request(method, path, body=body)
        resp = conn.getresponse()
        heads.append(time.monotonic() - t0)  # status line and headers in
        data = resp.read()
        times.append(time.monotonic() - t0)
        sizes.append(len(data))
        assert resp.status < 600
    conn.close()
    return {"times": times, "heads": heads, "sizes": sizes}


def word(i):
    """A letter-only path segment, unique per i: never collapsed to {id}."""
    w = ""
    for _ in range(6):
        w += chr(ord("a") + i % 26)
        i //= 26
    return w


def urls(port, prefix, count):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(count):
        conn.request("GET", prefix + word(i))
        conn.getresponse().read()
    conn.close()
    return {"sent": count}


def pipeline(port, count, paths):
    reqs = b"".join(
        b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % paths[i % len(paths)].encode()
        for i in range(count)
    )
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(reqs)
    f = s.makefile("rb")
    statuses = []
    for _ in range(count):
        line = f.readline()
        statuses.append(int(line.split()[1]))
        length = 0
        while True:
            h = f.readline()
            if h in (b"\r\n", b""):
                break
            if h.lower().startswith(b"content-length:"):
                length = int(h.split(b":")[1])
        f.read(length)
    s.close()
    return {"statuses": statuses}


def concurrent(port, conns, per, path):
    barrier = threading.Barrier(conns)
    errors = []

    def run():
        try:
            c = http.client.HTTPConnection("127.0.0.1", port)
            barrier.wait()
            for _ in range(per):
                c.request("GET", path)
                c.getresponse().read()
            c.close()
        except Exception as e:  # reported, and the test fails on it
            errors.append(repr(e))

    threads = [threading.Thread(target=run) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"errors": errors}


def main():
    name, mode, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    args = sys.argv[4:]
    set_comm(name)
    if mode == "keepalive":
        out = keepalive(port, args[0], int(args[1]))
    elif mode == "post":
        out = keepalive(port, args[0], int(args[1]), "POST", b"p" * int(args[2]))
    elif mode == "pipeline":
        out = pipeline(port, int(args[0]), args[1:])
    elif mode == "urls":
        out = urls(port, args[0], int(args[1]))
    elif mode == "concurrent":
        out = concurrent(port, int(args[0]), int(args[1]), args[2])
    else:
        raise SystemExit("unknown mode " + mode)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
