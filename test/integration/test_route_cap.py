"""A flood of unique URLs never grows the series count past the per-service
route cap; the requests past it are counted under one overflow route, and
the access log names every request's route as the metrics do."""
import collections
import json
import os
import tempfile
import time
import unittest

from harness import Apiscope, api_server, client, label_values, main, value, wait_for_count

PORT = 18082
PORT_B = 18098
DUR = "http_server_request_duration_seconds_count"
CAP = 20
FLOOD = 500


class RouteCap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with Apiscope("--routes.max-per-service", str(CAP), "--target.comm", "flood-server",
                      "--target.comm", "flood-client") as scope:
            with api_server(PORT, "flood-server"):
                client("flood-client", "urls", PORT, "/flood/", FLOOD)
                cls.samples = wait_for_count(scope, DUR, FLOOD, service_name="flood-server")
                client("flood-client", "urls", PORT, "/flood/", FLOOD)  # the same URLs again
                cls.again = wait_for_count(scope, DUR, 2 * FLOOD, service_name="flood-server")

    def test_series_stay_under_the_cap(self):
        for service, name in (("flood-server", DUR),
                              ("flood-client", "http_client_request_duration_seconds_count")):
            routes = label_values(self.again, name, "http_route", service_name=service)
            self.assertEqual(len(routes), CAP + 1, service)
            self.assertIn("_other", routes)

    def test_every_request_is_still_counted(self):
        self.assertEqual(value(self.samples, DUR, service_name="flood-server"), FLOOD)
        self.assertEqual(value(self.samples, DUR, service_name="flood-server", http_route="_other"), FLOOD - CAP)
        self.assertEqual(value(self.again, DUR, service_name="flood-server"), 2 * FLOOD)
        self.assertEqual(value(self.again, DUR, service_name="flood-server", http_route="_other"),
                         2 * (FLOOD - CAP))

    def test_overflow_is_counted_in_a_self_metric(self):
        # server and client side each pass their own cap
        self.assertEqual(value(self.samples, "apiscope_route_overflow_requests_total"), 2 * (FLOOD - CAP))
        self.assertEqual(value(self.samples, "apiscope_events_dropped_total"), 0)


class CapInTheLog(unittest.TestCase):
    def test_the_log_says_other_where_the_metrics_do(self):
        """Two processes under one --service-name: each stays under the cap in
        the kernel (it counts per process), so the exporter's cap, per
        service_name, folds the routes past it. The access log must fold the
        same ones."""
        per_server, cap = 15, 20
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "access.log")
            with Apiscope("--routes.max-per-service", str(cap), "--service-name", "flood",
                          "--target.comm", "flood-a", "--target.comm", "flood-b",
                          "--access-log.output", log) as scope:
                with api_server(PORT, "flood-a"), api_server(PORT_B, "flood-b"):
                    client("cap-client", "urls", PORT, "/a/", per_server)
                    client("cap-client", "urls", PORT_B, "/b/", per_server)
                    s = wait_for_count(scope, DUR, 2 * per_server, service_name="flood")
                    deadline = time.monotonic() + 10
                    while value(scope.scrape(), "apiscope_access_log_events_total") < 2 * per_server:
                        self.assertLess(time.monotonic(), deadline, "the log lines were not written")
                        time.sleep(0.2)
            with open(log) as f:
                lines = [json.loads(line) for line in f]
        metrics = {l["http_route"]: v for n, l, v in s if n == DUR and l["service_name"] == "flood"}
        logged = collections.Counter(l["http.route"] for l in lines)
        self.assertEqual(len(lines), 2 * per_server)
        self.assertEqual(dict(logged), metrics)
        self.assertEqual(len(metrics), cap + 1)
        self.assertEqual(metrics["_other"], 2 * per_server - cap)


if __name__ == "__main__":
    main()
