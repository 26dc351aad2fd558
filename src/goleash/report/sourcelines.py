"""The Go source line at a frame, when the file can be found on this machine.

Finding the file (``locate``: as printed, then under each ``--source`` root by ever shorter
tails of its path) lives in ``goleash.sources.sourcefiles``, shared with the analyses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from goleash.sources.sourcefiles import locate, read_lines


def source_line(file: str, line: int, roots: Sequence[Path] = ()) -> str | None:
    """The text of ``file:line`` (stripped), or None when the file or line is not found."""
    path = locate(file, tuple(roots))
    if path is None or line < 1:
        return None
    lines = read_lines(str(path))
    if lines is None or line > len(lines):
        return None
    return lines[line - 1].strip()
