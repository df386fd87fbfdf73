"""Shared by the interop checks (imported, never run by run-all.sh, which runs check_*.py): the repository root,
Fixtures/ on sys.path (the generators' model builders), and PASS / FAIL / SKIP lines with a failure count."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Fixtures")
if FIXTURES not in sys.path:
    sys.path.insert(0, FIXTURES)


class Reporter:
    """Prints `STATUS area: name — detail` lines and exits 1 from `finish` if any was a FAIL."""

    def __init__(self, area):
        self.area = area
        self.failures = 0

    def __call__(self, status, name, detail=""):
        if status == "FAIL":
            self.failures += 1
        print("%s %s: %s%s" % (status, self.area, name, (" — " + detail) if detail else ""), flush=True)

    def finish(self):
        sys.exit(1 if self.failures else 0)

    def skip_all(self, why):
        """The peers this check needs are missing: one SKIP line, exit 0."""
        self("SKIP", "all", why)
        sys.exit(0)


def cnzoo_binary():
    """The cnzoo binary named on the command line (usage error, exit 2, otherwise)."""
    if len(sys.argv) != 2:
        print("usage: %s CNZOO_BINARY" % os.path.basename(sys.argv[0]), file=sys.stderr)
        sys.exit(2)
    return sys.argv[1]
