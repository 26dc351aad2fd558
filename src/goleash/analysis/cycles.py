"""The verdict of ``goleash verify``: per stack, how the settled counts moved over the cycles.

Each stack key has a series of settled counts: ``start`` (before any load), ``baseline`` (after
the warm-up cycle) and one count per load cycle. Leaked goroutines stay: a stack that leaks under
the load grows with the cycles and does not drain once the load stops. A pool or cache fills
during the warm-up (or the first cycles) and then holds still. So:

- **leak**: the settled count grew in most cycles, including the last one, and never fell:
  leaked goroutines do not exit, so a stack whose count drops at some point drains;
- **plateau**: above its start, but not growing with the cycles: a pool or a cache that filled
  (during the warm-up, or during a cycle and then held);
- **drained**: rose during the run and came back to (or below) the baseline;
- **steady**: never moved.

"Most cycles" is a strict majority, so a stack must grow at least twice in three cycles (once in
one or two). Growth in the last cycle is required, so a cache that filled over two cycles and
then held is a plateau; run more cycles, or a longer warm-up, to fill caches before the baseline.
Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LEAK = "leak"
PLATEAU = "plateau"
DRAINED = "drained"
STEADY = "steady"


@dataclass(frozen=True, slots=True)
class StackSeries:
    """The settled counts of one stack key over a verify run, and the verdict on them."""

    stack_key: str
    start: int  # before the warm-up
    baseline: int  # after the warm-up
    cycles: tuple[int, ...]  # after each load cycle
    verdict: str  # LEAK, PLATEAU, DRAINED or STEADY
    reason: str

    @property
    def leak(self) -> bool:
        return self.verdict == LEAK

    @property
    def growth(self) -> int:
        """Goroutines gained from the baseline to the end of the last cycle."""
        return (self.cycles[-1] if self.cycles else self.baseline) - self.baseline

    @property
    def per_cycle(self) -> float:
        """Average goroutines gained per load cycle."""
        return self.growth / len(self.cycles) if self.cycles else 0.0


def judge(start: int, baseline: int, cycles: Sequence[int]) -> tuple[str, str]:
    """The verdict on one stack's settled counts, and a sentence saying why."""
    if not cycles:
        return STEADY, "no load cycle ran"
    before = [baseline, *cycles[:-1]]
    grew = [now > prev for now, prev in zip(cycles, before, strict=True)]
    n, ups = len(cycles), sum(grew)
    last = cycles[-1]
    dropped = any(now < prev for now, prev in zip(cycles, before, strict=True))
    if ups * 2 > n and grew[-1] and not dropped:
        per = (last - baseline) / n
        return LEAK, (
            f"grew in {ups} of {n} cycles ({baseline} → {last}, {per:+.3g} per cycle) "
            "and did not drain"
        )
    peak = max(baseline, *cycles)
    if dropped or last < baseline:
        return DRAINED, f"rose to {max(peak, start)} and came back to {last}"
    if last > start:
        when = "the warm-up" if peak == baseline else "the first cycles"
        return PLATEAU, f"filled during {when} ({start} → {peak}), then held: a pool or a cache"
    return STEADY, f"held at {last}"


def judge_all(
    start: Mapping[str, int], baseline: Mapping[str, int], cycles: Sequence[Mapping[str, int]]
) -> list[StackSeries]:
    """Every stack key seen at any settled point, judged; leaks first, then by growth."""
    keys = set(start) | set(baseline)
    for c in cycles:
        keys |= set(c)
    result = []
    for key in keys:
        series = tuple(c.get(key, 0) for c in cycles)
        s0, b = start.get(key, 0), baseline.get(key, 0)
        verdict, reason = judge(s0, b, series)
        result.append(StackSeries(key, s0, b, series, verdict, reason))
    result.sort(key=lambda s: (not s.leak, -s.growth, s.stack_key))
    return result
