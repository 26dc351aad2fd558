"""How dependable `goleash verify` is: N runs against a clean service, N against a leaky one.

Each run is `goleash verify` as a user runs it (a fresh interpreter, default settle settings
unless ``--settle-quiet`` is given) with ``--start`` launching tests/go/loadsvc on a free port
and ``--load`` driving it with loadsvc's own load tool:

- clean: 40 requests over /pool (a fixed pool), /work (goroutines that end 50 ms after the
  request) and /cache (bounded at 8 entries) per cycle;
- leaky: the same, then one /leak request: one goroutine leaked per cycle, the hardest case to
  tell from noise (run through ``sh -c``, as a user chains two load commands).

It prints, per kind, how many runs gave each exit status and verdict, and the median wall time.
A dependable gate gives N passes and N failures.

    python benchmarks/verify_repeat.py [--runs 20] [--settle-quiet 1.0]
"""

from __future__ import annotations

import argparse
import json
import shlex
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from gotools import build  # after the path to the test helpers is set


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def one_run(exe: Path, kind: str, settle_quiet: float | None) -> tuple[int, str, float]:
    """One verify run; its exit status, verdict and wall time."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    clean = [str(exe), "load", "-n", "40", "-c", "4", f"{url}/pool", f"{url}/work", f"{url}/cache"]
    load = shlex.join(clean)
    if kind == "leaky":
        leak = shlex.join([str(exe), "load", "-n", "1", f"{url}/leak"])
        load = shlex.join(["sh", "-c", f"{load} && {leak}"])
    args = [sys.executable, "-m", "goleash.cli", "verify", "--format", "json"]
    args += ["--start", shlex.join([str(exe), "-addr", f"127.0.0.1:{port}", "-cache", "8"])]
    args += ["--url", url, "--load", load]
    if settle_quiet is not None:
        args += ["--settle-quiet", str(settle_quiet)]
    started = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    verdict = json.loads(proc.stdout)["verdict"] if proc.stdout else proc.stderr.strip()
    return proc.returncode, verdict, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--settle-quiet", type=float, default=None)
    args = parser.parse_args()
    exe = build("loadsvc")
    for kind, wanted in (("clean", 0), ("leaky", 1)):
        outcomes: Counter[tuple[int, str]] = Counter()
        times = []
        for _ in range(args.runs):
            code, verdict, seconds = one_run(exe, kind, args.settle_quiet)
            outcomes[(code, verdict)] += 1
            times.append(seconds)
        right = outcomes[(wanted, "clean" if wanted == 0 else "leak")]
        print(
            f"{kind}: {right}/{args.runs} right (exit {wanted}); outcomes "
            f"{dict(outcomes)}; median {statistics.median(times):.1f} s per run"
        )


if __name__ == "__main__":
    main()
