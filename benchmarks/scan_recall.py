"""Recall of `goleash scan` on small programs reduced from real blocking bugs.

tests/go/recall/main.go holds one scenario per missed bug shape (each described in a comment
with the project and bug class it comes from), with its blocking line marked `// BLOCKS`, and
the fix of each (names ending in "Fixed"). This script runs the program (every scenario must
leave goroutines blocked, every fix none: the counts are printed) and scans it, then prints,
per scenario, whether a finding points at the marked line, and any finding inside a fix.

    python benchmarks/scan_recall.py [--no-run]
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

from goleash.lint.config import ScanConfig
from goleash.lint.engine import scan
from goleash.toolchain import find_go

RECALL = Path(__file__).resolve().parent.parent / "tests" / "go" / "recall"


def blocking_lines(source: str) -> dict[int, str]:
    """Line -> enclosing function, for every line marked `// BLOCKS`."""
    found: dict[int, str] = {}
    current = ""
    for number, text in enumerate(source.splitlines(), 1):
        m = re.match(r"func (?:\([^)]*\) )?(\w+)", text)
        if m:
            current = m.group(1)
        if text.rstrip().endswith("// BLOCKS"):
            found[number] = current
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="only scan, do not run the program")
    args = parser.parse_args()
    if not args.no_run:
        run = subprocess.run(
            [str(find_go()), "run", "."], cwd=RECALL, capture_output=True, text=True, timeout=300
        )
        if run.returncode != 0:
            raise SystemExit(run.stderr)
        print("goroutines left blocked per scenario (go run .):")
        for line in run.stdout.splitlines():
            print(f"  {line}")
    marked = blocking_lines((RECALL / "main.go").read_text())
    result = scan([RECALL], config=ScanConfig(use_cache=False))
    by_line: dict[int, list[str]] = {}
    for f in result.findings:
        by_line.setdefault(f.line, []).append(f.rule)
    hits = 0
    print("\nscan points at the blocking line:")
    for line, func in sorted(marked.items()):
        rules = by_line.get(line, [])
        hits += bool(rules)
        print(f"  {'yes' if rules else 'NO '}  main.go:{line:<4} {func:<22} {', '.join(rules)}")
    print(f"\nrecall: {hits}/{len(marked)} = {hits / len(marked):.0%} (target >= 80%)")
    source = (RECALL / "main.go").read_text().splitlines()
    in_fixes = [f for f in result.findings if "Fixed" in _declaration_line(source, f.line)]
    print(f"findings inside the fixed versions: {len(in_fixes)}")
    for f in in_fixes:
        print(f"  main.go:{f.line} {f.rule}: {f.message}")


def _declaration_line(lines: list[str], line: int) -> str:
    """The `func …` line that a 1-based line belongs to."""
    for text in reversed(lines[:line]):
        if text.startswith("func "):
            return text
    return ""


if __name__ == "__main__":
    main()
