"""Least privilege: apiscope starts and counts with only the capabilities it
documents, keeps none it does not need once attached, and names the
capability it lacks when it cannot start."""
import os
import re
import subprocess
import time
import unittest

from harness import ARGS, Apiscope, api_server, curl, main, value, wait_for_count

PORT = 18096
DUR = "http_server_request_duration_seconds_count"


def caps_of(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"CapEff:\s+([0-9a-f]+)", f.read()).group(1), 16)


def bits(*caps):
    return sum(1 << c for c in caps)


BPF, PERFMON, SYS_ADMIN, SYS_PTRACE, DAC_READ_SEARCH = 39, 38, 21, 19, 2


class LimitedApiscope(Apiscope):
    """apiscope run as root but with only the given capabilities (setpriv)."""

    def __init__(self, caps, *flags, port=19483):
        super().__init__(*flags, port=port)
        self.cmd = ["setpriv", "--bounding-set", "-all," + ",".join("+" + c for c in caps),
                    "--inh-caps", "-all", *self.cmd]


class Privileges(unittest.TestCase):
    def test_bpf_and_perfmon_suffice_without_tls(self):
        with LimitedApiscope(["bpf", "perfmon"], "--tls.enabled", "false", "--target.comm", "api-server") as scope, \
                api_server(PORT):
            for _ in range(4):
                self.assertEqual(curl("http://127.0.0.1:%d/api/users/1" % PORT), 200)
            s = wait_for_count(scope, DUR, 4, service_name="api-server")
            self.assertEqual(value(s, DUR, service_name="api-server"), 4)
            # attached: no capability is kept
            self.assertEqual(caps_of(scope.proc.pid), 0)
        self.assertEqual(scope.proc.returncode, 0)

    def test_tls_keeps_only_what_attaching_later_needs(self):
        caps = ["bpf", "perfmon", "sys_admin", "sys_ptrace", "dac_read_search"]
        with LimitedApiscope(caps, "--target.comm", "api-server") as scope:
            self.assertEqual(caps_of(scope.proc.pid), bits(BPF, PERFMON, SYS_ADMIN, SYS_PTRACE, DAC_READ_SEARCH))
        self.assertEqual(scope.proc.returncode, 0)

    def test_root_drops_the_rest(self):
        with Apiscope("--tls.enabled", "false", "--kubernetes.enabled", "false", port=19484) as scope:
            self.assertEqual(caps_of(scope.proc.pid), 0)
        # pod labels: a cgroup is opened by its id
        with Apiscope("--tls.enabled", "false", port=19484) as scope:
            self.assertEqual(caps_of(scope.proc.pid), bits(DAC_READ_SEARCH))

    def test_missing_capability_is_named(self):
        for caps, missing in [(["bpf"], "CAP_PERFMON"), (["perfmon"], "CAP_BPF")]:
            cmd = ["setpriv", "--bounding-set", "-all," + ",".join("+" + c for c in caps), "--inh-caps", "-all",
                   ARGS.apiscope, "--web.listen-address", "127.0.0.1:19485"]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 1, r.stderr)
            last = r.stderr.strip().splitlines()[-1]
            self.assertIn(missing, last)
            self.assertIn("permission denied", last)


if __name__ == "__main__":
    main()
