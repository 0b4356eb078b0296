"""An HTTP/2 server on Debian's python3-h2 (run it with /usr/bin/python3),
plaintext: prior knowledge and Upgrade: h2c. Its paths make the frames that
change what a request is:

  /items/ID      200, a body of 5 bytes
  /padded        200, its DATA padded (the body is 5 bytes, padding excluded)
  /big           200 with a 40 KB response header: HEADERS and CONTINUATION frames
  /reset         the response's headers and a first DATA frame, then RST_STREAM (CANCEL)
  /goaway        200, then GOAWAY: the connection ends
  /status/NNN    NNN

It announces a small header table (SETTINGS_HEADER_TABLE_SIZE 1024), so the
client's encoder sends a dynamic table size update.

usage: h2_server.py NAME PORT      prints "ready" when it listens
"""
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events
import h2.settings

from procname import set_comm


def respond(conn, sock, stream, path):
    if path.startswith("/items/"):
        conn.send_headers(stream, [(":status", "200"), ("content-type", "text/plain")])
        conn.send_data(stream, b"items", end_stream=True)
    elif path == "/padded":
        conn.send_headers(stream, [(":status", "200")])
        conn.send_data(stream, b"paddy", end_stream=True, pad_length=40)
    elif path == "/big":
        conn.send_headers(stream, [(":status", "200"), ("x-big", "b" * 40000)])
        conn.send_data(stream, b"big!!", end_stream=True)
    elif path == "/reset":
        conn.send_headers(stream, [(":status", "200")])
        conn.send_data(stream, b"parti")
        conn.reset_stream(stream, error_code=h2.errors.ErrorCodes.CANCEL)
    elif path == "/goaway":
        conn.send_headers(stream, [(":status", "200")])
        conn.send_data(stream, b"bye!!", end_stream=True)
        conn.close_connection()
    elif path.startswith("/status/"):
        conn.send_headers(stream, [(":status", path[8:11])], end_stream=True)
    else:
        conn.send_headers(stream, [(":status", "404")], end_stream=True)
    sock.sendall(conn.data_to_send())
    return path == "/goaway"


def serve(sock):
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.local_settings = h2.settings.Settings(client=False, initial_values={
        h2.settings.SettingCodes.HEADER_TABLE_SIZE: 1024, h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100})
    data = sock.recv(65536)
    if data.startswith(b"PRI * HTTP/2.0"):
        conn.initiate_connection()
    else:  # an HTTP/1.1 request asking for h2c
        head, _, rest = data.partition(b"\r\n\r\n")
        fields = dict(l.split(b":", 1) for l in head.split(b"\r\n")[1:] if b":" in l)
        settings = fields[b"HTTP2-Settings"].strip()
        sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        conn.initiate_upgrade_connection(settings)
        path = head.split(b" ")[1].decode()
        sock.sendall(conn.data_to_send())
        respond(conn, sock, 1, path)
        data = rest
    sock.sendall(conn.data_to_send())
    while True:
        for event in conn.receive_data(data) if data else []:
            if isinstance(event, h2.events.RequestReceived):
                path = dict(event.headers)[":path"]
                if respond(conn, sock, event.stream_id, path):
                    sock.close()
                    return
        sock.sendall(conn.data_to_send())
        data = sock.recv(65536)
        if not data:
            sock.close()
            return


def main():
    set_comm(sys.argv[1])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(sys.argv[2])))
    listener.listen(16)
    print("ready", flush=True)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


if __name__ == "__main__":
    main()
