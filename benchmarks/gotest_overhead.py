"""How much longer `goleash test` takes than plain `go test` on a module whose tests leak nothing.

Both run the same packages with a warm build cache (one untimed run of each first), as a CI job
would on its second commit: ``go test -count=1 PKGS`` (``-count=1`` because goleash must run
the tests, never replay a cached result) against ``goleash test PKGS`` in a fresh process, so
goleash's own start-up, ``go list``, the overlay and the settling are all counted. The runs are
interleaved; the median of N runs each is reported, with the ratio.

Target: overhead under 20 %.

    python benchmarks/gotest_overhead.py [--runs 7] [--module tests/go/testmods/clean] [PKG…]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from goleash.toolchain import find_go

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall time of one command, which must succeed."""
    begin = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - begin
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--module", type=Path, default=ROOT / "tests/go/testmods/clean")
    parser.add_argument("packages", nargs="*", default=["./..."])
    args = parser.parse_args()
    module: Path = args.module.resolve()

    go = str(find_go())
    env = dict(os.environ, GOPROXY="off", GOTOOLCHAIN="local", GOTELEMETRY="off", GOFLAGS="")
    plain = [go, "test", "-count=1", *args.packages]
    goleash = [sys.executable, "-m", "goleash.cli", "test", "--go", go, *args.packages]
    timed(plain, module, env)  # warm the build cache for both
    timed(goleash, module, env)
    plain_times, goleash_times = [], []
    for _ in range(args.runs):
        plain_times.append(timed(plain, module, env))
        goleash_times.append(timed(goleash, module, env))
    p = statistics.median(plain_times)
    g = statistics.median(goleash_times)
    print(f"module      {module.relative_to(ROOT) if module.is_relative_to(ROOT) else module}")
    print(f"go test     median {p:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in plain_times)})")
    print(f"goleash     median {g:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in goleash_times)})")
    print(f"overhead    {100 * (g - p) / p:+.1f} %  (target < 20 %)")
    print(f"load        {os.getloadavg()[0]:.2f} (1-minute average at the end)")


if __name__ == "__main__":
    main()
