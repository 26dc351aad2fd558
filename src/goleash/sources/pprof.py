"""Dumps from a Go service's ``net/http/pprof`` endpoints.

A full URL (``http://h:8080/debug/pprof/goroutine?debug=1``) is fetched as given. A base URL
(``http://h:8080`` or ``http://h:8080/debug/pprof/``) asks for the goroutineleak profile at
``debug=2`` first: since Go 1.27 it lists every goroutine and marks the leaked ones. Older
services and routers that hard-code the classic profiles answer 404, and goleash falls back to
``goroutine?debug=2``.

The body streams into the parser; a total time limit and a size cap bound what a slow or
hostile server can cost. httpx's timeouts bound each read, not the whole: a server that sends a
byte of its headers or body every few seconds would keep it waiting for hours. A ``Watchdog``
shuts the connection's sockets down at the deadline, which ends any read in progress.

Snapshots record the URL that answered as ``source`` and, as ``taken_at``, when the answer began
to arrive by the local clock (so snapshots of several hosts compare on one clock).
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from types import TracebackType
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx

from goleash import __version__
from goleash.dumps import read_snapshots
from goleash.errors import InputError
from goleash.model import Snapshot
from goleash.sources import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT

MAX_REDIRECTS = 3
_PPROF = "/debug/pprof"


def is_url(spec: str) -> bool:
    """True for http(s) URLs, the specs this module fetches."""
    return spec.startswith(("http://", "https://"))


def split_url(url: str) -> SplitResult:
    """``url``'s parts; InputError for a malformed URL, a bad port or no host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- checks the port is a number in range
    except ValueError as e:
        raise InputError(f"{url} is not a valid URL ({e})") from None
    if not parts.hostname:
        raise InputError(f"{url} is not a valid URL (no host)")
    return parts


def profile_urls(url: str) -> list[str]:
    """The URLs to try for ``url``, in order: itself, or for a base URL leak then goroutine.

    Raises InputError for a URL with no host or a malformed one.
    """
    parts = split_url(url)
    path = parts.path.rstrip("/")
    if parts.query or not (path == "" or path.endswith(_PPROF)):
        return [url]
    root = path or _PPROF
    return [
        urlunsplit((parts.scheme, parts.netloc, f"{root}/{name}", "debug=2", ""))
        for name in ("goroutineleak", "goroutine")
    ]


def fetch(
    url: str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Snapshot]:
    """Fetch a goroutine dump over HTTP and parse it while it streams in.

    ``timeout`` bounds the whole fetch in seconds, fallback included; ``max_bytes`` bounds the
    body after any Content-Encoding is undone. Failures raise InputError with one line.
    """
    candidates = profile_urls(url)
    deadline = time.monotonic() + timeout
    headers = {"User-Agent": f"goleash/{__version__}"}
    watchdog = Watchdog(deadline)
    try:
        with (
            watchdog,
            httpx.Client(
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                headers=headers,
                event_hooks={"request": [watchdog.watch]},
            ) as client,
        ):
            for i, candidate in enumerate(candidates):
                fallback = i + 1 < len(candidates)
                snapshots = _fetch_one(client, candidate, deadline, timeout, max_bytes, fallback)
                if snapshots is not None:
                    return snapshots
    except httpx.HTTPError as e:
        if watchdog.fired or isinstance(e, httpx.TimeoutException):
            raise InputError(f"{url} did not answer within {timeout:g} s") from None
        raise _fetch_error(url, e) from None
    raise AssertionError("unreachable: the last candidate never falls back")


def _fetch_error(url: str, e: httpx.HTTPError) -> InputError:
    """The one-line error for a fetch that failed before the deadline."""
    if isinstance(e, httpx.ConnectError):
        return InputError(f"cannot connect to {_host(url)}: {_reason(e)}")
    if isinstance(e, httpx.TooManyRedirects):
        return InputError(f"{url} redirected more than {MAX_REDIRECTS} times")
    if isinstance(e, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return InputError(f"{url} is not a valid URL ({e})")
    return InputError(f"{url}: {_reason(e)}")


class Watchdog:
    """Ends an HTTP exchange at a deadline, however slowly the server drips its bytes.

    Install ``watch`` as a request event hook, or pass ``trace`` as the ``trace`` request
    extension (documented by httpcore): either way each socket the exchange opens is noted.
    At the deadline the watchdog shuts those sockets down, so a blocked read returns at once
    and httpx raises; ``fired`` then tells the caller that the deadline, not the server, ended
    it.
    """

    _EVENTS = ("connection.connect_tcp.complete", "connection.start_tls.complete")

    def __init__(self, deadline: float) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._timer.cancel()

    def watch(self, request: httpx.Request) -> None:
        """Request hook: note the sockets this request opens (a reused one was noted before)."""
        request.extensions["trace"] = self.trace

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore trace callback: note the sockets of new connections."""
        if event not in self._EVENTS:
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed already
        sock.shutdown(socket.SHUT_RDWR)


def _fetch_one(
    client: httpx.Client,
    url: str,
    deadline: float,
    timeout: float,
    max_bytes: int,
    fallback: bool,
) -> list[Snapshot] | None:
    """Fetch one URL; None when it is a 404 and another URL may be tried."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise httpx.ReadTimeout("total time limit reached")
    with client.stream("GET", url, timeout=httpx.Timeout(remaining)) as response:
        if response.status_code == 404 and fallback:
            return None
        if response.status_code != 200:
            reason = response.reason_phrase or "error"
            raise InputError(f"{url} answered HTTP {response.status_code} {reason}")
        taken_at = datetime.now(timezone.utc)
        source = str(response.url)
        body = _Body(response.iter_bytes(), source, deadline, timeout, max_bytes)
        snapshots = read_snapshots(io.BufferedReader(body, 1 << 16), source=source)
    return [s._replace(source=source, taken_at=taken_at) for s in snapshots]


class _Body(io.RawIOBase):
    """A response body as a stream, enforcing the size cap and the total time limit."""

    def __init__(
        self, chunks: Iterator[bytes], url: str, deadline: float, timeout: float, max_bytes: int
    ) -> None:
        self._chunks = chunks
        self._url = url
        self._deadline = deadline
        self._timeout = timeout
        self._max = max_bytes
        self._size = 0
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                chunk = next(self._chunks, None)
            except httpx.HTTPError as e:
                if isinstance(e, httpx.TimeoutException) or time.monotonic() >= self._deadline:
                    raise InputError(
                        f"{self._url} did not finish within {self._timeout:g} s"
                    ) from None
                raise InputError(f"{self._url}: the response broke off ({_reason(e)})") from None
            if chunk is None:
                if time.monotonic() >= self._deadline:
                    # The watchdog's shutdown looks like the end of a body sent until close.
                    raise InputError(f"{self._url} did not finish within {self._timeout:g} s")
                return 0
            self._size += len(chunk)
            if self._size > self._max:
                raise InputError(
                    f"{self._url} sent more than {size_text(self._max)}: stopped reading "
                    "(raise the size cap to read it all)"
                )
            if time.monotonic() > self._deadline:
                raise InputError(f"{self._url} did not finish within {self._timeout:g} s")
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _reason(e: Exception) -> str:
    """The innermost, most specific cause: ``connection refused`` rather than a wrapper's text."""
    text = str(e)
    if "Connection refused" in text or "ECONNREFUSED" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return first_line(e)


def first_line(e: Exception) -> str:
    """An error's first line, or its type's name when its text is empty."""
    text = str(e)
    return text.splitlines()[0] if text else type(e).__name__


def size_text(n: int) -> str:
    """A size cap as users wrote it: ``64 MB`` for whole mebibytes, else ``N bytes``."""
    if n >= 2**20 and n % 2**20 == 0:
        return f"{n // 2**20} MB"
    return f"{n} bytes"
