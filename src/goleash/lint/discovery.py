"""Which files a scan reads, and the Go version of the module each one belongs to."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from goleash.errors import InputError
from goleash.lint.rules.base import GoVersion

# Folders the go command itself ignores (vendor is someone else's code).
SKIPPED_DIRS = frozenset({"vendor", "testdata", "node_modules"})

_GO_LINE = re.compile(rb"^go\s+(\S+)\s*(?://.*)?$")
_VERSION = re.compile(r"^1\.(\d+)(?:\.(\d+))?(?:(?:rc|beta)\d+)?$")
_DIRECTIVES = frozenset(
    {
        b"module",
        b"go",
        b"toolchain",
        b"require",
        b"replace",
        b"exclude",
        b"retract",
        b"godebug",
        b"tool",
        b"ignore",
    }
)


@dataclass(frozen=True)
class SourceFile:
    """A Go file to scan: where it is, how to show it, whether it is a test."""

    path: Path  # absolute
    display: str  # as the user will read it
    is_test: bool


def parse_go_version(text: str) -> GoVersion | None:
    """``1.22`` / ``1.22.3`` / ``1.27rc1`` -> (1, 22) …; anything else -> None."""
    m = _VERSION.match(text.strip())
    return (1, int(m.group(1))) if m else None


def read_go_mod(data: bytes) -> tuple[GoVersion | None, str | None]:
    """The `go` version a go.mod declares, and a problem description if it is broken.

    A go.mod without a `go` line is valid and says nothing: the version is unknown.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    if "\0" in text:
        return None, "binary content"
    version: GoVersion | None = None
    depth = 0
    for number, raw in enumerate(text.encode().splitlines(), 1):
        line = raw.split(b"//", 1)[0].strip()
        if not line:
            continue
        if depth:
            if line == b")":
                depth -= 1
            continue
        word = line.split()[0].rstrip(b"(")
        if word not in _DIRECTIVES:
            return None, f"line {number}: unknown directive {word.decode(errors='replace')!r}"
        if line.endswith(b"("):
            depth += 1
        if word == b"go":
            m = _GO_LINE.match(raw.strip())
            parsed = parse_go_version(m.group(1).decode()) if m else None
            if parsed is None:
                return None, f"line {number}: invalid go version {raw.strip().decode()!r}"
            version = parsed
    if depth:
        return None, "unclosed ( block"
    return version, None


@dataclass
class ModuleVersions:
    """Finds the nearest go.mod for a folder and remembers it per folder (one read per go.mod)."""

    warnings: list[str] = field(default_factory=list)
    _by_dir: dict[Path, GoVersion | None] = field(default_factory=dict)

    def version_for(self, folder: Path) -> GoVersion | None:
        """The `go` version of the module that contains ``folder`` (absolute), None if unknown."""
        seen: list[Path] = []
        current = folder
        result: GoVersion | None = None
        while True:
            if current in self._by_dir:
                result = self._by_dir[current]
                break
            seen.append(current)
            go_mod = current / "go.mod"
            if go_mod.is_file():
                result = self._read(go_mod)
                break
            if current.parent == current:
                break
            current = current.parent
        for d in seen:
            self._by_dir[d] = result
        return result

    def _read(self, go_mod: Path) -> GoVersion | None:
        try:
            data = go_mod.read_bytes()
        except OSError as e:
            self.warnings.append(f"{go_mod}: cannot read go.mod ({e.strerror}); Go version unknown")
            return None
        version, problem = read_go_mod(data)
        if problem:
            self.warnings.append(f"{go_mod}: broken go.mod ({problem}); Go version unknown")
        return version


def _excluded(path: Path, patterns: Sequence[str], base: Path) -> bool:
    if not patterns:
        return False
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        rel = path.as_posix()
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(path.name, p) for p in patterns)


def _join_display(shown: str, rel: str) -> str:
    return rel if shown in ("", ".") else os.path.join(shown, rel)


def _package_pattern(path: Path) -> Path:
    """``./...`` and ``dir/...`` as the go command writes them: the folder, recursively (as
    every folder is walked)."""
    text = str(path)
    if text == "...":
        return Path(".")
    if text.endswith(("/...", os.sep + "...")):
        return Path(text[:-4] or "/")
    return path


def discover(
    paths: Sequence[Path],
    *,
    exclude: Sequence[str] = (),
    exclude_base: Path | None = None,
    include_tests: bool = True,
    warnings: list[str],
) -> list[SourceFile]:
    """Go files under ``paths``, sorted, without duplicates.

    Folders (also written ``dir/...``) are walked recursively, skipping vendor/, testdata/,
    hidden and ``_``-prefixed folders below the given path (the path itself is always
    scanned). A named file that is not a .go file gets a warning; a path that does not exist
    raises InputError.
    """
    found: dict[Path, SourceFile] = {}
    for given in map(_package_pattern, paths):
        if not given.exists() and not given.is_symlink():
            raise InputError(f"{given}: no such file or directory")
        root = given.resolve()
        base = exclude_base or (root if root.is_dir() else root.parent)
        shown = os.path.normpath(str(given))
        if root.is_file():
            if not root.name.endswith(".go"):
                warnings.append(f"{shown}: not a Go file (skipped)")
                continue
            is_test = root.name.endswith("_test.go")
            if is_test and not include_tests:
                continue
            found.setdefault(root, SourceFile(root, shown, is_test))
            continue
        if not root.is_dir():
            warnings.append(f"{shown}: not a regular file or folder (skipped)")
            continue
        for file in _walk(root, exclude, base, warnings):
            is_test = file.name.endswith("_test.go")
            if is_test and not include_tests:
                continue
            display = _join_display(shown, file.relative_to(root).as_posix())
            found.setdefault(file, SourceFile(file, display, is_test))
    return sorted(found.values(), key=lambda f: f.display)


def _walk(root: Path, exclude: Sequence[str], base: Path, warnings: list[str]) -> Iterator[Path]:
    def on_error(e: OSError) -> None:
        warnings.append(f"{e.filename}: cannot read folder ({e.strerror}) (skipped)")

    for current, dirs, files in os.walk(root, onerror=on_error):
        here = Path(current)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIPPED_DIRS
            and not d.startswith((".", "_"))
            and not _excluded(here / d, exclude, base)
        )
        for name in sorted(files):
            if name.endswith(".go") and not name.startswith((".", "_")):
                file = here / name
                if not _excluded(file, exclude, base):
                    yield file
