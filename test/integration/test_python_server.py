"""apiscope against a real Python ThreadingHTTPServer app, driven by curl,
http.client keep-alive, a pipelining client and 50 concurrent connections.
Counts, statuses and body sizes must be exact on both sides."""
import os
import tempfile
import unittest

from harness import Apiscope, api_server, client, curl, main, value, wait_for_count

PORT = 18080
URL = "http://127.0.0.1:%d" % PORT
DUR = "http_server_request_duration_seconds_count"
CDUR = "http_client_request_duration_seconds_count"


class PythonServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scope = Apiscope().__enter__()
        try:
            with api_server(PORT):
                cls.drive()
                # 27 + 1 + 5 + 2 + 204 + 11 + 2 + 1 + 5 + 1 requests in all
                cls.samples = wait_for_count(cls.scope, DUR, 259, service_name="api-server")
                if os.environ.get("APISCOPE_DUMP_METRICS"):  # the README's excerpt comes from here
                    with open(os.environ["APISCOPE_DUMP_METRICS"], "w") as f:
                        f.write(cls.scope.metrics_text())
        except BaseException:
            cls.scope.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.scope.close()

    @classmethod
    def drive(cls):
        for i in range(1, 6):
            assert curl(URL + "/api/users/%d?verbose=1" % i) == 200
        for _ in range(3):
            assert curl(URL + "/status/404") == 404
        for _ in range(2):
            assert curl(URL + "/status/500") == 500
        for _ in range(2):
            assert curl("--http1.0", URL + "/bytes/1000") == 200
        assert curl("-I", URL + "/api/users/9") == 200
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"x" * 5000)  # over 1 KiB: curl sends Expect: 100-continue
            f.flush()
            assert curl("--data-binary", "@" + f.name, URL + "/api/items") == 201
        for _ in range(2):
            assert curl(URL + "/chunked/100") == 200
        assert curl(URL + "/close/500") == 200
        assert curl("-X", "PURGE", URL + "/api/users/3") == 501  # not a standard method
        client("py-client", "keepalive", PORT, "/api/users/7", 20)
        client("py-post", "post", PORT, "/api/items", 10, 1000)
        out = client("pipeliner", "pipeline", PORT, 6, "/api/users/1", "/bytes/10", "/status/404")
        assert out["statuses"] == [200, 200, 404] * 2, out
        out = client("py-concurrent", "concurrent", PORT, 50, 4, "/bytes/100")
        assert not out["errors"], out
        cls.slow = client("py-slow", "keepalive", PORT, "/slow/50", 5)

    def count(self, method, route, status, name=DUR, **labels):
        return value(self.samples, name, http_request_method=method, http_route=route,
                     http_response_status_code=str(status), **labels)

    def test_server_counts_per_method_route_status(self):
        s = dict(service_name="api-server")
        self.assertEqual(self.count("GET", "/api/users/{id}", 200, **s), 27)
        self.assertEqual(self.count("HEAD", "/api/users/{id}", 200, **s), 1)
        self.assertEqual(self.count("GET", "/status/{id}", 404, **s), 5)
        self.assertEqual(self.count("GET", "/status/{id}", 500, error_type="500", **s), 2)
        self.assertEqual(self.count("GET", "/bytes/{id}", 200, **s), 204)
        self.assertEqual(self.count("POST", "/api/items", 201, **s), 11)
        self.assertEqual(self.count("GET", "/chunked/{id}", 200, **s), 2)
        self.assertEqual(self.count("GET", "/close/{id}", 200, **s), 1)
        self.assertEqual(self.count("GET", "/slow/{id}", 200, **s), 5)
        self.assertEqual(self.count("_OTHER", "/api/users/{id}", 501, **s), 1)
        self.assertEqual(value(self.samples, DUR, **s), 259, "no other series for the server")

    def test_server_body_sizes(self):
        s = dict(service_name="api-server")
        resp = "http_server_response_body_size_bytes_sum"
        req = "http_server_request_body_size_bytes_sum"
        self.assertEqual(value(self.samples, resp, http_route="/api/users/{id}", http_request_method="GET", **s),
                         27 * 64)
        self.assertEqual(value(self.samples, resp, http_route="/bytes/{id}", **s), 2000 + 20 + 20000)
        self.assertEqual(value(self.samples, resp, http_route="/chunked/{id}", **s), 600)
        self.assertEqual(value(self.samples, resp, http_route="/close/{id}", **s), 500)
        self.assertEqual(value(self.samples, resp, http_route="/status/{id}", **s), 7 * 7)
        self.assertEqual(value(self.samples, req, http_route="/api/items", **s), 5000 + 10 * 1000)
        self.assertEqual(value(self.samples, resp, http_route="/api/items", **s), 11 * 10)

    def test_client_side_per_process(self):
        c = dict(name=CDUR, server_address="127.0.0.1", server_port=str(PORT))
        self.assertEqual(self.count("GET", "/api/users/{id}", 200, service_name="curl", **c), 5)
        self.assertEqual(self.count("HEAD", "/api/users/{id}", 200, service_name="curl", **c), 1)
        self.assertEqual(self.count("GET", "/status/{id}", 404, service_name="curl", error_type="404", **c), 3)
        self.assertEqual(self.count("GET", "/status/{id}", 500, service_name="curl", error_type="500", **c), 2)
        self.assertEqual(self.count("POST", "/api/items", 201, service_name="curl", **c), 1)
        self.assertEqual(self.count("GET", "/close/{id}", 200, service_name="curl", **c), 1)
        self.assertEqual(self.count("GET", "/api/users/{id}", 200, service_name="py-client", **c), 20)
        self.assertEqual(self.count("POST", "/api/items", 201, service_name="py-post", **c), 10)
        self.assertEqual(self.count("GET", "/bytes/{id}", 200, service_name="pipeliner", **c), 2)
        self.assertEqual(self.count("GET", "/status/{id}", 404, service_name="pipeliner", **c), 2)
        self.assertEqual(self.count("GET", "/bytes/{id}", 200, service_name="py-concurrent", **c), 200)
        resp = "http_client_response_body_size_bytes_sum"
        self.assertEqual(value(self.samples, resp, service_name="curl", http_route="/bytes/{id}"), 2000)
        self.assertEqual(value(self.samples, resp, service_name="curl", http_route="/chunked/{id}"), 600)
        self.assertEqual(value(self.samples, resp, service_name="curl", http_route="/close/{id}"), 500)
        self.assertEqual(value(self.samples, "http_client_request_body_size_bytes_sum", service_name="curl",
                               http_route="/api/items"), 5000)

    def test_durations_match_what_the_client_measured(self):
        # apiscope times request written -> first response byte read; the
        # client times request() -> headers parsed, which also holds its own
        # send and parse: apiscope's sum is never more, and at most 10 % less.
        measured = sum(self.slow["heads"])
        seen = value(self.samples, "http_client_request_duration_seconds_sum", service_name="py-slow")
        served = value(self.samples, "http_server_request_duration_seconds_sum", service_name="api-server",
                       http_route="/slow/{id}")
        self.assertLessEqual(seen, measured)
        self.assertGreaterEqual(seen, 0.9 * measured)
        self.assertGreaterEqual(served, 5 * 0.050)
        self.assertLessEqual(served, seen)
        buckets = {l["le"]: v for n, l, v in self.samples if n == "http_server_request_duration_seconds_bucket"
                   and l.get("http_route") == "/slow/{id}"}
        self.assertEqual(buckets["0.025"], 0)
        self.assertEqual(buckets["+Inf"], 5)
        self.assertEqual(buckets["0.5"], 5)

    def test_nothing_lost(self):
        for reason in ("metrics_map_full", "routes_map_full", "pipeline_overflow"):
            self.assertEqual(value(self.samples, "apiscope_events_dropped_total", reason=reason), 0, reason)
        self.assertEqual(value(self.samples, "http_server_request_duration_seconds_count",
                               service_name="apiscope"), 0, "apiscope never measures itself")


if __name__ == "__main__":
    main()
