"""How fast `goleash scan` reads the Go standard library, against `gofmt -l` on the same files.

Both tools get the same files: ``$(go env GOROOT)/src`` without _test.go files, testdata/ and
vendor/ (about 4,000 files, 1.7 million lines), from the Go toolchain of the test extra. In the
same run, interleaved, median of N runs each:

- wall time of ``goleash scan --no-cache --no-tests SRC`` (a fresh process, as a user runs it)
  and of ``gofmt -l FILES…``; their ratio and lines per second;
- the cache: a first scan into an empty cache, then a second scan of the unchanged tree;
- time per rule (``--profile``, summed over worker processes) from the last uncached run.

Targets on the project's 2-core machine: ratio <= 1.5, second run >= 5x faster than the first.

    python benchmarks/scan_speed.py [--runs 3] [--src PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from goleash.lint.discovery import discover
from goleash.toolchain import find_go, find_gofmt

CPU: list[tuple[str, float]] = []  # (tool, CPU seconds of the child, user + system)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall time of one command (which must succeed or report findings) and its stderr; its
    CPU time is appended to ``CPU`` (less disturbed than wall time on a shared machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    CPU.append((Path(cmd[0]).name if "gofmt" in cmd[0] else "goleash", cpu))
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed, proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--src", type=Path, default=find_go().resolve().parent.parent / "src")
    args = parser.parse_args()
    src: Path = args.src

    warnings: list[str] = []
    files = discover([src], include_tests=False, warnings=warnings)
    lines = sum(f.path.read_bytes().count(b"\n") for f in files)
    gofmt = [str(find_gofmt()), "-l", *(str(f.path) for f in files)]
    goleash = [sys.executable, "-m", "goleash.cli", "scan", "--no-tests", "--format", "json"]

    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "scan.json")
        env = dict(os.environ, XDG_CACHE_HOME=str(Path(tmp) / "unused"))
        gofmt_times, scan_times = [], []
        gofmt_cpu, scan_cpu = [], []
        profile = ""
        for _ in range(args.runs):
            gofmt_times.append(timed(gofmt)[0])
            gofmt_cpu.append(CPU[-1][1])
            t, profile = timed([*goleash, "--no-cache", "--profile", "-o", out, str(src)], env)
            scan_times.append(t)
            scan_cpu.append(CPU[-1][1])
        findings = len(json.loads(Path(out).read_text())["findings"])

        cold_times, warm_times = [], []
        for i in range(args.runs):
            cache_env = dict(os.environ, XDG_CACHE_HOME=str(Path(tmp) / f"cache{i}"))
            cold_times.append(timed([*goleash, "-o", out, str(src)], cache_env)[0])
            warm_times.append(timed([*goleash, "-o", out, str(src)], cache_env)[0])

    g, s = statistics.median(gofmt_times), statistics.median(scan_times)
    cold, warm = statistics.median(cold_times), statistics.median(warm_times)
    print(f"tree: {src} ({len(files):,} files, {lines:,} lines, no tests/testdata/vendor)")
    print(f"cores: {os.cpu_count()}; runs: {args.runs} (median)")
    print(f"gofmt -l:          {g:6.2f} s  {lines / g:>10,.0f} lines/s")
    print(f"goleash scan:      {s:6.2f} s  {lines / s:>10,.0f} lines/s  ({findings} findings)")
    print(f"ratio scan/gofmt:  {s / g:6.2f}x  (target <= 1.5x)")
    # On a shared machine the two tools see different loads: each pair ran back to back, so
    # the median of the pairs' ratios, and the ratio of CPU time, are steadier views.
    paired = statistics.median(a / b for a, b in zip(scan_times, gofmt_times, strict=True))
    cpu_ratio = statistics.median(scan_cpu) / statistics.median(gofmt_cpu)
    print(
        f"  median of paired ratios {paired:.2f}x; CPU time ratio {cpu_ratio:.2f}x "
        f"(goleash {statistics.median(scan_cpu):.1f} s, gofmt {statistics.median(gofmt_cpu):.1f} s)"
    )
    print(
        f"cache: first {cold:.2f} s, second {warm:.2f} s: {cold / warm:.1f}x faster (target >= 5x)"
    )
    print("per rule (CPU seconds summed over workers, last uncached run):")
    for line in profile.splitlines():
        if line.startswith(("rule time:", "  ")):
            print(f"  {line.strip()}")
    print(f"all runs: gofmt {gofmt_times}, scan {scan_times}, cold {cold_times}, warm {warm_times}")


if __name__ == "__main__":
    main()
