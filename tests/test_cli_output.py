"""-o FILE sends every report format to the file, and nothing to standard output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "dumps" / "go1.19-386"
GOLEASH = [sys.executable, "-m", "goleash.cli"]


@pytest.mark.parametrize("fmt", ["text", "json", "html"])
def test_diff_report_goes_to_the_output_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"diff.{fmt}"
    # The same process read as debug=1 and debug=2: its stacks match across the formats.
    before, after = FIXTURES / "debug1.txt", FIXTURES / "debug2.txt"
    run = subprocess.run(
        [*GOLEASH, "diff", str(before), str(after), "--format", fmt, "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    written = out.read_text(encoding="utf-8")
    if fmt == "json":
        assert json.loads(written)["verdict"] == "clean"
    elif fmt == "html":
        assert written.lstrip().lower().startswith("<!doctype html")
    else:
        assert "no leak" in written
