"""When goroutine counts have stopped moving after a burst of load.

After the load of a cycle ends, goroutines keep finishing for a while: requests in flight,
connections closing, background work started by the requests. ``goleash verify`` polls the
counts per stack and waits until they *settle*: every poll over the last ``quiet`` seconds saw
the same counts. What has not drained by then is what the cycle left behind.

Pure: the polling loop lives in ``goleash.verify``; this module only reads the history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Counts = Mapping[str, int]  # stack key -> goroutines


@dataclass(frozen=True, slots=True)
class Poll:
    """The counts one poll saw, and when (monotonic seconds)."""

    time: float
    counts: Counts

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _same(a: Counts, b: Counts) -> bool:
    keys = a.keys() | b.keys()
    return all(a.get(k, 0) == b.get(k, 0) for k in keys)


def held_for(history: Sequence[Poll]) -> float:
    """Seconds the latest counts have held: from the first poll of the unchanged run to the last."""
    if not history:
        return 0.0
    last = history[-1]
    first = last
    for p in reversed(history[:-1]):
        if not _same(p.counts, last.counts):
            break
        first = p
    return last.time - first.time


def is_settled(history: Sequence[Poll], quiet: float, *, min_polls: int = 3) -> bool:
    """True when the last ``min_polls`` polls, and all over ``quiet`` seconds, saw one count."""
    if len(history) < min_polls:
        return False
    last = history[-1]
    if not all(_same(p.counts, last.counts) for p in history[-min_polls:]):
        return False
    return held_for(history) >= quiet
