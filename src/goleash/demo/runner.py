"""Build, start, load and scrape the demo service; always stop it again.

The binary is cached under the user's cache directory, keyed by the demo's source and the Go
toolchain, so only the first run pays for the build.
"""

from __future__ import annotations

import hashlib
import os
import queue
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from goleash.errors import InputError
from goleash.model import Snapshot
from goleash.toolchain import find_go

LEAK_MARKER = "// LEAK:"
_SOURCES = ("main.go", "go.mod")
_START_TIMEOUT = 15.0
_BUILD_TIMEOUT = 300.0
_SETTLE_TIMEOUT = 10.0  # for the backends' goroutines to reach their send


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo run produced: the dump and where the planted leak is."""

    snapshots: list[Snapshot]
    source_dir: Path  # the demo's Go source, as compiled into the binary's file paths
    leak_file: Path
    leak_line: int


def cache_root() -> Path:
    """Where goleash keeps built demo binaries."""
    base = os.environ.get("XDG_CACHE_HOME") or (
        str(Path.home() / ".cache") if Path.home().is_dir() else tempfile.gettempdir()
    )
    return Path(base) / "goleash" / "demo"


def _go_env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Offline, reproducible, and never switching toolchains behind the user's back.
    env.update(GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local", GOTELEMETRY="off")
    env.setdefault("CGO_ENABLED", "0")
    if "GOCACHE" not in env and not (env.get("HOME") or env.get("XDG_CACHE_HOME")):
        env["GOCACHE"] = str(cache / "gocache")
    return env


def prepare_sources() -> Path:
    """Copy the demo's Go files into a cache directory named by their content."""
    pkg = resources.files("goleash.demo")
    texts = {name: pkg.joinpath(name).read_text("utf-8") for name in _SOURCES}
    key = hashlib.sha256("\0".join(texts[n] for n in _SOURCES).encode()).hexdigest()[:12]
    src = cache_root() / f"src-{key}"
    src.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        path = src / name
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
    return src


def build(progress: Callable[[str], None]) -> tuple[Path, Path]:
    """The demo binary (built on first use) and its source directory."""
    go = find_go()
    src = prepare_sources()
    toolchain = hashlib.sha256(str(go.resolve()).encode()).hexdigest()[:8]
    binary = src / f"goleash-demo-{toolchain}"
    if binary.is_file():
        return binary, src
    progress(f"building the demo service with {go} (first run only)…")
    tmp = binary.with_name(binary.name + f".tmp{os.getpid()}")
    try:
        proc = subprocess.run(
            [str(go), "build", "-o", str(tmp), "."],
            cwd=src,
            env=_go_env(cache_root()),
            capture_output=True,
            text=True,
            timeout=_BUILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise InputError("building the demo service took too long") from None
    except OSError as e:
        raise InputError(f"cannot run the Go toolchain {go}: {e.strerror or e}") from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise InputError(f"building the demo service failed: {detail[-1] if detail else '?'}")
    tmp.replace(binary)
    return binary, src


def _read_address(proc: subprocess.Popen[str]) -> str:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            if proc.poll() is not None:
                raise InputError(f"the demo service exited with status {proc.returncode}") from None
            continue
        if line.startswith("listening on "):
            return line.split()[-1]
    raise InputError("the demo service did not start listening in time")


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def leak_line(main_go: Path) -> int:
    """The line the planted leak blocks on, found by its marker comment."""
    for number, text in enumerate(main_go.read_text("utf-8").splitlines(), 1):
        if LEAK_MARKER in text:
            return number
    raise InputError(f"{main_go}: no {LEAK_MARKER} marker")


def _asleep(snapshots: list[Snapshot]) -> bool:
    return any(g.state == "sleep" for s in snapshots for g in s.groups)


def _dump_once_backends_replied(base: str) -> list[Snapshot]:
    """A dump taken once no backend of the demo is still in its simulated call (a sleep).

    The slower backend of each request leaks only when it reaches its send; a fixed pause
    cannot promise that on a loaded machine, so the dump is retaken until no goroutine sleeps
    (the demo's other goroutines never do), for a few seconds at most.
    """
    from goleash.sources import load

    deadline = time.monotonic() + _SETTLE_TIMEOUT
    time.sleep(0.1)  # the slowest backend replies within 60 ms
    snapshots = load(base, timeout=10.0)
    while _asleep(snapshots) and time.monotonic() < deadline:
        time.sleep(0.2)
        snapshots = load(base, timeout=10.0)
    return snapshots


def run_demo(*, requests: int = 20, progress: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Build and start the demo, send it traffic, scrape its dump, and stop it (always)."""
    import httpx

    binary, src = build(progress)
    proc = subprocess.Popen(
        [str(binary), "-addr", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        addr = _read_address(proc)
        base = f"http://{addr}"
        progress(f"demo service listening on {base}; sending {requests} search requests…")
        with httpx.Client(timeout=10.0) as client:
            for i in range(requests):
                client.get(f"{base}/search", params={"q": f"query {i}"})
        progress(f"taking a goroutine dump from {base}/debug/pprof/…")
        snapshots = _dump_once_backends_replied(base)
    except httpx.HTTPError as e:
        raise InputError(f"talking to the demo service failed: {e}") from None
    finally:
        _stop(proc)
    main_go = src / "main.go"
    return DemoResult(snapshots, src, main_go, leak_line(main_go))
