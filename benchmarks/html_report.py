"""How big the HTML report of a 100k-goroutine dump is, and how fast Chromium renders it.

For each dump (median of N runs):

- the real 100k-goroutine dump of benchmarks/go/manygoroutines (27 distinct stacks), and
- generated 100k-goroutine dumps with ~1,400 and ~14,000 distinct stacks (tests/dumpgen.py,
  the shapes of large production services),

it reports the size of ``goleash dump FILE --format html -o report.html`` (target < 5 MB), the
time goleash takes to write it, and the time headless Chromium (Debian's /usr/bin/chromium via
playwright) takes from navigation start to the first frame painted after the load event, with
the flame graph drawn (target < 2 s).

    python benchmarks/html_report.py [--goroutines 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from browser import ARGS, CHROMIUM  # noqa: E402
from dump_speed import generate as generate_real  # noqa: E402
from dumpgen import generate as generate_shaped  # noqa: E402

# Navigation start to the first frame after `load`, with the flame graph's cells in the page.
_PAINTED = """() => new Promise(resolve => requestAnimationFrame(() =>
    resolve([performance.now(), document.querySelectorAll('#flame g.cell').length,
             document.querySelectorAll('.group').length])))"""


def write_report(dump: Path, out: Path) -> float:
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "goleash.cli", "dump", str(dump), "--format", "html"]
    proc = subprocess.run([*cmd, "-o", str(out)], capture_output=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr.decode())
    return time.perf_counter() - start


def render_times(report: Path, runs: int) -> tuple[float, int, int]:
    from playwright.sync_api import sync_playwright

    times = []
    cells = groups = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for i in range(runs + 1):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(report.resolve().as_uri(), wait_until="load")
            painted, cells, groups = page.evaluate(_PAINTED)
            page.close()
            if i:  # the first run warms the browser's caches
                times.append(painted / 1000)
        browser.close()
    return statistics.median(times), cells, groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goroutines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="goleash-html-bench-"))
    dumps: list[tuple[str, Path]] = []
    real = work / "real.txt"
    generate_real(real, args.goroutines)
    dumps.append(("manygoroutines (27 stacks)", real))
    for stacks in (1_400, 14_000):
        path = work / f"shaped-{stacks}.txt"
        path.write_bytes(generate_shaped(args.goroutines, stacks, seed=1))
        dumps.append((f"generated, ~{stacks:,} stacks", path))
    for name, dump in dumps:
        out = dump.with_suffix(".html")
        writes = [write_report(dump, out) for _ in range(args.runs)]
        render, cells, groups = render_times(out, args.runs)
        size = out.stat().st_size / 2**20
        print(
            f"{args.goroutines} goroutines, {name}: dump {dump.stat().st_size / 2**20:.0f} MB → "
            f"report {size:.2f} MB (target < 5), written in {statistics.median(writes):.2f}s; "
            f"Chromium renders it in {render:.2f}s (target < 2) "
            f"[{groups} groups listed, {cells} flame cells]"
        )


if __name__ == "__main__":
    main()
