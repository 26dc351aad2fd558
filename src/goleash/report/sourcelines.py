"""The Go source line at a frame, when the file can be found on this machine.

Dumps carry the paths of the machine that built the binary. A file is looked up as printed,
then under each ``--source`` root by ever shorter tails of its path, so a dump built in
``/build/src/svc/handler.go`` finds ``./svc/handler.go`` with ``--source .``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path, PurePosixPath


@lru_cache(maxsize=256)
def _lines(path: str) -> tuple[str, ...] | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return tuple(f.read().splitlines())
    except OSError:
        return None


def locate(file: str, roots: Sequence[Path] = ()) -> Path | None:
    """The local copy of a dump's source file, or None."""
    if not file or file.startswith("<"):
        return None
    printed = Path(file)
    if printed.is_absolute() and printed.is_file():
        return printed
    parts = PurePosixPath(file.replace("\\", "/")).parts
    parts = tuple(p for p in parts if p not in ("/", "") and not p.endswith(":"))
    for root in roots:
        for start in range(len(parts)):
            candidate = root.joinpath(*parts[start:])
            if candidate.is_file():
                return candidate
    return None


def source_line(file: str, line: int, roots: Sequence[Path] = ()) -> str | None:
    """The text of ``file:line`` (stripped), or None when the file or line is not found."""
    path = locate(file, tuple(roots))
    if path is None or line < 1:
        return None
    lines = _lines(str(path))
    if lines is None or line > len(lines):
        return None
    return lines[line - 1].strip()
