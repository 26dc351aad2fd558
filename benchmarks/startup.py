"""How long goleash takes to start: `--help`, a tiny dump, and the imports of each command.

Reports the median of ``--runs`` runs (fresh processes, bytecode cached as when installed) of:

- `python -c pass`, the floor every Python program pays;
- `goleash --help` (target < 40 ms) and `goleash` alone;
- `goleash dump tiny.txt --format json` on a 20-goroutine dump whose source is not at hand
  (target < 60 ms);
- `python -X importtime -c "import goleash.cli.<command>"`: the cumulative import time of each
  command's module, in ms.

    python benchmarks/startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent / "src"))

from dumpgen import generate  # noqa: E402
from goleash.cli import COMMANDS  # noqa: E402

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
GOLEASH = Path(sys.executable).with_name("goleash")


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def median_ms(cmd: list[str], runs: int) -> float:
    wall(cmd)  # warm-up: bytecode written, files in the page cache
    return statistics.median(wall(cmd) for _ in range(runs)) * 1000


def import_ms(module: str, runs: int) -> float:
    """Cumulative import time of ``module`` as ``-X importtime`` reports it."""
    pattern = re.compile(rf"\|\s*(\d+) \| {re.escape(module)}$", re.M)
    times = []
    for _ in range(runs + 1):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            env=ENV,
        )
        m = pattern.search(proc.stderr)
        if m is None:
            return float("nan")
        times.append(int(m.group(1)) / 1000)
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="goleash-startup-") as tmp:
        tiny = Path(tmp) / "tiny.txt"
        tiny.write_bytes(generate(20, 8, seed=1))
        rows = [
            ("python -c pass (floor)", [sys.executable, "-c", "pass"]),
            ("goleash --help", [str(GOLEASH), "--help"]),
            ("goleash (usage)", [str(GOLEASH)]),
            (
                "goleash dump tiny.txt --format json",
                [str(GOLEASH), "dump", str(tiny), "--format", "json"],
            ),
        ]
        print(f"median of {args.runs} runs, wall ms")
        for name, cmd in rows:
            print(f"  {name:<40} {median_ms(cmd, args.runs):7.1f}", flush=True)
    print("import time of each command's module (python -X importtime), cumulative ms")
    for name, (module, _) in COMMANDS.items():
        print(f"  {name:<12} {module:<26} {import_ms(module, args.runs):7.1f}", flush=True)
    print(f"  {'(reading)':<12} {'goleash.dumps':<26} {import_ms('goleash.dumps', args.runs):7.1f}")


if __name__ == "__main__":
    main()
