"""A keep-alive HTTP or HTTPS client (http.client, Python's ssl on the
system libssl) with a process name of its own. Sends COUNT requests to each
path and prints the statuses and body sizes it got as JSON.

usage: tls_client.py NAME SCHEME PORT COUNT PATH...
"""
import http.client
import json
import ssl
import sys

from procname import set_comm


def main():
    name, scheme, port, count, *paths = sys.argv[1:]
    set_comm(name)
    if scheme == "https":
        conn = http.client.HTTPSConnection("127.0.0.1", int(port), context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection("127.0.0.1", int(port))
    got = []
    for _ in range(int(count)):
        for path in paths:
            method = "POST" if path.startswith("/post") else "GET"
            conn.request(method, path, body=b"x" * 100 if method == "POST" else None)
            resp = conn.getresponse()
            got.append({"path": path, "status": resp.status, "size": len(resp.read())})
    conn.close()
    print(json.dumps(got))


if __name__ == "__main__":
    main()
