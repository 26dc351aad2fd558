"""The Go source line at a frame, when the file can be found on this machine.

Finding the file (``locate``: as printed, then under each ``--source`` root by ever shorter
tails of its path) lives in ``goleash.sources.sourcefiles``, shared with the analyses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from goleash.sources.sourcefiles import locate, read_lines


def source_line(
    file: str,
    line: int,
    roots: Sequence[Path] = (),
    located: dict[str, Path | None] | None = None,
) -> str | None:
    """The text of ``file:line`` (stripped), or None when the file or line is not found.

    ``located``: the files one report has looked up so far (with these roots), by their name in
    the dump: each is looked for once, not once per frame (a lookup tries a path per root and
    per tail of the name; a report of ten thousand groups made two hundred thousand of them).
    """
    if located is None:
        path = locate(file, tuple(roots))
    elif file in located:
        path = located[file]
    else:
        path = located[file] = locate(file, tuple(roots))
    if path is None or line < 1:
        return None
    lines = read_lines(str(path))
    if lines is None or line > len(lines):
        return None
    return lines[line - 1].strip()
