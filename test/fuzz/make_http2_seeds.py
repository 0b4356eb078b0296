#!/usr/bin/python3
"""Writes the seed corpus of fuzz_http2 (test/fuzz/corpus_http2/): HTTP/2
exchanges made by python3-h2 (Debian's, so run with /usr/bin/python3), in
the fuzzer's input format: a first byte for how the connection starts, then
pieces, each a control byte (direction, length) and its bytes."""
import os

import h2.config
import h2.connection

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_http2")


def pieces(chunks):
    """(into_server, bytes) pairs as pieces of at most 497 bytes."""
    out = b""
    for into_server, data in chunks:
        while data:
            n = (min(len(data), 497) - 1) // 16  # a piece is n * 16 + 1 bytes
            out += bytes([(0x80 if into_server else 0) | n]) + data[:n * 16 + 1]
            data = data[n * 16 + 1:]
    return out


def exchange(n, trailers=False, padding=0, big=False):
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    client.initiate_connection()
    server.initiate_connection()
    chunks = []
    for i in range(n):
        sid = client.get_next_available_stream_id()
        headers = [(":method", "GET"), (":scheme", "http"), (":authority", "x"), (":path", "/items/%d" % i),
                   ("x-tenant", "acme"), ("authorization", "Bearer s3cret")]
        if big:
            headers.append(("cookie", "c" * 20000))
        client.send_headers(sid, headers, end_stream=True)
    c = client.data_to_send()
    chunks.append((True, c[24:]))  # the preface is the fuzzer's first byte
    for ev in server.receive_data(c):
        if isinstance(ev, h2.events.RequestReceived):
            server.send_headers(ev.stream_id, [(":status", "200"), ("content-type", "text/plain")])
            server.send_data(ev.stream_id, b"hello" * 10, end_stream=not trailers, pad_length=padding or None)
            if trailers:
                server.send_headers(ev.stream_id, [("grpc-status", "0")], end_stream=True)
    chunks.append((False, server.data_to_send()))
    return b"\x00" + pieces(chunks)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {"one": exchange(1), "many": exchange(8), "trailers_padding": exchange(2, True, 9),
             "continuation": exchange(1, big=True)}
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
