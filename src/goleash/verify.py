"""``goleash verify``: load a service in cycles, let it settle, and judge what stayed behind.

The run: optionally start the service (``--start``) and wait for its pprof endpoint; take the
*start* counts; run the load once as a warm-up and settle: that is the *baseline*; then
``cycles`` times run the load and settle. Settling polls ``/debug/pprof/goroutine?debug=1``
(cheap: one line per distinct stack) until the counts per stack key hold still for ``quiet``
seconds (``analysis.settle``). At the end one ``debug=2`` dump (the goroutineleak profile when
the service offers it) gives the evidence: states, blocking and creation sites. The verdict per
stack is ``analysis.cycles``'s.

A service restarted during the run (by a supervisor, with ``--url`` alone) would look drained.
At each settled point the heap profile's ``TotalAlloc`` (cumulative bytes allocated, which only
grows within a process) is read too; when it goes back, the run stops with an input error.

Side effects (processes, HTTP, sleeping) live here; the decisions are pure functions elsewhere.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from goleash.analysis.cycles import StackSeries, judge_all
from goleash.analysis.growth import assess_stacks, by_stack
from goleash.analysis.ignore import IgnorePacks
from goleash.analysis.settle import Poll, is_settled
from goleash.analysis.suspects import Assessment, assess_group
from goleash.errors import InputError, UsageError
from goleash.model import Group, Snapshot
from goleash.sources import pprof
from goleash.sources.service import Service, run_load, split_command

Progress = Callable[[str], None]

_HISTORY = 200  # polls kept while settling (only the recent ones matter)
_TOTAL_ALLOC = re.compile(rb"^# TotalAlloc = (\d+)\s*$", re.MULTILINE)
_ALLOC_CAP = 64 * 2**20  # bytes of heap profile read to find its MemStats lines


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """What ``goleash verify`` was asked to do."""

    url: str
    load: str
    start: str | None = None
    cycles: int = 3
    settle_quiet: float = 1.0  # seconds the counts must hold still
    settle_timeout: float = 30.0
    startup_timeout: float = 30.0
    load_timeout: float = 600.0
    fetch_timeout: float = 10.0
    include_ignored: bool = False  # judge the stacks the ignore packs cover too


@dataclass(frozen=True, slots=True)
class SettlePoint:
    """The settled counts after one phase."""

    phase: str  # "start", "warm-up", "cycle 1", …
    counts: dict[str, int]  # stack key -> goroutines (the stacks judged)
    total: int  # all goroutines, ignored ones included
    settled: bool  # False when the settle timeout ran out first
    settle_seconds: float
    polls: int
    load_seconds: float | None = None
    # MemStats.TotalAlloc from the heap profile: it only grows within one process, so a smaller
    # value at a later point means another process answers (None when the profile is missing).
    total_alloc: int | None = None


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """A verify run: the settled points, the verdict per stack, and the evidence."""

    options: VerifyOptions
    points: tuple[SettlePoint, ...]  # start, warm-up (the baseline), then one per cycle
    series: tuple[StackSeries, ...]
    evidence: dict[str, Assessment]  # stack key -> one-snapshot assessment
    final: Snapshot | None
    warnings: tuple[str, ...] = ()

    @property
    def leaks(self) -> tuple[StackSeries, ...]:
        return tuple(s for s in self.series if s.leak)

    @property
    def verdict(self) -> str:
        """``leak`` when any stack leaks, else ``clean``."""
        return "leak" if self.leaks else "clean"


def pprof_root(url: str) -> str:
    """``http://h:6060`` or ``http://h:6060/debug/pprof/`` -> ``http://h:6060/debug/pprof``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- checks the port is a number in range
    except ValueError as e:
        raise UsageError(f"--url: {url} is not a valid URL ({e})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--url: {url} is not an http(s) base URL")
    if parts.query:
        raise UsageError(f"--url: give the service's base URL, without a query ({url})")
    path = parts.path.rstrip("/")
    if not path.endswith("/debug/pprof"):
        path += "/debug/pprof"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@dataclass
class _Run:
    options: VerifyOptions
    ignore: IgnorePacks
    progress: Progress
    service: Service | None = None
    root: str = ""
    seen: dict[str, Group] = field(default_factory=dict)  # last group polled per stack key
    warnings: list[str] = field(default_factory=list)

    def poll(self) -> tuple[dict[str, int], int]:
        """Counts per judged stack key, and the total, from one debug=1 poll."""
        url = f"{self.root}/goroutine?debug=1"
        try:
            snapshots = pprof.fetch(url, timeout=self.options.fetch_timeout)
        except InputError:
            self._check_alive()
            raise
        if not snapshots:
            raise InputError(f"{url} answered no goroutine profile")
        snapshot = snapshots[-1]
        counts: dict[str, int] = {}
        for key, g in by_stack(snapshot).items():
            self.seen[key] = g
            if self.options.include_ignored or self.ignore.match(g) is None:
                counts[key] = g.count
        return counts, snapshot.total

    def _check_alive(self) -> None:
        if self.service is not None:
            code = self.service.exited()
            if code is not None:
                raise InputError(
                    f"the service exited with status {code} during the run: "
                    f"{self.service.output_tail()}"
                )

    def settle(self, phase: str, load_seconds: float | None) -> SettlePoint:
        """Poll until the counts hold still for ``settle_quiet`` seconds, or time runs out."""
        o = self.options
        interval = max(0.05, o.settle_quiet / 4)
        began = time.monotonic()
        history: list[Poll] = []
        total = 0
        while True:
            counts, total = self.poll()
            now = time.monotonic()
            history.append(Poll(now, counts))
            del history[:-_HISTORY]
            if is_settled(history, o.settle_quiet):
                settled = True
                break
            if now - began >= o.settle_timeout:
                settled = False
                self.warnings.append(
                    f"{phase}: goroutine counts still moved after the settle timeout "
                    f"({o.settle_timeout:g} s); judged on the last poll"
                )
                break
            self.progress(f"{phase}: settling ({len(history)} polls, {now - began:.1f} s)")
            time.sleep(interval)
        return SettlePoint(
            phase,
            dict(history[-1].counts),
            total,
            settled,
            time.monotonic() - began,
            len(history),
            load_seconds,
            self.total_alloc(),
        )

    def total_alloc(self) -> int | None:
        """The process's cumulative heap allocation, from the heap profile's MemStats lines."""
        url = f"{self.root}/heap?debug=1"
        deadline = time.monotonic() + self.options.fetch_timeout
        watchdog = pprof.Watchdog(deadline)
        data = bytearray()
        try:
            with (
                watchdog,
                httpx.Client(event_hooks={"request": [watchdog.watch]}) as client,
                client.stream("GET", url, timeout=self.options.fetch_timeout) as response,
            ):
                if response.status_code != 200:
                    return None
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > _ALLOC_CAP:
                        return None
        except httpx.HTTPError:
            return None
        found = _TOTAL_ALLOC.search(bytes(data))
        return int(found.group(1)) if found else None

    def cycle(self, phase: str, previous: SettlePoint) -> SettlePoint:
        self.progress(f"{phase}: running the load")
        ran = run_load(self.options.load, timeout=self.options.load_timeout)
        self._check_alive()
        point = self.settle(phase, ran.seconds)
        before, now = previous.total_alloc, point.total_alloc
        if before is not None and now is not None and now < before:
            raise InputError(
                f"the service restarted during {phase.split('/')[0]} (its heap allocation "
                "counter went back): the run says nothing; let --start launch the service"
            )
        self.progress(f"{phase}: settled at {point.total} goroutines")
        return point

    def evidence(self, series: list[StackSeries]) -> tuple[dict[str, Assessment], Snapshot | None]:
        """One debug=2 dump at the end; stacks it lacks are described by their last poll."""
        final: Snapshot | None = None
        try:
            snapshots = pprof.fetch(self.root, timeout=max(self.options.fetch_timeout, 30.0))
            final = snapshots[-1] if snapshots else None
        except InputError as e:
            self.warnings.append(f"the final debug=2 dump failed ({e}); evidence from debug=1")
        found = assess_stacks(final, self.ignore, known=self.seen) if final is not None else {}
        wanted = {s.stack_key for s in series}
        for key in wanted - found.keys():
            if key in self.seen:
                found[key] = assess_group(self.seen[key], self.ignore)
        return {k: a for k, a in found.items() if k in wanted}, final


def verify(
    options: VerifyOptions, ignore: IgnorePacks, *, progress: Progress | None = None
) -> VerifyResult:
    """Run the whole verify sequence against a service and judge it.

    Raises InputError (exit 2) when the service cannot be started or reached, or the load
    command cannot run or fails; UsageError for options that make no sense.
    """
    if options.cycles < 1:
        raise UsageError("--cycles must be at least 1")
    run = _Run(options, ignore, progress or (lambda _: None))
    run.root = pprof_root(options.url)
    split_command(options.load, "--load")  # a command that cannot be split fails before any work
    if options.start is not None:
        run.service = Service(options.start, options.url)
    try:
        if run.service is not None:
            run.progress(f"starting {run.service.argv[0]}")
            run.service.start(timeout=options.startup_timeout)
        run.progress("start: settling")
        points = [run.settle("start", None)]
        points.append(run.cycle("warm-up", points[-1]))
        for i in range(1, options.cycles + 1):
            points.append(run.cycle(f"cycle {i}/{options.cycles}", points[-1]))
        start, baseline, cycles = points[0], points[1], points[2:]
        series = judge_all(start.counts, baseline.counts, [p.counts for p in cycles])
        run.progress("taking the debug=2 dump for the evidence")
        evidence, final = run.evidence(series)
    finally:
        if run.service is not None:
            run.service.stop()
    return VerifyResult(options, tuple(points), tuple(series), evidence, final, tuple(run.warnings))
