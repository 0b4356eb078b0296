"""The verifier's work on every program stays well inside the kernel's limit
of one million instructions, with the default config and with every feature
on (header capture with labels, the access log, LLM/MCP routes). A change
that walks a program towards the limit fails here, not at load on a user's
host whose kernel verifies a little differently."""
import os
import re
import tempfile
import unittest

from harness import Apiscope, main

LIMIT = 1_000_000
SHARE = 0.5  # the most of the limit any program may take

FULL = """headers:
  request: [X-Request-Id, {name: X-Tenant, label: true}, {name: User-Agent, label: true}]
  response: [Content-Type]
access_log: {output: /dev/null}
"""


def verifier_work(*flags):
    """Instructions the verifier processed, by program, as apiscope reports them at load."""
    os.environ["APISCOPE_VERIFIER_STATS"] = "1"
    try:
        scope = Apiscope(*flags)
        with scope:
            pass
    finally:
        del os.environ["APISCOPE_VERIFIER_STATS"]
    found = re.findall(r"^verifier: (\w+): processed (\d+) insns", scope.stderr, re.M)
    return {name: int(n) for name, n in found}


class Verifier(unittest.TestCase):
    def check(self, work):
        # the programs that carry the parser must be among those reported
        self.assertIn("syscall_exit", work)
        self.assertIn("tls_return", work)
        for name, n in work.items():
            self.assertLess(n, SHARE * LIMIT, "%s: %d instructions" % (name, n))

    def test_default_config(self):
        self.check(verifier_work())

    def test_every_feature_on(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as cfg:
            cfg.write(FULL)
            cfg.flush()
            self.check(verifier_work("--config", cfg.name))


if __name__ == "__main__":
    main()
