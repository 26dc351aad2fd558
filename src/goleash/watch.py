"""The watch loop: poll every target on its schedule, track its series, keep and report events.

Side effects live here and at the report edge: the poller fetches (sources), the trackers judge
(analysis), the store keeps (SQLite), sinks render (report). Each target runs its own task on a
fixed schedule (``interval``; a poll that overruns skips the slots it missed rather than bunching
up), and backs off exponentially while it fails, so a dead target costs little and the others
keep their rhythm.

When a stack is first judged leaking, the watch fetches the evidence once for that target
(debug=2, and the goroutineleak profile when offered), names the blocking and creation sites from
it, stores the raw profiles, and only then reports the leak.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from goleash.analysis.tracker import (
    LEAK_FOUND,
    Event,
    Sample,
    TargetTracker,
)
from goleash.analysis.trend import TrendParams
from goleash.model import Frame, Group
from goleash.sources.poller import Capture, Poll, Poller, PollError, Target
from goleash.store import Store

MAX_BACKOFF = 60.0  # seconds between polls of a target that keeps failing, at most


@dataclass(frozen=True)
class WatchOptions:
    """How often, how long, and how much evidence a verdict needs."""

    interval: float = 5.0
    duration: float | None = None  # None: until stopped
    params: TrendParams = field(default_factory=TrendParams)
    timeout: float = 5.0
    max_bytes: int = 64 * 2**20
    debug: int = 1  # the profile format of routine polls: 1 (counts per stack) or 0 (protobuf)
    evidence: bool = True
    work_metric: str | None = None
    metrics_path: str | None = "/metrics"
    concurrency: int = 256


@dataclass(frozen=True)
class StackReport:
    """An event about a stack, with what the watch knows about the stack."""

    event: Event
    frames: tuple[Frame, ...] = ()
    blocking_site: Frame | None = None
    creation_site: Frame | None = None
    state: str = ""
    wait_minutes: tuple[int, int] | None = None
    runtime_leaked: int | None = None  # marked leaked by the goroutineleak profile
    evidence: tuple[str, ...] = ()  # the profiles captured for it


@dataclass
class TargetState:
    """What the watch knows about one target, for reports and metrics."""

    target: Target
    tracker: TargetTracker
    polls: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    restarts: int = 0
    last_error: str = ""
    last_total: int | None = None
    resumed_samples: int = 0
    frames: dict[str, tuple[Frame, ...]] = field(default_factory=dict)
    leaks: dict[str, StackReport] = field(default_factory=dict)  # every leak found, by stack
    evidence_taken: set[str] = field(default_factory=set)
    captures: dict[str, StackReport] = field(default_factory=dict)
    last_capture: tuple[float, list[Capture]] | None = None  # (time, evidence) of the latest

    @property
    def name(self) -> str:
        return self.target.name


class Sink(Protocol):
    """Where a watch reports: a terminal table, JSON lines, plain lines."""

    def event(self, report: StackReport, state: TargetState) -> None: ...

    def sample(self, state: TargetState, window_closed: bool) -> None: ...

    def finish(self, watch: Watch) -> None: ...


class Watch:
    """A watch over a set of targets. ``await run()`` until the duration ends or ``stop()``."""

    def __init__(
        self,
        targets: Sequence[Target],
        options: WatchOptions,
        sinks: Sequence[Sink] = (),
        store: Store | None = None,
    ) -> None:
        self.options = options
        self.sinks = list(sinks)
        self.store = store
        normalise = options.work_metric is not None
        self.states: dict[str, TargetState] = {
            t.name: TargetState(t, TargetTracker(t.name, options.params, normalise))
            for t in targets
        }
        self.started = time.time()
        self.finished: float | None = None
        # Evidence younger than two windows is reused for a stack that starts leaking now.
        self._window_seconds = 2 * options.interval * options.params.window
        self._stop = asyncio.Event()
        self._running: tuple[Poller, float, float | None] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def leaks_found(self) -> int:
        """Stacks judged leaking during this watch (or still leaking from a resumed one)."""
        return sum(len(s.leaks) + len(_resumed_leaks(s)) for s in self.states.values())

    def stop(self) -> None:
        self._stop.set()

    def add(self, target: Target) -> bool:
        """Watch one more target (fleet re-screening found a new suspect); False if watched."""
        if target.name in self.states:
            return False
        normalise = self.options.work_metric is not None
        state = TargetState(target, TargetTracker(target.name, self.options.params, normalise))
        self.states[target.name] = state
        if self._running is not None:
            poller, start, deadline = self._running
            self._tasks.append(asyncio.create_task(self._loop(state, poller, start, deadline)))
        return True

    def remaining(self) -> float | None:
        """Seconds until the duration ends (None: no duration); 0 once stopped."""
        if self._stop.is_set():
            return 0.0
        if self._running is None or self._running[2] is None:
            return None
        return max(0.0, self._running[2] - time.monotonic())

    async def sleep(self, seconds: float) -> bool:
        """Sleep, or return True at once when the watch is stopped (for background work)."""
        return await self._sleep(seconds)

    async def run(
        self, background: Sequence[Callable[[Watch], Coroutine[Any, Any, None]]] = ()
    ) -> None:
        """Poll until the duration ends or ``stop()`` is called.

        ``background`` coroutines (fleet re-screening) run beside the polls and must return
        when ``remaining()`` reaches 0.
        """
        if self.store is not None:
            self._resume(self.store)
        opts = self.options
        async with Poller(
            timeout=opts.timeout,
            max_bytes=opts.max_bytes,
            concurrency=opts.concurrency,
            work_metric=opts.work_metric,
        ) as poller:
            start = time.monotonic()
            deadline = start + opts.duration if opts.duration is not None else None
            self._running = (poller, start, deadline)
            self._tasks = [
                asyncio.create_task(self._loop(state, poller, start, deadline))
                for state in self.states.values()
            ]
            self._tasks += [asyncio.create_task(job(self)) for job in background]
            try:
                while pending := [t for t in self._tasks if not t.done()]:
                    done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
                    for task in done:
                        task.result()  # an unexpected error in a task is not swallowed
            finally:
                self._running = None
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)
        self.finished = time.time()
        for sink in self.sinks:
            sink.finish(self)

    def _resume(self, store: Store) -> None:
        """Replay each target's recent samples from the store: the series go on where they were."""
        limit = self.options.params.window * self.options.params.max_windows
        taken = store.evidence_taken()
        for state in self.states.values():
            samples = store.recent_samples(state.name, limit)
            for sample in samples:
                state.tracker.observe(sample)  # their events were reported and stored then
            state.resumed_samples = len(samples)
            state.frames.update(store.frames(state.tracker.stacks))
            state.evidence_taken = {s for t, s in taken if t == state.name}

    async def _loop(
        self, state: TargetState, poller: Poller, start: float, deadline: float | None
    ) -> None:
        interval = self.options.interval
        slot = 0
        while True:
            due = start + slot * interval
            now = time.monotonic()
            if due < now:  # missed slots (a slow poll, a back-off): skip, do not bunch up
                slot = int((now - start) / interval) + 1
                due = start + slot * interval
            if state.consecutive_failures:
                backoff = min(interval * 2**state.consecutive_failures, MAX_BACKOFF)
                due = max(due, now + backoff - interval)
            if deadline is not None and due > deadline:
                return
            if await self._sleep(due - time.monotonic()):
                return
            slot += 1
            poll = await poller.poll(state.target, debug=self.options.debug)
            await self._handle(state, poll, poller)

    async def _sleep(self, seconds: float) -> bool:
        """Sleep, or return True at once when the watch is stopped."""
        if seconds <= 0:
            return self._stop.is_set()
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except asyncio.TimeoutError:
            return False
        return True

    async def _handle(self, state: TargetState, poll: Poll, poller: Poller) -> None:
        state.polls += 1
        if poll.error is not None:
            state.failures += 1
            state.consecutive_failures += 1
            state.last_error = poll.error or "failed"
            for event in state.tracker.went_down(poll.time, state.last_error):
                self._emit(StackReport(event), state)
            return
        state.consecutive_failures = 0
        state.last_error = ""
        sample = to_sample(poll)
        state.last_total = sample.total
        new = {k: fr for k, fr in poll.frames.items() if k not in state.frames}
        state.frames.update(new)
        if self.store is not None:
            self.store.add_sample(state.name, sample, new)
        events = state.tracker.observe(sample)
        window_closed = state.tracker.in_window == 0
        for event in events:
            if event.kind == LEAK_FOUND and event.stack_key is not None:
                report = await self._leak_report(state, event, poller)
                state.leaks[event.stack_key] = report
            else:
                if event.kind == "restart":
                    state.restarts += 1
                report = self._stack_report(state, event)
            self._emit(report, state)
        for sink in self.sinks:
            sink.sample(state, window_closed)

    def _stack_report(self, state: TargetState, event: Event) -> StackReport:
        if event.stack_key is None:
            return StackReport(event)
        known = state.captures.get(event.stack_key)
        if known is not None:
            return StackReport(
                event,
                known.frames,
                known.blocking_site,
                known.creation_site,
                known.state,
                known.wait_minutes,
                known.runtime_leaked,
                known.evidence,
            )
        frames = state.frames.get(event.stack_key, ())
        return StackReport(event, frames, _blocking(frames))

    async def _leak_report(self, state: TargetState, event: Event, poller: Poller) -> StackReport:
        key = event.stack_key
        assert key is not None
        if not self.options.evidence or key in state.evidence_taken:
            return self._stack_report(state, event)
        fresh = state.last_capture
        if fresh is not None and event.time - fresh[0] < self._window_seconds:
            # Stacks that start leaking together (a sender and its receiver) share one capture:
            # a debug=2 dump of a big service costs it seconds of CPU.
            captures = fresh[1]
        else:
            try:
                captures = await poller.evidence(state.target)
            except PollError as e:
                state.last_error = f"evidence: {e}"
                return self._stack_report(state, event)
            state.last_capture = (event.time, captures)
            if self.store is not None:
                for c in captures:
                    self.store.add_evidence(state.name, key, event.time, c.profile, c.url, c.body)
        state.evidence_taken.add(key)
        report = evidence_report(event, captures, state.frames.get(key, ()))
        state.captures[key] = report
        return report

    def _emit(self, report: StackReport, state: TargetState) -> None:
        if self.store is not None:
            from goleash.report.watch_json import event_line

            e = report.event
            self.store.add_event(state.name, e.time, e.kind, e.stack_key, event_line(report))
        for sink in self.sinks:
            sink.event(report, state)


def to_sample(poll: Poll) -> Sample:
    """The tracker's view of a successful poll."""
    return Sample(poll.time, poll.total, poll.counts, poll.work, poll.start_time, poll.pid)


def evidence_report(
    event: Event, captures: Sequence[Capture], frames: tuple[Frame, ...]
) -> StackReport:
    """A leak event with its sites read from the debug=2 and goroutineleak captures."""
    key = event.stack_key
    best: Group | None = None
    runtime_leaked: int | None = None
    for c in captures:
        matching = [g for g in c.snapshot.groups if g.stack_key == key]
        if c.profile == "goroutineleak":
            runtime_leaked = sum(g.leaked for g in matching)
        for g in matching:
            if best is None or g.count > best.count:
                best = g
    if best is None:
        return StackReport(event, frames, _blocking(frames), evidence=_names(captures))
    return StackReport(
        event,
        best.frames,
        best.blocking_site,
        best.creation_site,
        best.state,
        best.wait_minutes,
        runtime_leaked,
        _names(captures),
    )


def _names(captures: Sequence[Capture]) -> tuple[str, ...]:
    return tuple(c.profile for c in captures)


def _blocking(frames: tuple[Frame, ...]) -> Frame | None:
    for f in frames:
        if not f.is_plumbing:
            return f
    return frames[-1] if frames else None


def _resumed_leaks(state: TargetState) -> list[str]:
    """Stacks leaking now that were judged so by an earlier watch on the same store."""
    return [k for k in state.tracker.leaking if k not in state.leaks]
