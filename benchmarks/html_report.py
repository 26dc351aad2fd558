"""How big the HTML report of a 100k-goroutine dump is, and how fast Chromium renders it.

For each dump (median of N runs):

- the real 100k-goroutine dump of benchmarks/go/manygoroutines (27 distinct stacks), and
- generated 100k-goroutine dumps with ~1,400 and ~14,000 distinct stacks (tests/dumpgen.py,
  the shapes of large production services),

it reports the size of ``goleash dump FILE --format html -o report.html`` (target < 5 MB), the time
goleash takes to write it beside the time of ``--format json`` of the same dump (the floor: the
same parsing and analysis without the page; their CPU difference is the page's cost), and, in
headless Chromium (Debian's /usr/bin/chromium via playwright), the time from navigation start to
the first contentful paint (the summary, flame graph and first groups on screen; target < 2 s), to
the load event, and to the moment the last row of the group list is in the page (rows past the
first ones fill in after the first paint).

    python benchmarks/html_report.py [--goroutines 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import resource
import shutil
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
from dumpgen import generate as generate_shaped  # noqa: E402
from gotools import build  # noqa: E402

PROGRAM = HERE / "go" / "manygoroutines"


def generate_real(path: Path, goroutines: int) -> None:
    """A real debug=2 dump of manygoroutines, built from a copy of its source that is gone
    afterwards (as in production: the report is made without the source at hand)."""
    with tempfile.TemporaryDirectory(prefix="goleash-html-src-") as tmp:
        src = Path(tmp) / "manygoroutines"
        shutil.copytree(PROGRAM, src)
        binary = build(src)
        subprocess.run([str(binary), "-n", str(goroutines), "-o", str(path)], check=True)


# From navigation start: the first contentful paint (the page shows), the load event, and when
# the last compact row of the group list is in the page (it fills in after the first paint).
_TIMES = """() => new Promise(resolve => {
  let fcp = null, complete = null;
  const finish = () => {
    if (fcp === null || complete === null) return;
    resolve([fcp, performance.getEntriesByType('navigation')[0].loadEventEnd, complete,
             document.querySelectorAll('#flame g.cell').length,
             document.querySelectorAll('.group').length]);
  };
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      if (e.name === 'first-contentful-paint') { fcp = e.startTime; finish(); }
    }
  }).observe({type: 'paint', buffered: true});
  const listed = () => requestAnimationFrame(() => { complete = performance.now(); finish(); });
  const more = document.getElementById('more-groups');
  if (!more || more.hasAttribute('data-complete')) { listed(); return; }
  new MutationObserver(() => { if (more.hasAttribute('data-complete')) listed(); })
    .observe(more, {attributes: true});
})"""


def write_report(dump: Path, out: Path, fmt: str = "html") -> tuple[float, float]:
    """Wall and CPU seconds of ``goleash dump DUMP --format FMT -o OUT``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "goleash.cli", "dump", str(dump), "--format", fmt]
    proc = subprocess.run([*cmd, "-o", str(out)], capture_output=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr.decode())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def render_times(report: Path, runs: int) -> tuple[float, float, float, int, int]:
    """Median seconds to the first contentful paint, to the load event and to the complete
    group list, and the flame cells and groups drawn."""
    from playwright.sync_api import sync_playwright

    fcps, loads, completes = [], [], []
    cells = groups = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for i in range(runs + 1):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(report.resolve().as_uri(), wait_until="load", timeout=120_000)
            fcp, load, complete, cells, groups = page.evaluate(_TIMES)
            page.close()
            if i:  # the first run warms the browser's caches
                fcps.append(fcp / 1000)
                loads.append(load / 1000)
                completes.append(complete / 1000)
        browser.close()
    med = statistics.median
    return med(fcps), med(loads), med(completes), cells, groups


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
        # The JSON report of the same dump is the floor: same parsing and analysis, no page.
        # Interleaved runs, so both see the same load on a shared machine.
        html_runs, json_runs = [], []
        for _ in range(args.runs):
            html_runs.append(write_report(dump, out))
            json_runs.append(write_report(dump, out.with_suffix(".json"), "json"))
        med = statistics.median
        wall, cpu = med(w for w, _ in html_runs), med(c for _, c in html_runs)
        floor_wall, floor_cpu = med(w for w, _ in json_runs), med(c for _, c in json_runs)
        page_cpu = med(h[1] - j[1] for h, j in zip(html_runs, json_runs, strict=True))
        fcp, load, complete, cells, groups = render_times(out, args.runs)
        size = out.stat().st_size / 2**20
        print(
            f"{args.goroutines} goroutines, {name}: dump {dump.stat().st_size / 2**20:.0f} MB → "
            f"report {size:.2f} MB (target < 5), written in {wall:.2f}s ({cpu:.2f}s CPU; "
            f"--format json {floor_wall:.2f}s, {floor_cpu:.2f}s CPU: the page adds "
            f"{page_cpu:.2f}s CPU); Chromium: first paint {fcp:.2f}s (target < 2), load "
            f"{load:.2f}s, all {groups} groups listed {complete:.2f}s; {cells} flame cells"
        )


if __name__ == "__main__":
    main()
