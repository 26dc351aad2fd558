"""The loadsvc Go service (tests/go/loadsvc): build it, start it, load it, capture its dumps.

loadsvc has one endpoint per goroutine behaviour (see its package comment): /leak leaks one
goroutine per request, /pool fills a fixed pool once, /work starts goroutines that finish soon
after, /cache grows a bounded cache. Its own ``load`` subcommand is the load tool, as ``hey``
would be. Line numbers are read from main.go, never written here.
"""

from __future__ import annotations

import hashlib
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

# The build folder the test helpers share (private to gotools, read here for one more build).
from gotools import _BUILD_ROOT, GO_DIR, build, line_in

SRC = GO_DIR / "loadsvc"
MAIN_GO = SRC / "main.go"
STARTUP_TIMEOUT = 30.0

# Functions the goroutines of each endpoint block in (as debug=2 prints them).
LEAK_FUNCTION = "main.(*service).handleLeak.func1"
POOL_FUNCTION = "main.(*service).worker"
CACHE_FUNCTION = "main.refresh[...]"
POOL_SIZE = 8  # loadsvc's -pool default


def line_of(text: str) -> int:
    """The line number in main.go of the first line containing ``text``."""
    return line_in(MAIN_GO, text)


LEAK_LINE = line_of("results <- lookup(q)")
LEAK_CREATED_LINE = LEAK_LINE - 1  # the `go func() {` just above the send
POOL_LINE = line_of("for j := range s.jobs")


def binary() -> Path:
    """loadsvc built in place (paths in its dumps are absolute)."""
    return build("loadsvc")


def binary_elsewhere() -> Path:
    """loadsvc copied to another directory and built there, as another checkout or machine
    would build the same code: every path in its dumps differs. Built once per change of the
    source, like ``binary()``; parallel workers share the copy (made under a new name, then
    renamed into place)."""
    state = hashlib.blake2b(digest_size=8)
    for path in sorted(SRC.iterdir()):
        state.update(path.name.encode() + b"\0" + path.read_bytes())
    src = _BUILD_ROOT / "elsewhere" / state.hexdigest() / "loadsvc"
    if not src.exists():
        src.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=src.parent))
        shutil.copytree(SRC, tmp / "loadsvc")
        try:
            (tmp / "loadsvc").rename(src)
        except OSError:  # another worker was first
            shutil.rmtree(tmp)
    return build(src)


@dataclass
class Service:
    """A running loadsvc."""

    url: str
    proc: subprocess.Popen[str]
    binary: Path
    # One kept-alive connection for /count and the dumps. A dump fetched over a new connection
    # wakes the accept loop, and on a loaded machine the dump can catch it still running inside
    # net.(*TCPListener).Accept: a stack no other dump has, which a stateless format (debug=1,
    # protobuf) cannot tell from a new blocked goroutine. Over a connection accepted earlier the
    # accept loop is parked in every dump, as in a service scraped by a long-lived client.
    client: httpx.Client

    def urls(self, *paths: str) -> list[str]:
        return [self.url + p for p in paths]

    def load(self, *paths: str, n: int = 40, c: int = 4) -> None:
        """``n`` requests over ``paths`` in turn, ``c`` at a time, with loadsvc's load tool."""
        subprocess.run(
            [str(self.binary), "load", "-n", str(n), "-c", str(c), *self.urls(*paths)],
            check=True,
            timeout=60,
        )

    def get(self, path: str) -> bytes:
        r = self.client.get(self.url + path)
        r.raise_for_status()
        return r.content

    def settle(self, quiet: int = 4) -> int:
        """Wait until runtime.NumGoroutine() holds still over ``quiet`` polls; return it."""
        seen = [int(self.get("/count"))]
        for _ in range(200):
            time.sleep(0.05)
            seen.append(int(self.get("/count")))
            if len(seen) >= quiet and len(set(seen[-quiet:])) == 1:
                return seen[-1]
        raise AssertionError(f"goroutine count never settled: {seen[-10:]}")

    def capture(self, kind: str) -> bytes:
        """A settled dump: ``debug=2``, ``debug=1``, ``debug=0`` (protobuf), ``leak`` (the
        goroutineleak profile at debug=2) or ``leak debug=0``."""
        self.settle()
        query = {
            "debug=2": "goroutine?debug=2",
            "debug=1": "goroutine?debug=1",
            "debug=0": "goroutine?debug=0",
            "leak": "goroutineleak?debug=2",
            "leak debug=0": "goroutineleak?debug=0",
        }[kind]
        return self.get("/debug/pprof/" + query)


@contextmanager
def serving(*args: str, exe: Path | None = None, port: int = 0) -> Iterator[Service]:
    """Start loadsvc (``args`` are its flags), wait until it listens, always stop it."""
    exe = exe or binary()
    proc = subprocess.Popen(
        [str(exe), "-addr", f"127.0.0.1:{port}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = httpx.Client(timeout=30)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening "), line + (proc.stderr.read() if proc.stderr else "")
        yield Service(line.split()[1], proc, exe, client)
    finally:
        client.close()
        proc.kill()
        proc.wait(timeout=STARTUP_TIMEOUT)


def start_command(port: int, *args: str, exe: Path | None = None) -> str:
    """The --start command line for loadsvc on ``port``."""
    return shlex.join([str(exe or binary()), "-addr", f"127.0.0.1:{port}", *args])


def load_command(url: str, *paths: str, n: int = 40, c: int = 4, exe: Path | None = None) -> str:
    """The --load command line: loadsvc's load tool over ``paths``."""
    urls = [url + p for p in paths]
    return shlex.join([str(exe or binary()), "load", "-n", str(n), "-c", str(c), *urls])
