"""Calls OpenSSL's SSL_read_ex (Python's ssl on the system libssl) without a
socket: a client object over memory BIOs, read before any handshake data,
so every call returns "would block". For each line on stdin, COUNT calls,
then "done" on stdout. Prints "ready" once libssl is loaded.

usage: ssl_calls.py COUNT
"""
import ssl
import sys


def main():
    count = int(sys.argv[1])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    obj = ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost")
    print("ready", flush=True)
    for _ in sys.stdin:
        for _ in range(count):
            try:
                obj.read(16)
            except ssl.SSLWantReadError:
                pass
        print("done", flush=True)


if __name__ == "__main__":
    main()
