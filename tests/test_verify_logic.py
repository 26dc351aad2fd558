"""The pure parts of `goleash verify`: when counts have settled, and the verdict per stack.

The series below are the shapes the real runs in test_verify.py produce (a leak that adds the
same number per cycle, a pool that fills in the warm-up, a cache that fills in the first cycle),
and the shapes that must not be called leaks (work caught mid-flight at some settle points).
"""

from __future__ import annotations

import pytest

from goleash.analysis.cycles import DRAINED, LEAK, PLATEAU, STEADY, judge, judge_all
from goleash.analysis.settle import Poll, held_for, is_settled


@pytest.mark.parametrize(
    ("start", "baseline", "cycles", "verdict"),
    [
        (0, 10, [20, 30, 40], LEAK),  # one goroutine per request, every cycle
        (0, 0, [5, 5, 9], LEAK),  # grew in 2 of 3, the last included
        (0, 3, [4], LEAK),  # one cycle is enough when it grows
        (0, 8, [8, 8, 8], PLATEAU),  # pool filled by the warm-up
        (0, 10, [16, 16, 16], PLATEAU),  # cache filled in the first cycle, then bounded
        (0, 5, [10, 12, 12], PLATEAU),  # filled over two cycles, then held
        (0, 0, [20, 0, 20], DRAINED),  # background work caught at some settle points only
        (0, 20, [0, 20, 40], DRAINED),  # fell once: goroutines on it do exit
        (0, 0, [0, 0, 0], STEADY),
        (4, 4, [4, 4, 4], STEADY),
        (6, 2, [2, 2, 2], STEADY),
    ],
)
def test_judge(start: int, baseline: int, cycles: list[int], verdict: str) -> None:
    got, reason = judge(start, baseline, cycles)
    assert got == verdict, reason
    assert reason


def test_judge_all_puts_leaks_first_and_counts_missing_stacks_as_zero() -> None:
    series = judge_all(
        {"pool": 0},
        {"pool": 8, "leak": 10},
        [{"pool": 8, "leak": 20}, {"pool": 8, "leak": 30}, {"pool": 8, "leak": 40}],
    )
    assert [(s.stack_key, s.verdict) for s in series] == [("leak", LEAK), ("pool", PLATEAU)]
    leak = series[0]
    assert (leak.start, leak.baseline, leak.cycles, leak.growth) == (0, 10, (20, 30, 40), 30)
    assert leak.per_cycle == 10


def _polls(*counts: int, every: float = 0.1) -> list[Poll]:
    return [Poll(i * every, {"k": c}) for i, c in enumerate(counts)]


def test_settled_needs_equal_counts_for_the_quiet_period() -> None:
    assert not is_settled(_polls(9, 5, 5), quiet=0.2)  # equal for 0.1 s only
    assert is_settled(_polls(9, 5, 5, 5), quiet=0.2)
    assert not is_settled(_polls(5, 5, 5, 4), quiet=0.2)  # moved again
    assert not is_settled(_polls(5, 5), quiet=0.0)  # at least three polls
    assert held_for(_polls(1, 2, 2, 2, 2)) == pytest.approx(0.3)


def test_a_stack_that_appears_or_vanishes_is_movement() -> None:
    polls = [Poll(0.0, {"a": 1}), Poll(0.1, {"a": 1, "b": 1}), Poll(0.2, {"a": 1, "b": 0})]
    assert held_for(polls) == 0.0
    assert not is_settled(polls, quiet=0.15)


def test_a_goroutine_caught_starting_or_exiting_is_never_a_leak() -> None:
    """debug=1 and protobuf print no state: a lone runtime.goexit must not read as blocked."""
    from goleash.analysis.growth import judge_growth
    from goleash.analysis.suspects import Assessment
    from goleash.model import Frame, Group

    def assessment(*functions: str) -> Assessment:
        frames = tuple(Frame(f, "/src/x.go", 10) for f in functions)
        group = Group("sig", "", frames, None, count=1)
        return Assessment(group, "", "other", 0.35, ())

    leak, reasons = judge_growth(assessment("runtime.goexit"), delta=1, min_delta=1)
    assert not leak
    assert "starting or exiting" in reasons[0]
    leak, _ = judge_growth(assessment("main.worker.func1", "runtime.goexit"), delta=1, min_delta=1)
    assert leak
