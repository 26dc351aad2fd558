"""How fast `goleash dump` reads a big debug=2 dump, and how much memory it needs.

Generates a 100k-goroutine `debug=2` dump from a real Go program, then reports (median of N runs):

- wall time of `goleash dump FILE --format json`, as a ratio to the floor: the time Python needs
  to read the file and count the lines that start with `goroutine ` (both in a fresh interpreter).
  The program is built from a copy of its source that is deleted before measuring, as for a dump
  taken in production: the source is not at hand. A second figure adds `--source DIR`, where
  goleash also runs its static rules on the blocking sites to name each leak's pattern;
- peak memory (max RSS) of the goleash process;
- with `--big`, the same for a ~1 GB dump made by repeating the goroutines under new ids, to show
  that memory follows the number of distinct groups, not the number of goroutines.

Targets on the project's 2-core machine: ratio <= 2.0, peak <= 150 MB, 1 GB dump < 300 MB.

    python benchmarks/dump_speed.py [--goroutines 100000] [--runs 3] [--big]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))

from gotools import build  # noqa: E402

SOURCE = HERE / "go" / "manygoroutines"

FLOOR = (
    "import sys\n"
    "n = 0\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    for line in f:\n"
    "        if line.startswith(b'goroutine '):\n"
    "            n += 1\n"
    "print(n)\n"
)


# As installed by pip, goleash runs from cached bytecode; an environment that forbids writing it
# (PYTHONDONTWRITEBYTECODE) would add compiling every module to every run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> tuple[float, int, bytes]:
    """Wall seconds, peak RSS in bytes and stdout of one run of cmd."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{cmd[0]} failed with status {proc.returncode}")
        out.seek(0)
        return elapsed, usage.ru_maxrss * 1024, out.read()


def generate(path: Path, goroutines: int) -> None:
    """Write the dump from a build whose source directory no longer exists afterwards."""
    with tempfile.TemporaryDirectory(prefix="goleash-bench-src-") as tmp:
        src = Path(tmp) / "manygoroutines"
        shutil.copytree(SOURCE, src)
        binary = build(src)
        subprocess.run([str(binary), "-n", str(goroutines), "-o", str(path)], check=True)


def enlarge(src: Path, dst: Path, target_bytes: int) -> int:
    """Write a dump of about target_bytes by repeating src's goroutines under fresh ids."""
    text = src.read_bytes()
    blocks = text.split(b"\n\n")
    header = re.compile(rb"^goroutine (\d+)")
    next_id = 1
    written = 0
    with dst.open("wb") as out:
        while written < target_bytes:
            for block in blocks:
                if not block.strip():
                    continue
                block = header.sub(b"goroutine %d" % next_id, block, count=1)
                next_id += 1
                out.write(block + b"\n\n")
                written += len(block) + 2
    return next_id - 1


def measure(dump: Path, runs: int, *extra: str) -> dict[str, float]:
    goleash = [sys.executable, "-m", "goleash.cli", "dump", str(dump), "--format", "json", *extra]
    floor_cmd = [sys.executable, "-c", FLOOR, str(dump)]
    floors, walls, peaks = [], [], []
    timed(goleash)  # warm-up: bytecode and the file in the page cache
    for _ in range(runs):
        floors.append(timed(floor_cmd)[0])
        wall, peak, _ = timed(goleash)
        walls.append(wall)
        peaks.append(peak)
    floor = statistics.median(floors)
    wall = statistics.median(walls)
    return {
        "size_mb": dump.stat().st_size / 2**20,
        "floor_s": floor,
        "goleash_s": wall,
        "ratio": wall / floor,
        "peak_mb": statistics.median(peaks) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goroutines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big", action="store_true", help="also stream a ~1 GB dump")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="goleash-bench-"))
    dump = work / "goroutines.txt"
    generate(dump, args.goroutines)
    result = measure(dump, args.runs)
    print(
        f"{args.goroutines} goroutines, {result['size_mb']:.1f} MB: "
        f"floor {result['floor_s']:.2f}s, goleash {result['goleash_s']:.2f}s, "
        f"ratio {result['ratio']:.2f} (target <= 2.0), "
        f"peak {result['peak_mb']:.0f} MB (target <= 150)"
    )
    explained = measure(dump, args.runs, "--source", str(SOURCE))
    print(
        f"  with --source (static rules name the patterns): goleash "
        f"{explained['goleash_s']:.2f}s, ratio {explained['ratio']:.2f}, "
        f"peak {explained['peak_mb']:.0f} MB"
    )
    if args.big:
        big = work / "big.txt"
        count = enlarge(dump, big, 2**30)
        result = measure(big, 1)
        print(
            f"{count} goroutines, {result['size_mb']:.0f} MB: goleash {result['goleash_s']:.1f}s, "
            f"ratio {result['ratio']:.2f}, peak {result['peak_mb']:.0f} MB (target < 300)"
        )
        big.unlink()
    dump.unlink()


if __name__ == "__main__":
    main()
