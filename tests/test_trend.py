"""Trend statistics and the per-target tracker, on series shaped like real services.

The series are generated (seeded) in the shapes the watch must tell apart: a steady leak under
noisy traffic, load that comes and goes, a pool that fills once, a cache that grows to a bound.
The Go services in test_watch.py produce the same shapes for real.
"""

from __future__ import annotations

import random
import statistics

import pytest

from goleash.analysis.tracker import (
    LEAK_FOUND,
    RECOVERED,
    RESTART,
    TARGET_DOWN,
    TARGET_UP,
    Sample,
    TargetTracker,
)
from goleash.analysis.trend import (
    LEAK,
    STEADY,
    UNKNOWN,
    TrendParams,
    assess,
    drained,
    mann_kendall,
    theil_sen,
    window_minima,
)

PARAMS = TrendParams(window=5, min_windows=6)
SEEDS = range(200)


def judge(values: list[float]) -> str:
    minima = window_minima(values, PARAMS.window)
    xs = [float(i) for i in range(len(minima))]
    return assess(xs, minima, PARAMS).verdict


def leak(rng: random.Random, n: int, per_sample: float = 0.6) -> list[float]:
    """20 idle goroutines, in-flight requests on top, and a leak of ~per_sample per poll."""
    leaked = 0.0
    out = []
    for _ in range(n):
        leaked += rng.uniform(0, 2 * per_sample)
        out.append(20 + int(leaked) + rng.randint(0, 15))
    return out


def bursty(rng: random.Random, n: int, period: int = 14) -> list[float]:
    """Traffic on for half a period (many in-flight goroutines), then off."""
    return [
        20 + (rng.randint(30, 80) if (i // (period // 2)) % 2 == 0 else rng.randint(0, 2))
        for i in range(n)
    ]


def pool(rng: random.Random, n: int, fill: int = 8, size: int = 40) -> list[float]:
    return [20 + min(size, size * i // fill) + rng.randint(0, 10) for i in range(n)]


def test_window_minima_keeps_complete_windows_only() -> None:
    assert window_minima([5, 3, 4, 9, 8, 7, 1], 3) == [3, 7]
    with pytest.raises(ValueError):
        window_minima([1], 0)


def test_mann_kendall_on_rising_flat_and_falling_series() -> None:
    _, p_up = mann_kendall([1, 2, 3, 4, 5, 6, 7, 8])
    _, p_flat = mann_kendall([4, 4, 4, 4, 4, 4])
    _, p_down = mann_kendall([8, 7, 6, 5, 4, 3, 2, 1])
    assert p_up < 0.001
    assert p_flat == 1.0
    assert p_down > 0.99


def test_theil_sen_matches_the_median_of_pairwise_slopes_and_ignores_outliers() -> None:
    rng = random.Random(7)
    xs = [float(i) for i in range(30)]
    ys = [3.0 * x + rng.gauss(0, 1) for x in xs]
    for i in (3, 11, 20, 25):  # a few wild points: a least-squares fit would follow them
        ys[i] += 500
    slope, low, high = theil_sen(xs, ys)
    pairs = [(ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(30) for j in range(i + 1, 30)]
    assert slope == statistics.median(pairs)
    assert 2.7 < slope < 3.3
    assert low < slope < high


def test_theil_sen_skips_pairs_with_no_work_between_them() -> None:
    # x is work done: no requests between the last samples, the leak stood still.
    slope, _, _ = theil_sen([0, 10, 20, 20, 20], [0, 5, 10, 10, 10])
    assert slope == pytest.approx(0.5)


def test_a_steady_leak_is_caught_within_a_few_dozen_samples() -> None:
    # 50 polls: ten windows. A slow leak (about one goroutine every other poll) under traffic
    # whose in-flight goroutines are worth 15 polls of it.
    caught = sum(judge(leak(random.Random(seed), 50)) == LEAK for seed in SEEDS)
    assert caught >= 0.95 * len(SEEDS)
    fast = sum(judge(leak(random.Random(seed), 30, per_sample=3)) == LEAK for seed in SEEDS)
    assert fast >= 0.97 * len(SEEDS)


def test_load_that_comes_and_goes_is_never_a_leak() -> None:
    assert [s for s in SEEDS if judge(bursty(random.Random(s), 90)) == LEAK] == []


def test_a_pool_that_fills_once_is_never_a_leak() -> None:
    assert [s for s in SEEDS if judge(pool(random.Random(s), 70)) == LEAK] == []


def test_a_step_reads_as_no_slope() -> None:
    minima = [10.0, 10.0, 50.0, 50.0, 50.0, 50.0, 50.0, 50.0, 50.0, 50.0]
    trend = assess([float(i) for i in range(10)], minima, PARAMS)
    assert trend.slope == 0
    assert trend.verdict != LEAK


def test_too_few_windows_give_no_verdict() -> None:
    assert judge(leak(random.Random(1), 20)) == UNKNOWN


def test_a_leak_that_drained_is_steady() -> None:
    minima = [10.0, 20, 30, 40, 50, 60, 15]
    assert assess([float(i) for i in range(7)], minima, PARAMS).verdict != LEAK
    assert drained(minima, baseline=10.0)
    assert not drained([10.0, 20, 30, 40, 50, 60, 55], baseline=10.0)


# --- the tracker ----------------------------------------------------------------------------


def feed(tracker: TargetTracker, counts: list[dict[str, int]], start: float = 0.0, **kw: object):
    events = []
    for i, c in enumerate(counts):
        sample = Sample(start + i, sum(c.values()), c, **kw)  # type: ignore[arg-type]
        events += tracker.observe(sample)
    return events


def test_tracker_reports_the_leaking_stack_only_and_its_recovery() -> None:
    rng = random.Random(3)
    tracker = TargetTracker("svc", PARAMS)
    counts = []
    for i in range(40):
        counts.append({"leaky": 2 + i, "pool": 8, "requests": rng.randint(0, 30)})
    events = feed(tracker, counts, start_time=1.0)
    assert [(e.kind, e.stack_key) for e in events] == [(LEAK_FOUND, "leaky")]
    # Something released the leaked goroutines in the same process (its start time says so:
    # without it, a fall this steep would read as a restart).
    events = feed(tracker, [{"leaky": 0, "pool": 8, "requests": 3}] * 10, start=40, start_time=1.0)
    assert [(e.kind, e.stack_key) for e in events] == [(RECOVERED, "leaky")]


def test_a_stack_that_appears_late_is_compared_with_the_zeros_before_it() -> None:
    tracker = TargetTracker("svc", PARAMS)
    counts = [{"base": 10} for _ in range(20)] + [{"base": 10, "late": 3 * i} for i in range(1, 31)]
    events = feed(tracker, counts)
    assert [(e.kind, e.stack_key) for e in events] == [(LEAK_FOUND, "late")]
    assert tracker.stacks["late"].minima[0] == 0


def test_a_new_start_time_splits_the_series() -> None:
    tracker = TargetTracker("svc", PARAMS)
    before = feed(tracker, [{"leaky": i} for i in range(20)], start_time=100.0)
    assert before == []  # 4 windows: not enough for a verdict yet
    after = feed(tracker, [{"leaky": 1 + i} for i in range(20)], start=20, start_time=200.0)
    assert [e.kind for e in after] == [RESTART]
    assert after[0].reason == "process start time changed"
    # The 4 windows before the restart are gone: 4 after it are still not enough.
    assert len(tracker.stacks["leaky"].minima) == 4


def test_a_sample_without_its_start_time_does_not_hide_the_restart() -> None:
    # The first poll of the new process could not read /metrics (it timed out): the next one
    # that can is still compared with the old process's start time, and nothing reads the fall
    # in between as a collapse while the process has said who it is.
    tracker = TargetTracker("svc", PARAMS)
    feed(tracker, [{"pool": 60} for _ in range(20)], start_time=100.0)
    missing = feed(tracker, [{"pool": 2}], start=20, start_time=None)
    assert missing == []
    events = feed(tracker, [{"pool": 3}], start=21, start_time=200.0)
    assert [(e.kind, e.reason) for e in events] == [(RESTART, "process start time changed")]


def test_a_collapse_is_a_restart_when_the_target_does_not_say() -> None:
    tracker = TargetTracker("svc", PARAMS)
    feed(tracker, [{"leaky": 50 + i} for i in range(16)])
    events = feed(tracker, [{"leaky": 2}], start=16)
    assert [e.kind for e in events] == [RESTART]


def test_load_that_stops_is_no_restart_when_the_floor_was_low() -> None:
    tracker = TargetTracker("svc", PARAMS)
    rng = random.Random(5)
    events = feed(tracker, [{"g": int(v)} for v in bursty(rng, 60, period=10)])
    assert all(e.kind != RESTART for e in events)


def test_down_and_up_are_reported_once_each() -> None:
    tracker = TargetTracker("svc", PARAMS)
    feed(tracker, [{"g": 5}])
    assert [e.kind for e in tracker.went_down(1.0, "refused")] == [TARGET_DOWN]
    assert tracker.went_down(2.0, "refused") == []
    assert [e.kind for e in feed(tracker, [{"g": 5}], start=3)] == [TARGET_UP]


def test_steady_is_the_verdict_for_a_flat_floor() -> None:
    assert judge([30.0] * 40) == STEADY


def test_a_work_counter_that_goes_back_is_a_restart() -> None:
    tracker = TargetTracker("svc", PARAMS, normalise=True)
    feed(tracker, [{"g": 5}] * 3, work=100.0)
    events = feed(tracker, [{"g": 5}], start=3, work=4.0)
    assert [(e.kind, e.reason) for e in events] == [(RESTART, "the work counter went back")]


def test_normalised_by_work_a_missing_counter_counts_as_no_work() -> None:
    tracker = TargetTracker("svc", PARAMS, normalise=True)
    for i in range(30):
        work = None if i % 7 == 3 else 10.0 * i
        tracker.observe(Sample(1e9 + i, 10 + i, {"leaky": i}, work=work))
    assert max(tracker.xs) < 300  # never an epoch time on the work axis
    assert tracker.stacks["leaky"].trend is not None
    assert tracker.stacks["leaky"].trend.slope == pytest.approx(0.1, rel=0.2)
