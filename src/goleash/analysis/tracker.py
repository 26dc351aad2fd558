"""Per-target series over time and the events a watch concludes from them.

A ``TargetTracker`` takes one ``Sample`` per poll (goroutines per stack key, the total, and
when known the work counter, the process start time and pid) and returns ``Event``\\s: a stack
starts leaking, a leaking stack recovers, the process restarted, the target went down or came
back. It is pure bookkeeping on counts: fetching, storing and rendering happen elsewhere.

Series are kept as window minima (see ``analysis.trend``): every ``params.window`` samples, each
stack's lowest count in the window is appended, at most ``params.max_windows`` of them. A stack
that appears late is back-filled with zeros, so a leak that starts an hour into the watch is
compared with the floor before it.

A restart splits the series: after it the counts start again from a new process, and mixing the
two would read a leak's reset as "recovered" or a warm-up as growth. A restart is seen when the
process start time or pid changes, when the work counter goes back, or, for a target that tells
none of these, when the total collapses below half of its floor over the last few windows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from goleash.analysis.trend import LEAK, STEADY, Trend, TrendParams, assess, drained

# Event kinds, in the user's words.
LEAK_FOUND = "leak"
RECOVERED = "recovered"
RESTART = "restart"
TARGET_DOWN = "target_down"
TARGET_UP = "target_up"

TOTAL = "total"  # the series of all goroutines, kept beside the per-stack ones
_COLLAPSE_RATIO = 0.5
_COLLAPSE_MIN = 5
_COLLAPSE_WINDOWS = 3  # the floor a collapse is measured against: the last few minima


@dataclass(frozen=True, slots=True)
class Sample:
    """One poll of one target, reduced to counts."""

    time: float  # epoch seconds
    total: int
    counts: Mapping[str, int]  # stack key -> goroutines
    work: float | None = None  # a work counter (requests, goroutines created), when known
    start_time: float | None = None  # process start, epoch seconds, when known
    pid: int | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """What a watch concludes about a target, or one of its stacks."""

    kind: str  # LEAK_FOUND, RECOVERED, RESTART, TARGET_DOWN, TARGET_UP
    target: str
    time: float
    stack_key: str | None = None
    count: int | None = None  # goroutines on the stack (or in all) at that time
    trend: Trend | None = None
    reason: str = ""
    leaking: tuple[str, ...] = ()  # RESTART: stacks that were leaking when it came


@dataclass
class StackSeries:
    """The window minima of one stack key within the current segment."""

    minima: deque[float]
    current_min: float | None = None
    last: int = 0
    state: str = STEADY  # STEADY or LEAK
    baseline: float = 0.0  # where the floor stood when the leak was declared
    trend: Trend | None = None
    leak_since: float | None = None


@dataclass
class TargetTracker:
    """The series of one target and the state of each stack."""

    target: str
    params: TrendParams = field(default_factory=TrendParams)
    normalise: bool = False  # put the work counter, not time, on the x axis
    stacks: dict[str, StackSeries] = field(default_factory=dict)
    total: StackSeries | None = None
    xs: deque[float] = field(init=False)
    in_window: int = 0
    samples: int = 0  # in this segment
    segments: int = 1
    down: bool = False
    # What the samples last said about the process: a sample may lack one (its /metrics read
    # timed out), and the next one that has it must still be compared with what came before.
    last_sample: Sample | None = None
    last_pid: int | None = None
    last_start_time: float | None = None
    last_work: float | None = None

    def __post_init__(self) -> None:
        self.xs = deque(maxlen=self.params.max_windows)
        self.total = self._new_series()

    def _new_series(self) -> StackSeries:
        return StackSeries(deque([0.0] * len(self.xs), maxlen=self.params.max_windows))

    @property
    def leaking(self) -> list[str]:
        """Stack keys currently judged leaking."""
        return [k for k, s in self.stacks.items() if s.state == LEAK]

    def observe(self, sample: Sample) -> list[Event]:
        """Take one sample; return the events it triggers."""
        events: list[Event] = []
        if self.down:
            self.down = False
            events.append(Event(TARGET_UP, self.target, sample.time, count=sample.total))
        reason = self._restart_reason(sample)
        if reason:
            events.append(
                Event(
                    RESTART,
                    self.target,
                    sample.time,
                    count=sample.total,
                    reason=reason,
                    leaking=tuple(self.leaking),
                )
            )
            self._split()
        self._remember(sample)
        self.samples += 1
        assert self.total is not None
        self._add(self.total, sample.total)
        for key in sample.counts:
            if key not in self.stacks:
                self.stacks[key] = self._new_series()
        for key, series in self.stacks.items():
            self._add(series, sample.counts.get(key, 0))
        self.in_window += 1
        if self.in_window >= self.params.window:
            events.extend(self._close_window(sample))
        return events

    def went_down(self, time: float, reason: str) -> list[Event]:
        """The target could not be polled: an event the first time in a row, then nothing."""
        if self.down:
            return []
        self.down = True
        return [Event(TARGET_DOWN, self.target, time, reason=reason)]

    def _add(self, series: StackSeries, count: int) -> None:
        # A stack that first shows up mid-window had none earlier in it.
        if series.current_min is None and self.in_window > 0:
            series.current_min = 0
        series.current_min = count if series.current_min is None else min(series.current_min, count)
        series.last = count

    def _remember(self, sample: Sample) -> None:
        self.last_sample = sample
        if sample.pid is not None:
            self.last_pid = sample.pid
        if sample.start_time is not None:
            self.last_start_time = sample.start_time
        if sample.work is not None:
            self.last_work = sample.work

    def _restart_reason(self, sample: Sample) -> str:
        if self.last_sample is None:
            return ""
        if sample.pid is not None and self.last_pid is not None and sample.pid != self.last_pid:
            return f"pid changed from {self.last_pid} to {sample.pid}"
        if (
            sample.start_time is not None
            and self.last_start_time is not None
            and abs(sample.start_time - self.last_start_time) > 1e-3
        ):
            return "process start time changed"
        if sample.work is not None and self.last_work is not None and sample.work < self.last_work:
            return "the work counter went back"  # counters only reset with their process
        if self.last_start_time is not None or self.last_pid is not None:
            return ""  # the process says who it is: a fall in the count is not a restart
        assert self.total is not None
        if len(self.total.minima) < _COLLAPSE_WINDOWS:
            return ""  # no floor to fall from yet
        floor = min(list(self.total.minima)[-_COLLAPSE_WINDOWS:])
        if (
            floor is not None
            and sample.total < _COLLAPSE_RATIO * floor
            and floor - sample.total >= _COLLAPSE_MIN
        ):
            return f"goroutines collapsed from a floor of {floor:g} to {sample.total}"
        return ""

    def _split(self) -> None:
        """Start a new segment: the old counts belong to a process that is gone."""
        self.stacks.clear()
        self.xs.clear()
        self.total = self._new_series()
        self.in_window = 0
        self.samples = 0
        self.segments += 1

    def _close_window(self, sample: Sample) -> list[Event]:
        self.in_window = 0
        if not self.normalise:
            x = sample.time
        elif sample.work is not None:
            x = sample.work
        else:  # the counter could not be read this time: count it as no work done
            x = self.xs[-1] if self.xs else 0.0
        self.xs.append(x)
        events: list[Event] = []
        assert self.total is not None
        self._close(self.total)
        self.total.trend = assess(self.xs, self.total.minima, self.params)
        gone: list[str] = []
        for key, series in self.stacks.items():
            self._close(series)
            if series.state == LEAK:
                if drained(series.minima, series.baseline):
                    series.state = STEADY
                    series.leak_since = None
                    series.trend = assess(self.xs, series.minima, self.params)
                    events.append(
                        Event(RECOVERED, self.target, sample.time, key, series.last, series.trend)
                    )
                else:
                    series.trend = assess(self.xs, series.minima, self.params)
                continue
            if series.last == 0 and not any(series.minima):
                gone.append(key)
                continue
            series.trend = assess(self.xs, series.minima, self.params)
            if series.trend.verdict == LEAK:
                series.state = LEAK
                series.baseline = series.trend.first
                series.leak_since = sample.time
                events.append(
                    Event(LEAK_FOUND, self.target, sample.time, key, series.last, series.trend)
                )
        for key in gone:
            del self.stacks[key]
        return events

    @staticmethod
    def _close(series: StackSeries) -> None:
        series.minima.append(float(series.current_min or 0))
        series.current_min = None
