"""Commands ``goleash verify`` runs: the service under test (``--start``) and the load (``--load``).

Both are split into an argv with ``shlex`` and run without a shell, so nothing in them is
interpreted twice; a user who wants a pipeline passes ``sh -c '…'`` explicitly. The service runs
in its own process group, with its output in a temporary file (shown when it fails to start),
and is stopped with SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from types import TracebackType
from typing import IO

import httpx

from goleash.errors import InputError, UsageError

STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
_POLL = 0.05
_TAIL = 2000  # bytes of a command's output kept for error messages


def split_command(command: str, option: str) -> list[str]:
    """The argv of ``command`` (POSIX shell words), or a UsageError naming ``option``."""
    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise UsageError(f"{option}: cannot split {command!r} into words ({e})") from None
    if not argv:
        raise UsageError(f"{option}: empty command")
    return argv


def _last_line(data: bytes) -> str:
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    if not lines:
        return "no output"
    text = lines[-1]
    return text if len(text) <= 200 else text[:199] + "…"


def _spawn_error(argv: list[str], option: str, e: OSError) -> InputError:
    if isinstance(e, FileNotFoundError):
        return InputError(f"{option}: {argv[0]}: command not found")
    if isinstance(e, PermissionError):
        return InputError(f"{option}: {argv[0]}: permission denied")
    return InputError(f"{option}: {argv[0]}: cannot run ({e.strerror or e})")


@dataclass(frozen=True, slots=True)
class LoadRun:
    """One run of the load command."""

    seconds: float
    returncode: int


def run_load(command: str, *, timeout: float) -> LoadRun:
    """Run the load command once and wait for it; InputError when it fails or overruns.

    Its output is discarded (a load tool prints a lot); the last line is quoted on failure.
    """
    argv = split_command(command, "--load")
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
            )
        except OSError as e:
            raise _spawn_error(argv, "--load", e) from None
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_group(proc)
            raise InputError(f"--load: {argv[0]} did not finish within {timeout:g} s") from None
        except BaseException:
            _stop_group(proc)
            raise
        if code != 0:
            raise InputError(
                f"--load: {argv[0]} failed with exit status {code}: {_last_line(_tail(out))}"
            )
    return LoadRun(time.monotonic() - started, code)


def _tail(f: IO[bytes]) -> bytes:
    f.flush()
    size = f.seek(0, os.SEEK_END)
    f.seek(max(0, size - _TAIL))
    return f.read()


def _stop_group(proc: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> int | None:
    """SIGTERM the process group we started, SIGKILL it after ``grace``; the exit status."""
    if proc.poll() is not None:
        return proc.returncode
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait()


class Service:
    """A service started for the run, waited for until its pprof endpoint answers, then stopped.

    Use as a context manager: ``with Service(cmd, url).start(timeout=30): …``.
    """

    def __init__(self, command: str, url: str) -> None:
        self.argv = split_command(command, "--start")
        self.url = url.rstrip("/")
        self._out: IO[bytes] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, *, timeout: float) -> Service:
        """Launch the command and wait until ``URL/debug/pprof/`` answers 200."""
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by stop()
        try:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=self._out,
                stderr=self._out,
                start_new_session=True,
            )
        except OSError as e:
            self._out.close()
            raise _spawn_error(self.argv, "--start", e) from None
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self._proc is not None and self._out is not None
        deadline = time.monotonic() + timeout
        probe = f"{self.url}/debug/pprof/"
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = self._proc.poll()
                if code is not None:
                    raise InputError(
                        f"--start: {self.argv[0]} exited with status {code} before "
                        f"{probe} answered: {_last_line(_tail(self._out))}"
                    )
                try:
                    if client.get(probe).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() >= deadline:
                    raise InputError(
                        f"--start: {probe} did not answer within {timeout:g} s of starting "
                        f"{self.argv[0]}"
                    )
                time.sleep(_POLL)

    def exited(self) -> int | None:
        """The exit status if the service has stopped on its own, else None."""
        return self._proc.poll() if self._proc is not None else None

    def output_tail(self) -> str:
        """The last line the service printed (for messages)."""
        return _last_line(_tail(self._out)) if self._out is not None else "no output"

    def stop(self) -> None:
        """Stop the service and its children (SIGTERM, then SIGKILL)."""
        if self._proc is not None:
            _stop_group(self._proc)
        if self._out is not None:
            self._out.close()
            self._out = None

    def __enter__(self) -> Service:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
