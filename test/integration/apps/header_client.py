"""An HTTP client that sends header elements apiscope captures: a unique
X-Request-Id per request, X-Tenant, a User-Agent, a bearer secret and a
cookie. Keep-alive on one connection. Prints what it sent as JSON.

usage: header_client.py NAME PORT PATH COUNT TENANT SECRET [HOST]
  TENANT: a value, or "random" for a new random tenant per request
"""
import http.client
import json
import secrets
import sys

from procname import set_comm


def main():
    name, port, path, count, tenant, secret = sys.argv[1:7]
    host = sys.argv[7] if len(sys.argv) > 7 else "127.0.0.1"
    set_comm(name)
    conn = http.client.HTTPConnection(host, int(port))
    sent = []
    for i in range(int(count)):
        rid = "%s-%d" % (secrets.token_hex(4), i)
        t = secrets.token_hex(6) if tenant == "random" else tenant
        conn.request("GET", path, headers={
            "X-Request-Id": rid,
            "X-Tenant": t,
            "User-Agent": "hdr-client/1.0 (integration test)",
            "Authorization": "Bearer " + secret,
            "Cookie": "sid=" + secret,
        })
        resp = conn.getresponse()
        resp.read()
        sent.append({"id": rid, "tenant": t, "status": resp.status})
    conn.close()
    print(json.dumps(sent))


if __name__ == "__main__":
    main()
