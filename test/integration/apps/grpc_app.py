"""A gRPC server and client on Debian's python3-grpcio (run with
/usr/bin/python3), with no generated code: generic handlers on raw bytes.

  grpc_app.py server NAME PORT [TLS_CERT TLS_KEY]   serve until killed; prints "ready"
  grpc_app.py client NAME PORT [CA]                 make the calls below; print what came back (JSON)
  grpc_app.py hold NAME PORT N M                     N Get calls, "ready", then after a line on stdin
                                                     M more on the same connection; prints M's statuses

Service demo.Items: Get (unary; the id "missing" answers NOT_FOUND, "boom"
INTERNAL), List (server streaming: one message per byte of the request),
Collect (client streaming), Chat (bidirectional).
"""
import json
import os
import sys
import threading
import time
from concurrent import futures

import grpc

from procname import set_comm

SERVICE = "demo.Items"


def get(request, context):
    if request == b"missing":
        context.abort(grpc.StatusCode.NOT_FOUND, "no such item")
    if request == b"boom":
        context.abort(grpc.StatusCode.INTERNAL, "it broke")
    return b"item:" + request


def list_items(request, context):
    for i in range(len(request)):
        yield b"part-%d" % i


def collect(requests, context):
    return b"%d" % sum(len(r) for r in requests)


def chat(requests, context):
    for r in requests:
        yield b"echo:" + r


def serve(port, cert=None, key=None):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handlers = {
        "Get": grpc.unary_unary_rpc_method_handler(get),
        "List": grpc.unary_stream_rpc_method_handler(list_items),
        "Collect": grpc.stream_unary_rpc_method_handler(collect),
        "Chat": grpc.stream_stream_rpc_method_handler(chat),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    if cert:
        with open(cert, "rb") as c, open(key, "rb") as k:
            creds = grpc.ssl_server_credentials([(k.read(), c.read())])
        server.add_secure_port("127.0.0.1:%d" % port, creds)
    else:
        server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    print("ready", flush=True)
    threading.Event().wait()


def call(channel):
    """Each kind of call, some failing; returns the status code of each."""
    out = {"Get": [], "List": [], "Collect": [], "Chat": []}
    get = channel.unary_unary("/%s/Get" % SERVICE)
    secret = os.environ.get("GRPC_TEST_SECRET", "not-a-secret")
    for i, item in enumerate([b"1", b"2", b"3", b"missing", b"boom", b"4"]):
        try:
            get(item, timeout=10, metadata=(("x-request-id", "get-%d" % i), ("authorization", "Bearer " + secret)))
            out["Get"].append("OK")
        except grpc.RpcError as e:
            out["Get"].append(e.code().name)
    lst = channel.unary_stream("/%s/List" % SERVICE)
    for n in (3, 5):
        parts = list(lst(b"x" * n, timeout=10))
        out["List"].append(len(parts))
    collect = channel.stream_unary("/%s/Collect" % SERVICE)
    out["Collect"].append(collect(iter([b"ab", b"cde", b"f"]), timeout=10).decode())
    chat = channel.stream_stream("/%s/Chat" % SERVICE)
    out["Chat"].append(len(list(chat(iter([b"a", b"b", b"c", b"d"]), timeout=10))))
    return out


def main():
    mode, name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    set_comm(name)
    if mode == "server":
        serve(port, *sys.argv[4:6])
        return
    if mode == "hold":  # one long-lived connection, before and after apiscope starts
        with grpc.insecure_channel("127.0.0.1:%d" % port) as channel:
            get = channel.unary_unary("/%s/Get" % SERVICE)
            for i in range(int(sys.argv[4])):
                get(b"%d" % i, timeout=10)
            print("ready", flush=True)
            sys.stdin.readline()
            statuses = []
            for i in range(int(sys.argv[5])):
                try:
                    get(b"missing" if i % 4 == 3 else b"%d" % i, timeout=10)
                    statuses.append("OK")
                except grpc.RpcError as e:
                    statuses.append(e.code().name)
        print(json.dumps(statuses))
        return
    if len(sys.argv) > 4:
        with open(sys.argv[4], "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        channel = grpc.secure_channel("localhost:%d" % port, creds)
    else:
        channel = grpc.insecure_channel("127.0.0.1:%d" % port)
    with channel:
        result = call(channel)
    time.sleep(0.2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
