"""Hostile traffic against a real server with apiscope attached: random
bytes, a TLS ClientHello and an HTTP/2 preface on a plaintext port, 64 KiB
request lines and headers, thousands of random methods, unterminated heads,
one-byte writes, half-closed connections. The well-formed requests are
counted exactly, random methods are _OTHER, series stay bounded, the rest
shows in the parse counters, and apiscope keeps running."""
import json
import os
import subprocess
import sys
import unittest

from harness import APPS, Apiscope, api_server, main, value, wait_for_count

PORT = 18088
DUR = "http_server_request_duration_seconds_count"


class Hostile(unittest.TestCase):
    def test_hostile_traffic(self):
        with Apiscope("--target.comm", "api-server", "--target.comm", "hostile") as scope, api_server(PORT):
            out = subprocess.run([sys.executable, os.path.join(APPS, "hostile_client.py"), "hostile", str(PORT)],
                                 capture_output=True, text=True, timeout=240, cwd=APPS)
            self.assertEqual(out.returncode, 0, out.stderr)
            got = json.loads(out.stdout)
            # the client's well-formed requests: six on connections of their own, one written a
            # byte at a time, one on a half-closed connection; every one answered 200
            self.assertEqual(got["statuses"], [200] * 8)
            good = len(got["statuses"]) + got["sent"]["unterminated_answered"]
            methods = got["sent"]["random_methods"]
            s = wait_for_count(scope, DUR, good + methods, service_name="api-server")
            self.assertIsNone(scope.proc.poll(), "apiscope is still running")
            metrics = scope.metrics_text()

        # the well-formed requests, exactly, on both sides
        self.assertEqual(value(s, DUR, service_name="api-server", http_route="/api/users/{id}",
                               http_request_method="GET", http_response_status_code="200"), good)
        self.assertEqual(value(s, "http_client_request_duration_seconds_count", service_name="hostile",
                               http_route="/api/users/{id}", http_response_status_code="200"), good)
        # every random method is one _OTHER request: Python answers 501
        self.assertEqual(value(s, DUR, service_name="api-server", http_request_method="_OTHER",
                               http_route="/x", http_response_status_code="501"), methods)
        methods_seen = {l["http_request_method"] for n, l, v in s if n == DUR}
        self.assertLessEqual(methods_seen, {"GET", "_OTHER"})
        # series bounded: a handful, whatever was sent
        series = [l for n, l, v in s if n == DUR]
        self.assertLess(len(series), 20, series)
        # what could not be framed was counted, not guessed at
        failures = value(s, "apiscope_parse_failures_total")
        self.assertGreater(failures, 0)
        self.assertGreater(value(s, "apiscope_parse_failures_total", reason="head_too_long"), 0)
        self.assertNotIn("HTTP/2.0", metrics)
        self.assertNotIn("PRI", metrics)


class BinaryPeers(unittest.TestCase):
    def test_binary_protocol_is_not_a_connection(self):
        """A target's database-like traffic, whose messages start with an
        uppercase letter, is turned away before any connection entry, and an
        SMTP-like exchange is not counted as a connection: only the HTTP
        connections are observed, once on each end, one of them opened by a
        sendmsg whose first buffer is empty."""
        with Apiscope("--target.comm", "api-server", "--target.comm", "binary-peer") as scope, api_server(PORT):
            before = scope.scrape()
            out = subprocess.run([sys.executable, os.path.join(APPS, "binary_peer.py"), "binary-peer", "300",
                                  str(PORT), "3"], capture_output=True, text=True, timeout=120, cwd=APPS)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(json.loads(out.stdout)["statuses"], [200] * 4)
            s = wait_for_count(scope, DUR, 4, service_name="api-server")
        self.assertEqual(value(s, DUR, service_name="api-server", http_route="/api/users/{id}"), 4)
        self.assertEqual(value(s, "http_client_request_duration_seconds_count", service_name="binary-peer"), 4)
        # two HTTP connections, each seen from both ends
        self.assertEqual(value(s, "apiscope_connections_observed_total")
                         - value(before, "apiscope_connections_observed_total"), 4)
        self.assertEqual(value(s, "apiscope_parse_failures_total"), value(before, "apiscope_parse_failures_total"))


if __name__ == "__main__":
    main()
