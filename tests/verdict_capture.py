"""The verdict corpus: real leak shapes from tests/go/verdict, captured as a user would, with the
runtime's own answer kept aside as the truth.

Each capture is a set of dumps of one process state: ``debug2`` (goroutine?debug=2), ``sigquit``
(GOTRACEBACK=all, kill -QUIT), ``debug1`` and ``debug0`` (the protobuf), all with the Go 1.27
``(leaked)`` marks removed, and ``leak2`` (goroutineleak?debug=2) whose marks say which
goroutines leaked. Lines marked ``// LEAK`` in the source count as leaked too (the runtime can
miss a leak, never the reverse); lines marked ``// POOL`` are idle pools of a healthy service.

Used by tests/test_verdict.py and benchmarks/verdict_recall.py.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import httpx

from goleash.analysis.ignore import load_ignore_packs
from goleash.analysis.suspects import Assessment, assess
from goleash.dumps import read_snapshots
from goleash.model import Group, Snapshot
from gotools import GO_DIR, build

VERDICT_DIR = GO_DIR / "verdict"
SHAPES = (
    "abandoned-send",
    "abandoned-receive",
    "select-no-exit",
    "range-never-closed",
    "waitgroup-missing-done",
    "mutex-error-path",
    "lock-order",
    "cond-never-signalled",
    "http-body-unclosed",
    "nested-stopper",
    "first-result-wins",
    "ticker-never-stopped",
)
FORMATS = ("debug2", "sigquit", "debug1", "debug0")


@cache
def _marked_lines(marker: str) -> frozenset[tuple[str, int]]:
    """(file name, line) of every line of the corpus source that carries MARKER."""
    found = set()
    for path in VERDICT_DIR.glob("*.go"):
        for number, text in enumerate(path.read_text().splitlines(), 1):
            if marker in text:
                found.add((path.name, number))
    return frozenset(found)


def at_marker(group: Group, marker: str) -> bool:
    """True when the group blocks on a line of the corpus that carries MARKER."""
    site = group.blocking_site
    return site is not None and (site.file_name, site.line) in _marked_lines(marker)


def parse(data: bytes, name: str) -> Snapshot:
    """The last snapshot of a dump."""
    return read_snapshots(io.BytesIO(data), source=name)[-1]


def strip_marks(data: bytes) -> bytes:
    """A Go 1.27 traceback as an older Go (or the goroutine profile) prints it: no (leaked)."""
    return data.replace(b" (leaked)", b"")


@dataclass
class Capture:
    """All dumps of one process state, and how many goroutines leaked per stack."""

    name: str
    dumps: dict[str, bytes] = field(default_factory=dict)
    # leaked goroutines per (blocking site, creator function) and per blocking site alone
    leaked_by_key: Counter[tuple[str, str]] = field(default_factory=Counter)
    leaked_by_stack: Counter[str] = field(default_factory=Counter)
    healthy: bool = False

    def snapshot(self, fmt: str) -> Snapshot:
        return parse(self.dumps[fmt], f"{self.name}/{fmt}")

    @property
    def leaked(self) -> int:
        return sum(self.leaked_by_key.values())


def _creator(g: Group) -> str:
    return g.created_by.function if g.created_by else ""


def _site(g: Group) -> str:
    """Where a group blocks, the same in every format (runtime frames differ between them)."""
    site = g.blocking_site
    return f"{site.function} {site.file_name}:{site.line}" if site else ""


def _truth(capture: Capture, leak2: Snapshot) -> None:
    for g in leak2.groups:
        n = g.count if at_marker(g, "// LEAK") else g.leaked
        if n:
            capture.leaked_by_key[(_site(g), _creator(g))] += n
            capture.leaked_by_stack[_site(g)] += n


def _ready(proc: subprocess.Popen[bytes], count_file: Path) -> str:
    """Read stdout until `listening on ADDR`; return ADDR (the count goes to COUNT_FILE)."""
    assert proc.stdout is not None
    result: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace").strip()
            if line.startswith("goroutines "):
                count_file.write_text(line.removeprefix("goroutines "))
            if line.startswith("listening on "):
                result.append(line.removeprefix("listening on "))
                return

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(60)
    if not result:
        proc.kill()
        raise RuntimeError("the verdict program did not become ready")
    return result[0]


@contextmanager
def _running(
    mode: str, n: int, env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    binary = build("verdict")
    with tempfile.TemporaryDirectory(prefix="goleash-verdict-") as tmp:
        err_path = Path(tmp) / "stderr"
        with err_path.open("wb") as err:
            proc = subprocess.Popen(
                [str(binary), "-mode", mode, "-n", str(n), "-addr", "127.0.0.1:0"],
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
            )
        try:
            yield proc, _ready(proc, Path(tmp) / "count"), err_path
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()


def capture_served(mode: str, n: int = 4) -> Capture:
    """Run the program in MODE (service, keepalive, startup, healthy) and take every dump."""
    env = dict(os.environ, GOTRACEBACK="all")
    cap = Capture(name=mode, healthy=mode == "healthy")
    with _running(mode, n, env) as (proc, addr, err_path):
        with httpx.Client(base_url=f"http://{addr}", timeout=30) as client:

            def get(path: str) -> bytes:
                r = client.get(path)
                r.raise_for_status()
                return r.content

            # The goroutineleak profile first: its marks stay on the goroutines afterwards,
            # so every other capture has them removed like an older Go would print it.
            leak2 = get("/debug/pprof/goroutineleak?debug=2")
            cap.dumps["leak2"] = leak2
            cap.dumps["debug2"] = strip_marks(get("/debug/pprof/goroutine?debug=2"))
            cap.dumps["debug1"] = get("/debug/pprof/goroutine?debug=1")
            cap.dumps["debug0"] = get("/debug/pprof/goroutine?debug=0")
        proc.send_signal(signal.SIGQUIT)
        proc.wait(timeout=30)
        cap.dumps["sigquit"] = strip_marks(err_path.read_bytes())
    _truth(cap, parse(leak2, f"{mode}/leak2"))
    return cap


def sigquit(mode: str, gotraceback: str = "system", n: int = 2) -> tuple[bytes, int]:
    """SIGQUIT output of the program in MODE, and the goroutine count it printed when ready."""
    env = dict(os.environ, GOTRACEBACK=gotraceback)
    with _running(mode, n, env) as (proc, _, err_path):
        proc.send_signal(signal.SIGQUIT)
        proc.wait(timeout=30)
        return err_path.read_bytes(), proc_count(err_path)


def proc_count(err_path: Path) -> int:
    """The `goroutines N` line the program printed (kept beside its stderr)."""
    return int((err_path.parent / "count").read_text())


def capture_inline(shape: str, n: int = 4) -> Capture:
    """Run one shape with the dumps written by the function that started it (a test harness)."""
    binary = build("verdict")
    cap = Capture(name=f"inline/{shape}")
    with tempfile.TemporaryDirectory(prefix="goleash-verdict-") as tmp:
        subprocess.run(
            [str(binary), "-mode", "inline", "-shape", shape, "-n", str(n), "-out", tmp],
            check=True,
            timeout=60,
            capture_output=True,
        )
        d = Path(tmp)
        leak2 = (d / "leak2.txt").read_bytes()
        cap.dumps["leak2"] = leak2
        cap.dumps["debug2"] = strip_marks((d / "debug2.txt").read_bytes())
        cap.dumps["debug1"] = (d / "debug1.txt").read_bytes()
        cap.dumps["debug0"] = (d / "debug0.pb.gz").read_bytes()
    _truth(cap, parse(leak2, f"inline/{shape}/leak2"))
    return cap


def capture_deadlock() -> Capture:
    """The fatal-error output of a program whose goroutines all block: every one is leaked."""
    binary = build("verdict")
    proc = subprocess.run(
        [str(binary), "-mode", "deadlock"], capture_output=True, timeout=60, check=False
    )
    cap = Capture(name="deadlock")
    cap.dumps["fatal"] = proc.stderr
    snap = parse(proc.stderr, "deadlock")
    for g in snap.groups:
        cap.leaked_by_key[(_site(g), _creator(g))] += g.count
        cap.leaked_by_stack[_site(g)] += g.count
    return cap


@dataclass(frozen=True)
class Scored:
    """How one dump of a capture was judged."""

    capture: str
    fmt: str
    leaked: int  # leaked goroutines in the dump
    caught: int  # of those, in suspect groups
    suspects: int  # suspect groups
    false_suspects: int  # suspect groups holding no leaked goroutine
    leak_scores: tuple[float, ...]  # suspicion of each group holding leaked goroutines
    pool_scores: tuple[float, ...]  # suspicion of each `// POOL` group
    assessments: tuple[Assessment, ...] = ()


def judge(capture: Capture, fmt: str) -> Scored:
    """Assess one dump of a capture against the truth."""
    snap = capture.snapshot(fmt)
    by_stack = fmt in ("debug1", "debug0")
    left: Counter[object] = Counter(capture.leaked_by_stack if by_stack else capture.leaked_by_key)
    assessments = assess(snap, load_ignore_packs(None))
    leaked = caught = false_suspects = 0
    leak_scores: list[float] = []
    pool_scores: list[float] = []
    for a in assessments:
        g = a.group
        key: object = _site(g) if by_stack else (_site(g), _creator(g))
        n = min(g.count, left[key])
        left[key] -= n
        leaked += n
        if n:
            leak_scores.append(a.suspicion)
            caught += n if a.suspect else 0
        elif a.suspect:
            false_suspects += 1
        if at_marker(g, "// POOL"):
            pool_scores.append(a.suspicion)
    return Scored(
        capture=capture.name,
        fmt=fmt,
        leaked=leaked,
        caught=caught,
        suspects=sum(a.suspect for a in assessments),
        false_suspects=false_suspects,
        leak_scores=tuple(leak_scores),
        pool_scores=tuple(pool_scores),
        assessments=tuple(assessments),
    )
