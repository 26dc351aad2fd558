"""Robust trend statistics: is a goroutine count leaking, or only following the load?

A leak grows with the work done and does not drain when the work stops; load comes and goes.
The verdict therefore rests on the *troughs* of a series, not its raw samples: the series is cut
into windows of a few samples and only each window's minimum is kept, so bursts of in-flight
work vanish and what remains is the floor the service returns to. On those minima:

- the Mann–Kendall test (Kendall's S against time, variance corrected for ties) asks whether the
  floor rises monotonically, with a one-sided p-value;
- the Theil–Sen estimator (median of pairwise slopes) measures how fast, with Sen's confidence
  interval. It ignores up to ~29 % outliers and, unlike a least-squares fit, reads a single step
  (a pool that fills once) as a slope of zero once most pairs lie on the plateau;
- the floor must still be rising in the recent half (a pool that fills over the first windows
  and then plateaus is not a leak) and must not have drained back towards where it started.

Both tests are a few lines each and exact for the small samples used here (a few dozen
minima), so no statistics library is needed. The x axis is time, or the work done (a request
counter, or Go 1.26+'s ``/sched/goroutines-created:goroutines``) when one is given: then the
slope reads "goroutines left behind per unit of work", and quiet periods with no work do not
dilute it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

LEAK = "leak"
GROWING = "growing"  # rising by min_growth, not (yet) conclusive: a suspect for screening
STEADY = "steady"
UNKNOWN = "unknown"  # too few windows to say

_Z95 = 1.959963984540054  # two-sided 95 % normal quantile, for Sen's interval


@dataclass(frozen=True, slots=True)
class TrendParams:
    """How much evidence a verdict needs. The defaults suit polls every few seconds."""

    window: int = 5  # samples per window; one minimum is kept per window
    min_windows: int = 6  # fewest minima a verdict rests on
    max_windows: int = 40  # minima kept per series (older ones slide out)
    alpha: float = 0.01  # Mann–Kendall significance for "leak"
    suspect_alpha: float = 0.05  # and for "growing"
    min_growth: float = 5.0  # the floor must have risen by at least this many goroutines


@dataclass(frozen=True, slots=True)
class Trend:
    """What the minima of one series say."""

    verdict: str  # LEAK, GROWING, STEADY or UNKNOWN
    windows: int  # minima the verdict rests on
    slope: float  # Theil–Sen slope: goroutines per unit of x (second, or unit of work)
    slope_low: float  # lower bound of its 95 % confidence interval
    p_value: float  # one-sided Mann–Kendall p-value for an upward trend
    growth: float  # last minimum minus the first
    first: float  # the first minimum: where the floor started
    last: float  # the latest minimum


def window_minima(values: Sequence[float], size: int) -> list[float]:
    """The minimum of each complete window of ``size`` consecutive values."""
    if size < 1:
        raise ValueError("window size must be at least 1")
    return [min(values[i : i + size]) for i in range(0, len(values) - size + 1, size)]


def mann_kendall(values: Sequence[float]) -> tuple[float, float]:
    """Kendall's S of ``values`` against their order, and the one-sided p-value of S > 0.

    Normal approximation with continuity correction and the tie-corrected variance: goroutine
    counts are integers and often flat, so ties are the rule rather than the exception.
    """
    n = len(values)
    s = 0
    for i in range(n - 1):
        vi = values[i]
        for j in range(i + 1, n):
            d = values[j] - vi
            s += (d > 0) - (d < 0)
    ties: dict[float, int] = {}
    for v in values:
        ties[v] = ties.get(v, 0) + 1
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties.values())) / 18
    if var <= 0:
        return float(s), 1.0
    z = (s - math.copysign(1, s)) / math.sqrt(var) if s else 0.0
    return float(s), 0.5 * math.erfc(z / math.sqrt(2))


def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """The Theil–Sen slope of ys on xs and Sen's 95 % confidence interval (low, high).

    Pairs with equal x carry no slope and are skipped. Returns zeros when no pair has one.
    """
    slopes = sorted(
        (ys[j] - ys[i]) / (xs[j] - xs[i])
        for i in range(len(xs) - 1)
        for j in range(i + 1, len(xs))
        if xs[j] != xs[i]
    )
    m = len(slopes)
    if m == 0:
        return 0.0, 0.0, 0.0
    mid = m // 2
    slope = slopes[mid] if m % 2 else (slopes[mid - 1] + slopes[mid]) / 2
    n = len(xs)
    c = _Z95 * math.sqrt(n * (n - 1) * (2 * n + 5) / 18)
    low = slopes[min(m - 1, max(0, round((m - c) / 2) - 1))]
    high = slopes[min(m - 1, max(0, round((m + c) / 2)))]
    return slope, low, high


def assess(xs: Sequence[float], minima: Sequence[float], params: TrendParams) -> Trend:
    """The verdict on a series of window minima at positions ``xs`` (time or work done).

    LEAK when the floor rises monotonically (Mann–Kendall p < alpha), the Theil–Sen interval
    lies above zero, and over the recent half alone it still rose by at least ``min_growth``
    without draining. GROWING when it rose by ``min_growth`` with weaker evidence. STEADY
    otherwise, UNKNOWN with fewer than ``min_windows`` minima.
    """
    xs, minima = list(xs), list(minima)  # deques do not slice
    n = len(minima)
    if n < 2:
        first = minima[0] if minima else 0.0
        return Trend(UNKNOWN, n, 0.0, 0.0, 1.0, 0.0, first, first)
    first, last = minima[0], minima[-1]
    growth = last - first
    if n < params.min_windows:
        return Trend(UNKNOWN, n, 0.0, 0.0, 1.0, growth, first, last)
    if growth <= 0:  # the cheap and common case: the floor did not rise at all
        return Trend(STEADY, n, 0.0, 0.0, 1.0, growth, first, last)
    _, p = mann_kendall(minima)
    slope, low, _ = theil_sen(xs, minima)
    verdict = STEADY
    if slope > 0 and p < params.suspect_alpha and growth >= params.min_growth:
        verdict = GROWING
        half = n // 2
        # The recent half must rise too, by at least min_growth: a pool that filled early and
        # then held still has a positive slope overall, but none lately beyond its noise.
        recent_slope, _, _ = theil_sen(xs[half:], minima[half:])
        span = xs[-1] - xs[half]
        still_rising = recent_slope * span >= max(0.25 * slope * span, params.min_growth)
        fell_back = last - first < 0.5 * (max(minima) - first)
        if (
            p < params.alpha
            and low > 0
            and growth >= params.min_growth
            and still_rising
            and not fell_back
        ):
            verdict = LEAK
    return Trend(verdict, n, slope, low, p, growth, first, last)


def drained(minima: Sequence[float], baseline: float) -> bool:
    """True when the latest floor fell back at least half-way from its peak to ``baseline``.

    What ends a leak alert: the goroutines went away (a fix deployed, a timeout finally fired).
    """
    if not minima:
        return False
    peak = max(minima)
    if peak <= baseline:
        return True
    return minima[-1] - baseline <= 0.5 * (peak - baseline)
