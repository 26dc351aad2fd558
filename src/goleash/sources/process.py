"""Dumps from a local process, found by its pid through the pprof port it listens on.

SIGQUIT would print a traceback, but it also ends a Go process, so goleash never sends it.
Instead, on Linux, it lists the process's sockets (``/proc/PID/fd/*`` links
``socket:[INODE]``), keeps those that are TCP listeners (state ``0A`` in ``/proc/PID/net/tcp``
and ``tcp6``, read in the process's own network namespace), asks each port for
``/debug/pprof/`` with a short timeout and reads the first that serves the pprof index, through
the pprof source (goroutineleak profile first, goroutine profile as the fallback).

A listener on every address (``0.0.0.0`` or ``::``) is reached on loopback.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
import time
from dataclasses import dataclass

import httpx

from goleash import __version__
from goleash.errors import InputError
from goleash.model import Snapshot
from goleash.sources import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, pprof

PREFIX = "pid:"
PROBE_TIMEOUT = 1.0  # seconds per port: a local pprof index answers in milliseconds
_PROBE_BYTES = 64 * 1024  # enough of the index page to recognise it
_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp
_SOCKET = re.compile(r"socket:\[(\d+)\]")
_DIGITS = re.compile(r"[0-9]+")
_ENABLE = 'import _ "net/http/pprof" and serve http.DefaultServeMux on a port to enable it'


class NoSuchProcess(InputError):
    """No process has the pid (or it exited while goleash looked)."""


@dataclass(frozen=True)
class Listener:
    """A TCP port the process listens on, and the hosts to reach it at, in order."""

    address: str  # as bound: 127.0.0.1, ::, 10.0.0.5, …
    port: int
    hosts: tuple[str, ...]  # URL hosts: 127.0.0.1, [::1], …

    def __str__(self) -> str:
        return f"{self.hosts[0]}:{self.port}"


def parse_pid(spec: str) -> int | None:
    """The pid ``spec`` names (``pid:1234``, or a bare number with no file of that name), else None.

    Raises InputError for ``pid:`` followed by something that is not a number.
    """
    if spec.startswith(PREFIX):
        rest = spec[len(PREFIX) :].strip()
        if not _DIGITS.fullmatch(rest):
            raise InputError(f"{spec}: not a process id (expected pid:NUMBER)")
        return int(rest)
    if _DIGITS.fullmatch(spec) and not os.path.lexists(spec):
        return int(spec)
    return None


def load_pid(
    pid: int,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Snapshot]:
    """Find the pprof endpoint of process ``pid`` and read its goroutines.

    ``timeout`` and ``max_bytes`` apply to the fetch of the dump as for a URL; each port is
    probed for at most PROBE_TIMEOUT seconds. Failures raise InputError with one line.
    """
    listeners = listening_ports(pid)
    name = _name(pid)
    if not listeners:
        raise InputError(
            f"pid {pid}{name} listens on no TCP port: goleash reads a process's goroutines "
            f"from its net/http/pprof endpoint ({_ENABLE})"
        )
    url = find_pprof(listeners, timeout=min(PROBE_TIMEOUT, timeout))
    if url is None:
        probed = ", ".join(str(listener) for listener in listeners)
        raise InputError(
            f"pid {pid}{name} serves no /debug/pprof/ on its TCP ports (probed {probed}): {_ENABLE}"
        )
    return pprof.fetch(url, timeout=timeout, max_bytes=max_bytes)


def listening_ports(pid: int) -> list[Listener]:
    """The TCP listeners among ``pid``'s open files, ordered by port.

    Raises InputError when /proc is missing, the process does not exist or its file
    descriptors cannot be read.
    """
    if not sys.platform.startswith("linux") or not os.path.isdir("/proc/self/fd"):
        raise InputError(
            f"pid {pid}: finding a process's pprof port needs /proc (Linux); "
            "give its URL instead (http://HOST:PORT)"
        )
    inodes = _socket_inodes(pid)
    found: dict[tuple[str, int], Listener] = {}
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}", encoding="ascii", errors="replace") as f:
                lines = f.read().splitlines()[1:]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}"):
                raise NoSuchProcess(f"pid {pid}: no such process") from None
            continue  # no IPv6 in this kernel or namespace
        except PermissionError:
            raise _denied(pid, f"/proc/{pid}/net/{table}") from None
        for line in lines:
            listener = _parse_line(line, inodes)
            if listener is not None:
                found.setdefault((listener.address, listener.port), listener)
    return sorted(found.values(), key=lambda listener: (listener.port, listener.address))


def find_pprof(listeners: list[Listener], *, timeout: float = PROBE_TIMEOUT) -> str | None:
    """The base URL of the first listener that serves the pprof index, else None."""
    headers = {"User-Agent": f"goleash/{__version__}"}
    with httpx.Client(headers=headers, follow_redirects=False) as client:
        for listener in listeners:
            for host in listener.hosts:
                base = f"http://{host}:{listener.port}"
                if _serves_pprof(client, base + "/debug/pprof/", timeout):
                    return base
    return None


def _serves_pprof(client: httpx.Client, url: str, timeout: float) -> bool:
    """True when ``url`` answers 200 with net/http/pprof's index page, within ``timeout``."""
    deadline = time.monotonic() + timeout
    try:
        with (
            pprof.Watchdog(deadline) as watchdog,  # a port that drips bytes is no pprof port
            client.stream(
                "GET", url, timeout=httpx.Timeout(timeout), extensions={"trace": watchdog.trace}
            ) as response,
        ):
            if response.status_code != 200:
                return False
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= _PROBE_BYTES or time.monotonic() > deadline:
                    break
    except (httpx.HTTPError, OSError):
        return False  # refused, timed out, not HTTP: not a pprof port
    # The index (net/http/pprof.Index) titles itself /debug/pprof/ and links each profile.
    return b"/debug/pprof/" in body and b"goroutine" in body


def _socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets ``pid`` has open."""
    fd_dir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(fd_dir)
    except (FileNotFoundError, NotADirectoryError):
        raise NoSuchProcess(f"pid {pid}: no such process") from None
    except PermissionError:
        raise _denied(pid, fd_dir) from None
    inodes: set[str] = set()
    for fd in fds:
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except FileNotFoundError:
            continue  # closed since the listing
        except PermissionError:
            raise _denied(pid, fd_dir) from None
        match = _SOCKET.fullmatch(target)
        if match:
            inodes.add(match.group(1))
    return inodes


def _parse_line(line: str, inodes: set[str]) -> Listener | None:
    """A listener from one /proc/net/tcp{,6} line, when it listens and is one of ``inodes``."""
    fields = line.split()
    # sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    if len(fields) < 10 or fields[3] != _LISTEN or fields[9] not in inodes:
        return None
    hex_addr, _, hex_port = fields[1].partition(":")
    try:
        address = _address(hex_addr)
        port = int(hex_port, 16)
    except ValueError:
        return None
    return Listener(str(address), port, _hosts(address))


def _address(hex_addr: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address in /proc/net/tcp{,6} form: 32-bit words in hex, each in host byte order."""
    if len(hex_addr) not in (8, 32):
        raise ValueError(hex_addr)
    raw = b"".join(
        int(hex_addr[i : i + 8], 16).to_bytes(4, sys.byteorder) for i in range(0, len(hex_addr), 8)
    )
    address = ipaddress.ip_address(raw)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _hosts(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[str, ...]:
    """URL hosts that reach a listener bound to ``address`` from this machine."""
    if address.version == 4:
        return ("127.0.0.1",) if address.is_unspecified else (str(address),)
    if address.is_unspecified:
        # ``::`` usually accepts IPv4 too; loopback IPv6 may be disabled where IPv4 is not.
        return ("[::1]", "127.0.0.1")
    return (f"[{address}]",)


def _name(pid: int) -> str:
    """`` (NAME)`` from /proc/PID/comm, or nothing."""
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as f:
            comm = f.read().strip()
    except OSError:
        return ""
    return f" ({comm})" if comm else ""


def _denied(pid: int, path: str) -> InputError:
    return InputError(
        f"pid {pid}: permission denied reading {path}: run goleash as the process's user or as root"
    )
