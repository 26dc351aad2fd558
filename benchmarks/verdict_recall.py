"""How well `goleash dump` judges one dump without the runtime's help.

Runs the leak shapes of tests/go/verdict (reduced from real bug reports) in each context a dump
meets them (started by request handlers over closed connections and over one kept-alive
connection, by main at start-up, by a function still on the stack like a test harness; a
deadlock), captures every format with the Go 1.27 ``(leaked)`` marks removed, and prints:

- recall: the share of leaked goroutines (the runtime's goroutineleak marks, plus ``// LEAK``
  lines) that sit in suspect groups, per context and format, and overall for traceback text;
- the healthy service's suspects per format (target 0);
- the idle pools' highest suspicion against the leaks' lowest, per format.

Each context is one process (``--n`` calls of each shape); the figures vary a little between
runs where goroutine ids decide whether goroutines look started in one burst.

    python benchmarks/verdict_recall.py [--n 4] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from verdict_capture import (
    FORMATS,
    SHAPES,
    Capture,
    Scored,
    at_marker,
    capture_deadlock,
    capture_inline,
    capture_served,
    judge,
)


def _pct(caught: int, leaked: int) -> str:
    return f"{100 * caught / leaked:5.1f} % ({caught}/{leaked})" if leaked else "   -"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4, help="calls of each shape")
    ap.add_argument("--verbose", action="store_true", help="list the leaked groups missed")
    args = ap.parse_args()

    captures: list[Capture] = [
        capture_served(mode, args.n) for mode in ("service", "keepalive", "startup")
    ]
    captures += [capture_inline(shape, args.n) for shape in SHAPES]
    healthy = capture_served("healthy", args.n)
    deadlock = capture_deadlock()

    results: list[Scored] = []
    by_context: dict[tuple[str, str], list[Scored]] = defaultdict(list)
    for cap in captures:
        for fmt in FORMATS:
            if fmt not in cap.dumps:
                continue
            s = judge(cap, fmt)
            results.append(s)
            context = cap.name.split("/")[0]
            by_context[(context, fmt)].append(s)
    dead = judge(deadlock, "fatal")

    print("recall: leaked goroutines in suspect groups ((leaked) marks removed)")
    print(f"{'context':<10} " + " ".join(f"{f:>22}" for f in FORMATS))
    for context in ("service", "keepalive", "startup", "inline"):
        cells = []
        for fmt in FORMATS:
            rows = by_context.get((context, fmt), [])
            cells.append(_pct(sum(r.caught for r in rows), sum(r.leaked for r in rows)))
        print(f"{context:<10} " + " ".join(f"{c:>22}" for c in cells))
    print(f"{'deadlock':<10} {_pct(dead.caught, dead.leaked):>22}  (fatal error output)")

    text = [r for r in results if r.fmt in ("debug2", "sigquit")] + [dead]
    caught, leaked = sum(r.caught for r in text), sum(r.leaked for r in text)
    print(f"\ntraceback text overall (debug=2, SIGQUIT, deadlock): {_pct(caught, leaked)}")
    for fmt in ("debug1", "debug0"):
        rows = [r for r in results if r.fmt == fmt]
        print(f"{fmt} overall: {_pct(sum(r.caught for r in rows), sum(r.leaked for r in rows))}")

    print("\nfalse suspects (suspect groups holding no leaked goroutine)")
    for fmt in FORMATS:
        rows = [r for r in results if r.fmt == fmt]
        print(f"  {fmt:<8} leaky dumps: {sum(r.false_suspects for r in rows)}", end="")
        h = judge(healthy, fmt) if fmt in healthy.dumps else None
        print(f"   healthy service: {h.suspects if h else '-'} suspects")

    print("\nidle pools against leaks (suspicion; a leak at 0.00 is hidden by an ignore pack)")
    for fmt in FORMATS:
        rows = [r for r in results if r.fmt == fmt]
        h = judge(healthy, fmt)
        pools = [*h.pool_scores, *(p for r in rows for p in r.pool_scores)]
        leaks = [x for r in rows for x in r.leak_scores]
        below = sum(1 for x in leaks if pools and x > max(pools))
        top = max(pools) if pools else float("nan")
        print(
            f"  {fmt:<8} highest pool {top:.2f} · lowest leak {min(leaks):.2f} · "
            f"leak groups above every pool: {below}/{len(leaks)}"
        )

    if args.verbose:
        print("\nleaked groups not rated suspect (at a // LEAK line)")
        for r in [*results, dead]:
            for a in r.assessments:
                site = a.group.blocking_site
                if a.suspect or site is None or not at_marker(a.group, "// LEAK"):
                    continue
                print(
                    f"  {r.capture}/{r.fmt}: {a.group.count} x {a.state or '?'} at "
                    f"{site.file_name}:{site.line} ({a.suspicion:.2f}) {a.ignored or ''} "
                    f"{a.reasons[-1]}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
