"""A flood of unique URLs never grows the series count past the per-service
route cap; the requests past it are counted under one overflow route."""
import unittest

from harness import Apiscope, api_server, client, label_values, main, value, wait_for_count

PORT = 18082
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


if __name__ == "__main__":
    main()
