"""apiscope against a real nginx: static files through sendfile, return 404 and
return 500, HTTP/1.0 and keep-alive clients. Exact counts and body sizes."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import Apiscope, client, curl, main, nginx, value, wait_for_count

PORT = 18081
URL = "http://127.0.0.1:%d" % PORT
DUR = "http_server_request_duration_seconds_count"

SERVER = """
        listen 127.0.0.1:%(port)d;
        root %(dir)s/www;
        location /static/ { }
        location = /missing { return 404; }
        location = /broken { return 500; }
        location = /ok { return 200 "ok\\n"; }"""


class Nginx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="apiscope-nginx-")
        os.chmod(cls.dir, 0o755)  # nginx workers run as nobody
        os.makedirs(os.path.join(cls.dir, "www", "static"))
        with open(os.path.join(cls.dir, "www", "static", "big.bin"), "wb") as f:
            f.write(os.urandom(100_000))
        with open(os.path.join(cls.dir, "www", "static", "small.txt"), "wb") as f:
            f.write(b"s" * 1000)
        cls.scope = Apiscope("--target.comm", "nginx", "--target.comm", "curl",
                             "--target.comm", "ng-client").__enter__()
        try:
            with nginx(cls.dir, SERVER % {"port": PORT, "dir": cls.dir}, PORT):
                cls.drive()
                cls.samples = wait_for_count(cls.scope, DUR, 3 + 2 + 2 + 2 + 2 + 30 + 40, service_name="nginx")
        except BaseException:
            cls.scope.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.scope.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def drive(cls):
        for _ in range(3):
            assert curl(URL + "/static/big.bin") == 200
        for _ in range(2):
            assert curl(URL + "/missing") == 404
        for _ in range(2):
            assert curl(URL + "/broken") == 500
        for _ in range(2):
            assert curl("--http1.0", URL + "/static/small.txt") == 200
        for _ in range(2):
            assert curl(URL + "/static/nothing-here") == 404
        out = client("ng-client", "keepalive", PORT, "/ok", 30)
        assert out["sizes"] == [3] * 30
        client("ng-client", "keepalive", PORT, "/static/small.txt", 40)

    def count(self, route, status, **labels):
        return value(self.samples, DUR, http_route=route, http_response_status_code=str(status), **labels)

    def test_server_counts(self):
        n = dict(service_name="nginx", http_request_method="GET")
        self.assertEqual(self.count("/static/big.bin", 200, **n), 3)
        self.assertEqual(self.count("/missing", 404, **n), 2)
        self.assertEqual(self.count("/broken", 500, error_type="500", **n), 2)
        self.assertEqual(self.count("/static/small.txt", 200, **n), 2 + 40)
        self.assertEqual(self.count("/static/nothing-here", 404, **n), 2)
        self.assertEqual(self.count("/ok", 200, **n), 30)

    def test_sendfile_bodies_are_counted(self):
        resp = "http_server_response_body_size_bytes_sum"
        self.assertEqual(value(self.samples, resp, service_name="nginx", http_route="/static/big.bin"), 300_000)
        self.assertEqual(value(self.samples, resp, service_name="nginx", http_route="/static/small.txt"), 42_000)
        self.assertEqual(value(self.samples, resp, service_name="nginx", http_route="/ok"), 90)
        self.assertEqual(value(self.samples, "http_client_response_body_size_bytes_sum", service_name="curl",
                               http_route="/static/big.bin"), 300_000)

    def test_client_side(self):
        c = dict(server_address="127.0.0.1", server_port=str(PORT))
        cd = "http_client_request_duration_seconds_count"
        self.assertEqual(value(self.samples, cd, service_name="curl", http_route="/missing",
                               error_type="404", **c), 2)
        self.assertEqual(value(self.samples, cd, service_name="ng-client", **c), 70)

    def test_target_comm_filter_keeps_others_out(self):
        services = {l["service_name"] for n, l, v in self.samples if n == DUR or
                    n == "http_client_request_duration_seconds_count"}
        self.assertLessEqual(services, {"nginx", "curl", "ng-client"})


if __name__ == "__main__":
    main()
