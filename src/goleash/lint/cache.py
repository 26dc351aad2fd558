"""The scan cache: results per package, keyed by everything that could change them.

A key covers each file's name and content hash (and so the package's), the module's Go version,
the goleash version, the code of the engine and of every rule that ran, and the options that
change results. A re-run on unchanged files reads one small JSON file per package instead of
parsing. Entries are never updated in place, so a stale entry is simply never asked for again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from goleash import __version__
from goleash.model import Finding

_FORMAT = 1


def default_cache_dir(scanned: Sequence[Path] = ()) -> Path:
    """The user's cache folder: ``$GOLEASH_CACHE_DIR``, else ``$XDG_CACHE_HOME/goleash``, else
    ``~/.cache/goleash``. Never inside the scanned project (a scan must not write into the tree
    it reads, such as a GOROOT or a read-only checkout); ``scan.cache-dir`` in the config or
    ``--cache-dir`` put it elsewhere. ``scanned`` is accepted for older callers and unused."""
    del scanned
    explicit = os.environ.get("GOLEASH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec: a relative value is to be ignored
        return Path(xdg) / "goleash"
    return Path.home() / ".cache" / "goleash"


def content_hash(data: bytes) -> str:
    """The hash a cache key uses for one file's content."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@cache
def _file_hash(path: str) -> str:
    try:
        return content_hash(Path(path).read_bytes())
    except OSError:
        return "unreadable"


def code_fingerprint(modules: Iterable[str]) -> str:
    """A hash of the source files of the lint engine and of the given modules (the rules')."""
    lint_dir = Path(__file__).parent
    files = {str(p) for p in lint_dir.rglob("*.py")}
    for name in modules:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if file:
            files.add(str(file))
    h = hashlib.blake2b(__version__.encode(), digest_size=16)
    for f in sorted(files):
        h.update(f"{Path(f).name}:{_file_hash(f)}\n".encode())
    return h.hexdigest()


def package_key(parts: Iterable[str]) -> str:
    """A cache key from the strings that identify one package's inputs."""
    h = hashlib.blake2b(f"goleash-scan/{_FORMAT}".encode(), digest_size=20)
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()


class ScanCache:
    """One JSON file per package key under a folder; read and write failures are not fatal."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.write_failed: str | None = None

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry for ``key``, or None (missing or unreadable: it is recomputed)."""
        try:
            with open(self._path(key), encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store an entry atomically; remember the first failure so the scan can warn once."""
        path = self._path(key)
        try:
            if not self.folder.is_dir():
                self.folder.mkdir(parents=True, exist_ok=True)
                # Like ruff's cache: the folder ignores itself in git.
                (self.folder / ".gitignore").write_text("*\n", encoding="utf-8")
            path.parent.mkdir(exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(entry, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as e:
            if self.write_failed is None:
                self.write_failed = f"cannot write scan cache in {self.folder}: {e.strerror or e}"


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """A finding as plain JSON data (also the shape of the JSON report)."""
    return f._asdict()


def finding_from_dict(d: dict[str, Any]) -> Finding:
    """The inverse of ``finding_to_dict``."""
    return Finding(**d)
