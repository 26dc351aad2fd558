"""The watchsvc Go program (tests/go/watchsvc) and a misbehaving endpoint, for watch tests."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gotools import GO_DIR, build, line_in

MAIN_GO = GO_DIR / "watchsvc" / "main.go"


def line_of(text: str, after: str = "") -> int:
    """The line number in watchsvc's main.go of the first line containing ``text`` (after the
    first line containing ``after``)."""
    return line_in(MAIN_GO, text, after)


@dataclass
class Service:
    url: str
    process: subprocess.Popen[str]

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)


def start(mode: str, *args: str) -> Service:
    """Start watchsvc in ``mode`` and wait for its first line (its base URL)."""
    proc = subprocess.Popen(
        [str(build("watchsvc")), "-mode", mode, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise AssertionError(f"watchsvc -mode {mode} did not start")
    return Service(url, proc)


@contextmanager
def services(*specs: tuple[str, ...]) -> Iterator[list[Service]]:
    """Start several watchsvc processes (mode, flags…); kill them all afterwards."""
    started: list[Service] = []
    try:
        for mode, *args in specs:
            started.append(start(mode, *args))
        yield started
    finally:
        for s in started:
            s.stop()


class _BadHandler(BaseHTTPRequestHandler):
    """Endpoints that fail the way real ones do, one per path prefix."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path
        if path.startswith("/html/"):
            self._send(
                200, b"<!DOCTYPE html>\n<html><body>Login required</body></html>\n", "text/html"
            )
        elif path.startswith("/error/"):
            self._send(500, b"internal error\n", "text/plain")
        elif path.startswith("/slow/"):
            time.sleep(3)
            self._send(200, b"goroutine profile: total 1\n", "text/plain")
        elif path.startswith("/huge/"):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            line = b"1 @ 0x1\n#\t0x1\tmain.f+0x1\t/x/main.go:1\n\n"
            try:
                self.wfile.write(b"goroutine profile: total 100000000\n")
                for _ in range(200):  # 10 MB, far past the cap the test sets
                    self.wfile.write(line * 1300)
            except OSError:
                pass  # the client hung up at its cap, as it should
        else:
            self._send(404, b"not found\n", "text/plain")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def bad_endpoints() -> Iterator[str]:
    """A server whose /html, /error, /slow and /huge prefixes misbehave; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BadHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def goleash(*args: str) -> list[str]:
    return [sys.executable, "-m", "goleash.cli", *args]


def parse_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def events(
    lines: list[dict[str, Any]], kind: str, target: str | None = None
) -> list[dict[str, Any]]:
    return [
        e for e in lines if e["event"] == kind and (target is None or e.get("target") == target)
    ]


def wait_for(predicate: Any, timeout: float, step: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")
