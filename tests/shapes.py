"""Run tests/go/analysisshapes and scrape its pprof endpoint, the way a user captures a dump."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from gotools import GO_DIR, build

SHAPES_SRC = GO_DIR / "analysisshapes" / "main.go"


@contextmanager
def running_shapes(*args: str) -> Iterator[str]:
    """Start analysisshapes with ARGS; yield its address; always stop it."""
    binary = build("analysisshapes")
    proc = subprocess.Popen(
        [str(binary), "-addr", "127.0.0.1:0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once every shape is in place
        if not line.startswith("listening on "):
            raise RuntimeError(f"analysisshapes did not start: {line!r} {proc.stderr.read()!r}")
        yield line.split()[-1]
    finally:
        proc.kill()
        proc.wait(timeout=10)


def scrape(addr: str, path: str) -> bytes:
    """GET http://ADDR/PATH and return the body (raises on an HTTP error)."""
    r = httpx.get(f"http://{addr}/{path.lstrip('/')}", timeout=30)
    r.raise_for_status()
    return r.content


@contextmanager
def one_connection(addr: str) -> Iterator[Callable[[str], bytes]]:
    """GET paths of ADDR over one keep-alive connection, opened before the first capture: a
    connection per capture can catch the server's accept loop between accepting it and
    parking again, a stack no ignore pack describes."""
    with httpx.Client(timeout=30) as client:

        def get(path: str) -> bytes:
            r = client.get(f"http://{addr}/{path.lstrip('/')}")
            r.raise_for_status()
            return r.content

        get("/count")
        yield get


def runtime_count(addr: str) -> int:
    """runtime.NumGoroutine() as the program reports it (counting the /count handler itself)."""
    return int(scrape(addr, "/count"))


def marker_line(marker: str, src: Path = SHAPES_SRC) -> int:
    """The line of the Go source that carries a marker comment such as `// LEAK:`."""
    for number, text in enumerate(src.read_text().splitlines(), 1):
        if marker in text:
            return number
    raise LookupError(marker)
