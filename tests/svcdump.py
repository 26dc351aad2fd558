"""The order service of tests/go/explainsvc, run and dumped the way a user curls it.

It has one leak of each kind goleash explains; lines of interest carry markers: ``BLOCKS: kind``
where the leaked goroutines wait, ``CAUSE: kind`` where the bug is. The dump is captured once
per test process and cached next to the binary.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
import urllib.request
from functools import cache
from pathlib import Path

from gotools import GO_DIR, build

SVC_DIR = GO_DIR / "explainsvc"


def marker(kind: str, word: str = "BLOCKS") -> tuple[Path, int]:
    """The file and line of the ``// WORD: kind`` marker (exactly one)."""
    found = []
    for path in sorted(SVC_DIR.glob("*.go")):
        for i, text in enumerate(path.read_text().splitlines(), start=1):
            if text.rstrip().endswith(f"// {word}: {kind}"):
                found.append((path, i))
    assert len(found) == 1, (kind, word, found)
    return found[0]


@cache
def capture(n: int = 3, debug: int = 2) -> bytes:
    """A ``/debug/pprof/goroutine?debug=N`` dump of the running service."""
    binary = build(SVC_DIR)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [str(binary), "-n", str(n), "-addr", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=err,
        )
        try:
            assert proc.stdout is not None
            addr = ""
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                line = proc.stdout.readline().decode()
                if not line:
                    break
                m = re.match(r"listening on (\S+)", line)
                if m:
                    addr = m.group(1)
                    break
            assert addr, "explainsvc did not start"
            url = f"http://{addr}/debug/pprof/goroutine?debug={debug}"
            with urllib.request.urlopen(url, timeout=30) as resp:
                data: bytes = resp.read()
            return data
        finally:
            proc.kill()
            proc.wait(timeout=10)
