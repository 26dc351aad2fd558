"""Polling many pprof endpoints at once, cheaply, for `goleash watch`.

One ``httpx.AsyncClient`` serves every target; a semaphore bounds how many requests are in
flight. Each request has a total deadline (``asyncio.timeout`` cancels a server that drips its
bytes) and a body cap, so a slow, hostile or broken target costs one event, never the watch.

Routine polls ask for ``goroutine?debug=1``: one line per distinct stack with a count, the
cheapest text the runtime prints (a debug=2 dump of a big service is tens of MB and stops the
world for longer). Evidence, fetched once per leaking stack, is ``goroutine?debug=2`` (states,
wait times, creation sites) and, when the service offers it (Go 1.26 experiment, 1.27 GA),
``goroutineleak?debug=2``, the runtime's own proof that goroutines can never run again.

When the target also serves Prometheus text at ``/metrics``, each poll reads
``process_start_time_seconds`` from it (restart detection) and, when asked, a work counter such
as ``http_requests_total`` or ``go_sched_goroutines_created_goroutines_total`` (normalisation by
work done). A target without it is probed once and then left alone.

A local process (``pid:1234`` or ``1234``) is found through ``sources.process``; its start time
comes from ``/proc``, so a reused pid reads as a restart.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from goleash import __version__
from goleash.dumps import read_snapshots
from goleash.errors import InputError
from goleash.model import Frame, Group, Snapshot
from goleash.sources.pprof import first_line, size_text, split_url

DEFAULT_POLL_BYTES = 64 * 2**20  # debug=1 of a 100k-goroutine service is well under 1 MB
DEFAULT_EVIDENCE_BYTES = 256 * 2**20
EVIDENCE_TIMEOUT = 60.0  # seconds, at least, for a debug=2 or goroutineleak capture
_PPROF = "/debug/pprof"
_METRICS_BYTES = 4 * 2**20


class PollError(Exception):
    """A poll that failed: down, slow, not a dump, too big. The message is one line."""


@dataclass
class Target:
    """One service being watched, and what the poller has learnt about it."""

    name: str  # as the user gave it
    base: str = ""  # the pprof root URL, once resolved
    pid: int | None = None
    metrics_url: str | None = None  # None once probed and found absent
    metrics_probed: bool = False
    leak_profile: bool | None = None  # goroutineleak offered? None until asked
    # debug=1 record address line -> (stack key, frames): see read_counts.
    stacks: dict[bytes, tuple[str, tuple[Frame, ...]]] = field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        return bool(self.base)


@dataclass(frozen=True, slots=True)
class Poll:
    """The outcome of one poll of one target: goroutines per stack key, or an error."""

    target: str
    time: float  # epoch seconds, when the answer began to arrive
    error: str | None = None
    total: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)  # stack key -> goroutines
    frames: Mapping[str, tuple[Frame, ...]] = field(default_factory=dict)  # of each key
    elapsed: float = 0.0  # seconds the poll took
    work: float | None = None
    start_time: float | None = None  # process start, epoch seconds, when known
    pid: int | None = None


@dataclass(frozen=True, slots=True)
class Capture:
    """One evidence profile: its raw bytes and what they parse to."""

    profile: str  # "goroutine" or "goroutineleak"
    url: str
    body: bytes
    snapshot: Snapshot


def target_from_spec(spec: str, *, metrics_path: str | None = "/metrics") -> Target:
    """A Target for a base URL or a pid. Raises InputError for a malformed spec."""
    from goleash.sources.process import parse_pid

    if spec.startswith(("http://", "https://")):
        return Target(spec, base=pprof_root(spec), metrics_url=_metrics_url(spec, metrics_path))
    pid = parse_pid(spec)
    if pid is None:
        raise InputError(f"{spec}: not a URL (http://HOST:PORT) or a process id (pid:1234)")
    return Target(spec, pid=pid)


def pprof_root(url: str) -> str:
    """``http://h:p/debug/pprof`` for a base URL with or without the pprof path."""
    parts = split_url(url)
    if parts.query:
        raise InputError(f"{url}: give the service's base URL (http://HOST:PORT), not a profile")
    path = parts.path.rstrip("/")
    at = path.find(_PPROF)
    if at >= 0:
        if path[at + len(_PPROF) :]:
            raise InputError(
                f"{url}: give the service's base URL (http://HOST:PORT), not a profile"
            )
        root = path
    else:
        root = path + _PPROF
    return urlunsplit((parts.scheme, parts.netloc, root, "", ""))


def _metrics_url(url: str, metrics_path: str | None) -> str | None:
    if not metrics_path:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, metrics_path, "", ""))


class Poller:
    """Fetches goroutine profiles from many targets concurrently. Use as an async context."""

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        max_bytes: int = DEFAULT_POLL_BYTES,
        evidence_bytes: int = DEFAULT_EVIDENCE_BYTES,
        concurrency: int = 256,
        work_metric: str | None = None,
    ) -> None:
        self.timeout = timeout
        # A debug=2 dump of a big service takes seconds to write: evidence gets more time.
        self.evidence_timeout = max(timeout, EVIDENCE_TIMEOUT)
        self.max_bytes = max_bytes
        self.evidence_bytes = evidence_bytes
        self.work_metric = work_metric
        self._gate = asyncio.Semaphore(concurrency)
        # One client (one connection pool) per host:port. A single shared pool scans all its
        # connections on every request in httpcore, which made 200 targets cost 5x the CPU.
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._ssl: ssl.SSLContext | None = None  # built once: each costs ~0.1 s of CPU

    def _client(self, url: str) -> httpx.AsyncClient:
        netloc = urlsplit(url).netloc
        client = self._clients.get(netloc)
        if client is None:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            client = httpx.AsyncClient(
                verify=self._ssl,
                headers={"User-Agent": f"goleash/{__version__}"},
                follow_redirects=True,
                max_redirects=3,
                timeout=httpx.Timeout(self.evidence_timeout),
                limits=httpx.Limits(max_connections=2, max_keepalive_connections=2),
            )
            self._clients[netloc] = client
        return client

    async def __aenter__(self) -> Poller:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def poll(self, target: Target, *, debug: int = 1) -> Poll:
        """Poll ``target`` once: its goroutine profile, and its metrics when it serves them."""
        started = time.monotonic()
        now = time.time()
        try:
            if not target.resolved:
                await self._resolve(target)
            url = f"{target.base}/goroutine?debug={debug}"
            body = await self._get(url, self.max_bytes)
            total, counts, frames = read_counts(body, url, target.stacks)
            work, start_time = await self._metrics(target)
            if target.pid is not None:
                start_time = _pid_start_time(target.pid)
        except PollError as e:
            if target.pid is not None:
                target.base = ""  # look the port up again next time: the process may be new
            return Poll(target.name, now, error=str(e), elapsed=time.monotonic() - started)
        return Poll(
            target.name,
            now,
            total=total,
            counts=counts,
            frames=frames,
            elapsed=time.monotonic() - started,
            work=work,
            start_time=start_time,
            pid=target.pid,
        )

    async def evidence(self, target: Target) -> list[Capture]:
        """The debug=2 goroutine profile and, when offered, the goroutineleak profile.

        A profile that cannot be fetched is left out; PollError only when neither could be.
        """
        captures: list[Capture] = []
        errors: list[str] = []
        profiles = ["goroutine"]
        if target.leak_profile is not False:
            profiles.append("goroutineleak")
        for profile in profiles:
            url = f"{target.base}/{profile}?debug=2"
            try:
                body = await self._get(url, self.evidence_bytes, self.evidence_timeout)
                captures.append(Capture(profile, url, body, _parse(body, url)))
                if profile == "goroutineleak":
                    target.leak_profile = True
            except _NotFound:
                target.leak_profile = False
            except PollError as e:
                errors.append(str(e))
        if not captures and errors:
            raise PollError(errors[0])
        return captures

    async def _resolve(self, target: Target) -> None:
        """Find the pprof port of a process target (through /proc, in a worker thread)."""
        from goleash.sources.process import find_pprof, listening_ports

        assert target.pid is not None
        try:
            listeners = await asyncio.to_thread(listening_ports, target.pid)
        except InputError as e:
            raise PollError(str(e)) from None
        base = await asyncio.to_thread(find_pprof, listeners, timeout=min(1.0, self.timeout))
        if base is None:
            raise PollError(f"pid {target.pid} serves no /debug/pprof/ on its TCP ports")
        target.base = base + _PPROF
        target.metrics_url = base + "/metrics"
        target.metrics_probed = False

    async def _metrics(self, target: Target) -> tuple[float | None, float | None]:
        """The work counter and the process start time from ``/metrics``, when it serves them."""
        if target.metrics_url is None:
            return None, None
        try:
            body = await self._get(target.metrics_url, _METRICS_BYTES)
        except _Refused:
            if not target.metrics_probed:
                target.metrics_url = None  # the server says it has no metrics: never ask again
            return None, None
        except PollError:  # a timeout or a dropped connection says nothing: ask next time
            return None, None
        target.metrics_probed = True
        text = body.decode("utf-8", "replace")
        work = metric_sum(text, self.work_metric) if self.work_metric else None
        start = metric_sum(text, "process_start_time_seconds")
        if work is None and start is None and not self.work_metric:
            target.metrics_url = None  # serves nothing goleash reads
        return work, start

    async def _get(self, url: str, cap: int, timeout: float | None = None) -> bytes:
        """GET ``url`` within the deadline and the body cap. Raises PollError with one line."""
        limit = self.timeout if timeout is None else timeout
        async with self._gate:
            try:
                if _timeout is not None:  # 3.11+: no extra task per request
                    async with _timeout(limit):
                        return await self._read(url, cap)
                return await asyncio.wait_for(self._read(url, cap), limit)
            except asyncio.TimeoutError:
                raise PollError(f"{url} did not answer within {limit:g} s") from None
            except httpx.HTTPError as e:
                raise PollError(f"{url}: {_reason(e)}") from None

    async def _read(self, url: str, cap: int) -> bytes:
        async with self._client(url).stream("GET", url) as response:
            if response.status_code == 404:
                raise _NotFound(f"{url} answered HTTP 404 Not Found")
            if response.status_code != 200:
                reason = response.reason_phrase or "error"
                raise _Refused(f"{url} answered HTTP {response.status_code} {reason}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise _Refused(f"{url} sent more than {size_text(cap)}: stopped reading")
                chunks.append(chunk)
            return b"".join(chunks)


class _Refused(PollError):
    """The server answered, but not with what was asked: an error status, or too many bytes."""


class _NotFound(_Refused):
    """HTTP 404: the profile is not offered (a router that hard-codes the classic profiles)."""


_timeout = getattr(asyncio, "timeout", None)  # Python 3.11+

_HEADER = b"goroutine profile: total "
_MAX_CACHED = 50_000  # address lines remembered per target


def read_counts(
    body: bytes, url: str, cache: dict[bytes, tuple[str, tuple[Frame, ...]]]
) -> tuple[int, dict[str, int], dict[str, tuple[Frame, ...]]]:
    """Goroutines per stack key in a profile, the total, and each key's frames.

    A debug=1 profile of one binary repeats the same records at every poll: ``N @ 0x… 0x…``
    and the same symbolised frames under it. Records whose address line is in ``cache`` are
    counted without parsing; only new ones go through the parser (alone, so each maps to its
    one group). Anything else (protobuf, a record the parser splits or rejects) is parsed whole.
    Raises PollError when the body is not a goroutine profile.
    """
    if body.startswith(_HEADER):
        fast = _cached_counts(body, url, cache)
        if fast is not None:
            return fast
    snapshot = _parse(body, url)
    counts: dict[str, int] = {}
    frames: dict[str, tuple[Frame, ...]] = {}
    for g in snapshot.groups:
        key = stack_key(g)
        counts[key] = counts.get(key, 0) + g.count
        frames.setdefault(key, g.frames)
    total = snapshot.reported_total if snapshot.reported_total is not None else snapshot.total
    return total, counts, frames


def _cached_counts(
    body: bytes, url: str, cache: dict[bytes, tuple[str, tuple[Frame, ...]]]
) -> tuple[int, dict[str, int], dict[str, tuple[Frame, ...]]] | None:
    header, _, rest = body.partition(b"\n")
    try:
        total = int(header[len(_HEADER) :])
    except ValueError:
        return None
    counts: dict[str, int] = {}
    frames: dict[str, tuple[Frame, ...]] = {}
    for record in rest.split(b"\n\n"):
        record = record.strip(b"\n")
        if not record:
            continue
        first, _, _ = record.partition(b"\n")
        n, at, addresses = first.partition(b" @ ")
        if not at or not n.isdigit():
            return None
        known = cache.get(addresses)
        if known is None:
            try:
                snapshot = _parse(_HEADER + n + b"\n" + record + b"\n", url)
            except PollError:
                return None
            if len(snapshot.groups) != 1 or snapshot.unparsed:
                return None
            group = snapshot.groups[0]
            if len(cache) >= _MAX_CACHED:
                cache.clear()
            known = cache[addresses] = (stack_key(group), group.frames)
        key, fr = known
        counts[key] = counts.get(key, 0) + int(n)
        frames.setdefault(key, fr)
    return total, counts, frames


_KEYS: dict[tuple[Frame, ...], str] = {}


def stack_key(group: Group) -> str:
    """``group.stack_key``, remembered: the same stacks come back at every poll of every target,
    and hashing a tuple of frames costs a fraction of computing the key."""
    key = _KEYS.get(group.frames)
    if key is None:
        if len(_KEYS) >= _MAX_CACHED:
            _KEYS.clear()
        key = _KEYS[group.frames] = group.stack_key
    return key


def _parse(body: bytes, url: str) -> Snapshot:
    try:
        snapshots = read_snapshots(io.BytesIO(body), source=url)
    except InputError as e:
        raise PollError(str(e)) from None
    if not snapshots:
        raise PollError(f"{url} is not a goroutine dump")
    return snapshots[0]


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")


def metric_sum(text: str, name: str | None) -> float | None:
    """The sum over all label sets of metric ``name`` in Prometheus text format, or None."""
    if not name:
        return None
    total: float | None = None
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        m = _SAMPLE.match(line)
        if m is None or m.group(1) != name:
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        total = value if total is None else total + value
    return total


def _pid_start_time(pid: int) -> float | None:
    """When process ``pid`` started, epoch seconds, from /proc (None where there is none)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
        with open("/proc/stat", encoding="ascii", errors="replace") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, StopIteration, ValueError):
        return None
    fields = stat.rpartition(")")[2].split()
    try:
        ticks = int(fields[19])  # field 22 of stat; fields here start at field 3
    except (IndexError, ValueError):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def _reason(e: Exception) -> str:
    text = str(e)
    if isinstance(e, httpx.ConnectError):
        return "cannot connect" + (f" ({text.splitlines()[0]})" if text else "")
    if isinstance(e, httpx.TimeoutException):
        return "timed out"
    return first_line(e)
