"""How much longer `goleash test` takes than plain `go test` on a module whose tests leak nothing.

Both run the same packages with a warm build cache (one untimed run of each first), as a CI job
would on its second commit: ``go test -count=1 PKGS`` (``-count=1`` because goleash must run
the tests, never replay a cached result) against ``goleash test PKGS`` in a fresh process, so
goleash's own start-up, ``go list``, the overlay and the settling are all counted. The runs are
interleaved; the median of N runs each is reported, with the ratio.

Target: overhead under 20 %. Two workloads, both leak-free:

- the default, ``tests/go/testmods/clean`` (three packages whose tests take milliseconds: the
  worst case, where goleash's fixed cost of about a Python start-up plus a ``go list`` counts
  most against go's compile, vet and link);
- real test suites of the standard library, named as packages (goleash puts its check in each
  one's external test package):

    python benchmarks/gotest_overhead.py [--runs 7] [--module tests/go/testmods/clean] [PKG…]
    python benchmarks/gotest_overhead.py --runs 5 strings sort bufio container/list \
        encoding/json text/template path/filepath regexp
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from goleash.toolchain import find_go

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the command and all its children) of one
    command, which must succeed. On a shared machine the CPU time is the steadier of the two:
    other people's load stretches the wall clock, not the work done."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({proc.returncode}):\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


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
    plain_runs, goleash_runs = [], []
    for _ in range(args.runs):
        plain_runs.append(timed(plain, module, env))
        goleash_runs.append(timed(goleash, module, env))
    where = module.relative_to(ROOT) if module.is_relative_to(ROOT) else module
    print(f"module      {where}  packages: {' '.join(args.packages)}")
    for i, what in enumerate(("wall", "cpu")):
        p = statistics.median(r[i] for r in plain_runs)
        g = statistics.median(r[i] for r in goleash_runs)
        runs_p = ", ".join(f"{r[i]:.2f}" for r in plain_runs)
        runs_g = ", ".join(f"{r[i]:.2f}" for r in goleash_runs)
        print(f"{what:<5} go test  median {p:.2f} s  (runs: {runs_p})")
        print(f"{what:<5} goleash  median {g:.2f} s  (runs: {runs_g})")
        print(f"{what:<5} overhead {100 * (g - p) / p:+.1f} %  (target < 20 %)")
    print(f"load        {os.getloadavg()[0]:.2f} (1-minute average at the end)")


if __name__ == "__main__":
    main()
