"""The pprofserve Go program (tests/go/pprofserve): start it, ask it, scrape it.

It starts a known set of goroutines; the constants below restate what its main.go starts, and
the line numbers of the statements they block on are read from main.go, not written here.

Run as a script to refresh the captured fixtures:
    python tests/pprofserve.py tests/fixtures/dumps/go1.27
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from gotools import GO_DIR, build, line_in

MAIN_GO = GO_DIR / "pprofserve" / "main.go"

# What main.go starts (see its package comment).
POOL_WORKERS = 4
LABELLED_WORKERS = 3
LEAKY_SENDERS = 5
LEAKY_RECEIVERS = 2
LEAKED = LEAKY_SENDERS + LEAKY_RECEIVERS
WORKER_LABELS = {"handler": "/api/v1", "tenant": "acme corp"}
RECEIVER_LABELS = {"job": "report", "note": 'say "hi"\t\x01 ✓'}


def line_of(text: str) -> int:
    """The line number in main.go of the first line containing ``text``."""
    return line_in(MAIN_GO, text)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]

    def get(self, path: str) -> bytes:
        """One request on a fresh connection, closed afterwards (like every scrape here)."""
        with httpx.Client(timeout=30) as client:
            r = client.get(self.url + path)
            r.raise_for_status()
            return r.content

    def count(self) -> int:
        """runtime.NumGoroutine() while the /count request is being served."""
        return int(self.get("/count"))

    def settled_count(self, tries: int = 50) -> int:
        """NumGoroutine once goroutines of earlier connections have finished exiting."""
        last = self.count()
        for _ in range(tries):
            time.sleep(0.05)
            now = self.count()
            if now == last:
                return now
            last = now
        raise AssertionError("goroutine count never settled")


@contextmanager
def serving(*args: str) -> Iterator[Server]:
    """Build and start pprofserve; stop it afterwards."""
    binary = build("pprofserve")
    proc = subprocess.Popen(
        [str(binary), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            _, err = proc.communicate(timeout=5)
            raise AssertionError(f"pprofserve did not start: {err}")
        yield Server(url, proc)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def capture(out: Path) -> None:
    """Write the fixtures the parser tests read, straight from a running pprofserve."""
    out.mkdir(parents=True, exist_ok=True)
    with serving() as server:
        for name, path in [
            ("goroutine.debug1.txt", "/debug/pprof/goroutine?debug=1"),
            ("goroutineleak.debug1.txt", "/debug/pprof/goroutineleak?debug=1"),
            ("goroutine.debug0.pb.gz", "/debug/pprof/goroutine?debug=0"),
            ("goroutineleak.debug0.pb.gz", "/debug/pprof/goroutineleak?debug=0"),
        ]:
            (out / name).write_bytes(server.get(path))


if __name__ == "__main__":
    capture(Path(sys.argv[1]))
