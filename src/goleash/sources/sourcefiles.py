"""Local copies of the Go source files a dump names.

Dumps carry the paths of the machine that built the binary. A file is looked up as printed,
then under each source root by ever shorter tails of its path, so a dump built in
``/build/src/svc/handler.go`` finds ``./svc/handler.go`` with root ``.``. Used by the text
report (``--source``) and by ``goleash.analysis.explain``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path, PurePosixPath


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


@lru_cache(maxsize=256)
def read_lines(path: str) -> tuple[str, ...] | None:
    """The lines of a local text file (undecodable bytes replaced), or None when unreadable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return tuple(f.read().splitlines())
    except OSError:
        return None
