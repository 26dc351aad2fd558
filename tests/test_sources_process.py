"""Loading a dump from a local process by pid: real processes, real ports, real /proc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from goleash.errors import InputError
from goleash.sources import load
from pprofserve import LEAKED, Server, serving

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pid lookup reads /proc"),
]

FIXTURE = Path(__file__).parent / "fixtures" / "dumps" / "go1.27" / "goroutine.debug1.txt"
GOLEASH_DUMP = [sys.executable, "-m", "goleash.cli", "dump"]


def dump(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GOLEASH_DUMP, *args], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serving() as s:
        yield s


@contextmanager
def started(*argv: str) -> Iterator[subprocess.Popen[str]]:
    """Start a process; stop it afterwards."""
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd="/"
    )
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


@contextmanager
def python_listener(serve: str) -> Iterator[tuple[int, int]]:
    """A Python process listening on 127.0.0.1:0 as ``serve`` says: its pid and port.

    ``serve`` binds ``s``, then the port is printed, then ``serve_forever()`` runs.
    """
    code = f"import sys\n{serve}\nprint(s.getsockname()[1], file=sys.stderr, flush=True)\n"
    code += "serve_forever()\n"
    with started(sys.executable, "-c", code) as proc:
        assert proc.stderr is not None
        port = proc.stderr.readline().strip()
        assert port.isdigit(), port + proc.stderr.read()
        yield proc.pid, int(port)


HTTP_SERVER = (  # answers every request; 404 for /debug/pprof/
    "import http.server\n"
    "h = http.server.HTTPServer(('127.0.0.1', 0), http.server.SimpleHTTPRequestHandler)\n"
    "s, serve_forever = h.socket, h.serve_forever"
)
SILENT_LISTENER = (  # a backlog, never an accept(): connections hang until timed out
    "import socket, time\n"
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(8)\n"
    "serve_forever = lambda: time.sleep(30)"
)


def test_pid_and_pid_prefix_read_the_same_goroutines_as_the_url(server: Server) -> None:
    pid = server.process.pid
    for _ in range(5):
        before = server.settled_count()
        (bare,) = load(str(pid))
        (prefixed,) = load(f"pid:{pid}")
        (by_url,) = load(server.url)
        after = server.settled_count()
        if bare.total == prefixed.total == by_url.total == before == after:
            break  # else a connection (a probe's, a scrape's) was still winding down
    assert bare.total == prefixed.total == by_url.total == before == after
    assert bare.source == by_url.source == server.url + "/debug/pprof/goroutineleak?debug=2"
    assert sum(g.leaked for g in bare.groups) == LEAKED
    assert {g.signature for g in bare.groups} == {g.signature for g in by_url.groups}


def test_cli_dumps_a_process_by_pid(server: Server) -> None:
    proc = dump(str(server.process.pid), "--format", "json")
    assert proc.returncode == 1, proc.stderr  # pprofserve leaks on purpose
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "goleash.dump/1"
    assert doc["source"] == server.url + "/debug/pprof/goroutineleak?debug=2"
    assert sum(g["leaked"] for g in doc["groups"]) == LEAKED


def test_a_port_without_pprof_is_named_in_the_error() -> None:
    with python_listener(HTTP_SERVER) as (pid, port):
        line = one_line_error(dump(str(pid)))
    assert f"pid {pid}" in line
    assert f"probed 127.0.0.1:{port}" in line
    assert "/debug/pprof/" in line and "net/http/pprof" in line


def test_a_process_listening_on_nothing() -> None:
    with started("sleep", "30") as proc:
        line = one_line_error(dump(f"pid:{proc.pid}"))
    assert f"pid {proc.pid} (sleep) listens on no TCP port" in line


def test_a_pid_that_does_not_exist(tmp_path: Path) -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()  # reaped: its pid is free (and not reused within this test, in practice)
    gone = proc.pid
    assert not os.path.exists(f"/proc/{gone}")
    line = one_line_error(dump(f"pid:{gone}", cwd=tmp_path))
    assert line.endswith(f"pid {gone}: no such process")
    line = one_line_error(dump(str(gone), cwd=tmp_path))
    assert line.endswith(f"{gone}: no such file, and no process with that pid")


def test_pid_prefix_needs_a_number() -> None:
    with pytest.raises(InputError, match="pid:abc: not a process id"):
        load("pid:abc")


def test_a_file_named_like_a_number_is_still_a_file(server: Server, tmp_path: Path) -> None:
    pid = str(server.process.pid)
    (tmp_path / pid).write_bytes(FIXTURE.read_bytes())
    proc = dump(pid, "--format", "json", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["source"], doc["format"]) == (pid, "debug1")


def test_unreadable_fds_say_who_may_read_them() -> None:
    # Needs a process whose open files this user may not read: init, unless we are root
    # (some sandboxes deny it even to root, listing the fds but not their links).
    try:
        for fd in os.listdir("/proc/1/fd"):
            os.readlink(f"/proc/1/fd/{fd}")
    except PermissionError:
        pass
    else:
        pytest.skip("this user can read /proc/1/fd")
    with pytest.raises(InputError) as e:
        load("pid:1")
    assert str(e.value) == (
        "pid 1: permission denied reading /proc/1/fd: run goleash as the process's user or as root"
    )
    assert "\n" not in str(e.value)


def test_probing_is_quick_when_a_port_never_answers() -> None:
    with python_listener(SILENT_LISTENER) as (pid, port):
        start = time.monotonic()
        line = one_line_error(dump(str(pid)))
        elapsed = time.monotonic() - start
    assert f"serves no /debug/pprof/ on its TCP ports (probed 127.0.0.1:{port})" in line
    assert elapsed < 8  # one probe timeout (1 s) plus start-up, not the 10 s fetch timeout
