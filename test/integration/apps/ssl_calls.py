"""Calls OpenSSL's SSL_read_ex (Python's ssl on the system libssl) without a
socket: a client object over memory BIOs, read before any handshake data,
so every call returns "would block". Prints "ready" before it loads libssl
(as a dlopen after apiscope started); for each line on stdin, COUNT calls,
then "done" on stdout.

usage: ssl_calls.py COUNT
"""
import sys


def main():
    count = int(sys.argv[1])
    print("ready", flush=True)
    obj = None
    for _ in sys.stdin:
        if obj is None:
            import ssl  # loads libssl now
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            obj = ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost")
        for _ in range(count):
            try:
                obj.read(16)
            except ssl.SSLWantReadError:
                pass
        print("done", flush=True)


if __name__ == "__main__":
    main()
