"""Capturing goroutine dumps from the real programs in tests/go/leaks, the way users do.

Each helper returns the bytes a user would hold: what ``curl`` gets from a pprof endpoint, what
a SIGQUIT or a panic prints on stderr, what ``runtime.Stack`` wrote, what ``go test -timeout``
printed. Alongside the bytes goes the goroutine count the runtime itself gave at capture time,
so tests can check that a parser read every goroutine.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from goleash.toolchain import find_go
from gotools import GO_DIR, build, go_env

LEAKS_DIR = GO_DIR / "leaks"
STARTUP_TIMEOUT = 30.0
HTTP_TIMEOUT = 30.0
# Time for the server's goroutine of the previous connection to end after the client closed it,
# so one request's goroutines are not counted in the next one's dump.
_CONN_GONE = 0.1

_COUNT_LINE = re.compile(r"^goroutines (\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class Capture:
    """One dump as a user would save it, and the runtime's own goroutine count for it."""

    data: bytes
    goroutines: int | None  # None when the runtime gave no count to compare with
    method: str


@dataclass
class Running:
    """A started scenario: its process, its pprof address, the count it printed when ready."""

    proc: subprocess.Popen[bytes]
    addr: str
    goroutines: int
    stderr_path: Path

    @property
    def base(self) -> str:
        return f"http://{self.addr}"

    def stderr(self) -> bytes:
        return self.stderr_path.read_bytes()


def leaks_binary() -> Path:
    """The tests/go/leaks program, built once per session."""
    return build("leaks")


@contextmanager
def scenario(
    name: str,
    *,
    n: int = 6,
    gotraceback: str | None = None,
    panic: bool = False,
    stack_file: Path | None = None,
) -> Iterator[Running]:
    """Start a scenario of the leaks program, wait until it is ready, and always kill it."""
    args = [str(leaks_binary()), "-scenario", name, "-n", str(n), "-addr", "127.0.0.1:0"]
    if panic:
        args.append("-panic")
    if stack_file is not None:
        args += ["-stack-file", str(stack_file)]
    env = dict(os.environ)
    env.pop("GOTRACEBACK", None)
    if gotraceback is not None:
        env["GOTRACEBACK"] = gotraceback
    with tempfile.TemporaryDirectory(prefix="goleash-capture-") as tmp:
        stderr_path = Path(tmp) / "stderr"
        with stderr_path.open("wb") as err:
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, env=env)
        try:
            count, addr = _wait_ready(proc, stderr_path)
            yield Running(proc=proc, addr=addr, goroutines=count, stderr_path=stderr_path)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()


def _wait_ready(proc: subprocess.Popen[bytes], stderr_path: Path) -> tuple[int, str]:
    """Read stdout until `listening on ADDR`; return the goroutine count printed before it."""
    assert proc.stdout is not None
    lines: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            lines.append(raw.decode(errors="replace").rstrip("\n"))
            if lines[-1].startswith("listening on "):
                break
        done.set()

    threading.Thread(target=read, daemon=True).start()
    if not done.wait(STARTUP_TIMEOUT) or not lines or not lines[-1].startswith("listening on "):
        proc.kill()
        raise RuntimeError(
            f"scenario did not become ready: stdout={lines!r} stderr={stderr_path.read_bytes()!r}"
        )
    count = int(_COUNT_LINE.search("\n".join(lines)).group(1))  # type: ignore[union-attr]
    return count, lines[-1].removeprefix("listening on ").strip()


def http_get(url: str, timeout: float = HTTP_TIMEOUT) -> bytes:
    """GET a URL like curl does (one connection per request) and return the body."""
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        data: bytes = resp.read()
        return data


def count(run: Running) -> int:
    """runtime.NumGoroutine() of the program, as its /count endpoint reports it."""
    return int(http_get(f"{run.base}/count").decode().strip())


def _steady(run: Running, fetch: str, method: str) -> Capture:
    """Fetch a dump between two /count calls that agree, so the count belongs to the dump.

    Serving a request adds a connection goroutine (and its background reader) for as long as
    the request lasts; /count sees itself the same way the dump sees its own handler.
    """
    for _ in range(10):
        before = count(run)
        time.sleep(_CONN_GONE)
        data = http_get(f"{run.base}{fetch}")
        time.sleep(_CONN_GONE)
        after = count(run)
        if before == after:
            return Capture(data=data, goroutines=before, method=method)
        time.sleep(0.1)
    raise RuntimeError(f"goroutine count of {run.addr} did not hold still for {fetch}")


def pprof(run: Running, debug: int) -> Capture:
    """GET /debug/pprof/goroutine?debug=N (0: gzipped protobuf, 1: counts, 2: tracebacks)."""
    return _steady(run, f"/debug/pprof/goroutine?debug={debug}", f"pprof-debug{debug}")


def goroutineleak(run: Running, debug: int) -> Capture:
    """GET /debug/pprof/goroutineleak?debug=N (Go 1.27+).

    The goroutines it lists are the leaked ones only (debug 0 and 1); debug=2 prints every
    goroutine with the leaked ones marked. For debug=1 the count returned is the total the
    runtime printed in the header; for debug=0 it is None (compare with a debug=1 capture).
    """
    if debug >= 2:
        cap = _steady(run, f"/debug/pprof/goroutineleak?debug={debug}", "leak-debug2")
        return cap
    data = http_get(f"{run.base}/debug/pprof/goroutineleak?debug={debug}")
    total: int | None = None
    if debug == 1:
        m = re.match(rb"goroutineleak profile: total (\d+)", data)
        total = int(m.group(1)) if m else None
    return Capture(data=data, goroutines=total, method=f"leak-debug{debug}")


def runtime_stack(run: Running, stack_file: Path) -> Capture:
    """Ask the program to write runtime.Stack(buf, true) to its -stack-file, and read it."""
    answer = http_get(f"{run.base}/debug/stacks").decode()
    m = _COUNT_LINE.search(answer)
    if m is None:
        raise RuntimeError(f"unexpected answer from /debug/stacks: {answer!r}")
    return Capture(data=stack_file.read_bytes(), goroutines=int(m.group(1)), method="runtime-stack")


def sigquit(name: str, *, gotraceback: str = "all", n: int = 6) -> Capture:
    """Start a scenario with GOTRACEBACK set, send SIGQUIT, and return what it printed on stderr.

    The count is the one the program printed when it became ready; nothing runs in between.
    With GOTRACEBACK=system the dump also holds runtime goroutines, which NumGoroutine does not
    count.
    """
    with scenario(name, n=n, gotraceback=gotraceback) as run:
        run.proc.send_signal(signal.SIGQUIT)
        run.proc.wait(timeout=30)
        return Capture(
            data=run.stderr(), goroutines=run.goroutines, method=f"sigquit-{gotraceback}"
        )


def panic(name: str, *, n: int = 6) -> Capture:
    """Run a scenario that panics once set up, with GOTRACEBACK=all, and return its stderr."""
    with scenario(name, n=n, gotraceback="all", panic=True) as run:
        run.proc.wait(timeout=30)
        return Capture(data=run.stderr(), goroutines=run.goroutines, method="panic")


def go_test_timeout(pkg: Path = LEAKS_DIR, *, timeout: str = "3s") -> Capture:
    """Run the package's hanging test under `go test -timeout` and return everything it printed.

    The test prints its goroutine count before it hangs; the timeout panic runs in one more
    goroutine (the testing alarm), so the dump holds that count plus one.
    """
    env = go_env()
    env["LEAKS_HANG"] = "1"
    proc = subprocess.run(
        [str(find_go()), "test", "-count=1", f"-timeout={timeout}", "-run=TestQuotesHang", "."],
        cwd=pkg,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=300,
    )
    out = proc.stdout
    m = _COUNT_LINE.search(out.decode(errors="replace"))
    if proc.returncode == 0 or m is None:
        raise RuntimeError(f"go test did not time out as expected:\n{out.decode(errors='replace')}")
    return Capture(data=out, goroutines=int(m.group(1)) + 1, method="go-test-timeout")
