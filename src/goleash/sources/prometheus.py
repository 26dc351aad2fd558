"""Fleet screening through the Prometheus HTTP API.

Fleets already have Prometheus scraping ``go_goroutines`` from every instance. Screening asks it
for each instance's series over a window (``/api/v1/query_range``), splits each series where the
process restarted (``process_start_time_seconds`` changed, or the count collapsed below half its
recent floor: a counter-style reset), and runs the same trough statistics as a watch
(``analysis.trend``) on the current process's segment. Instances whose floor rises are suspects;
only their pprof endpoints are then polled, so goleash scales with the fleet without scraping it.

A bad selector or PromQL, an unreachable server, or a server that is not Prometheus: InputError
with one line.
"""

from __future__ import annotations

import string
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from goleash import __version__
from goleash.analysis.trend import GROWING, LEAK, Trend, TrendParams, assess, window_minima
from goleash.errors import InputError, UsageError

_MAX_BYTES = 64 * 2**20
_POINTS = 240  # samples per series asked for: enough for the statistics, cheap for the server
_MINIMA = 12  # window minima per segment the verdict rests on


@dataclass(frozen=True)
class Screened:
    """One instance as screening judged it."""

    instance: str
    labels: Mapping[str, str]
    time: float  # when screened
    last: float  # goroutines at the end of the window
    restarts: int  # restarts seen in the window
    trend: Trend  # on the current process's segment (or the one before when too short)
    suspect: bool
    pprof_url: str
    per_work: bool = False  # the trend's x axis is the work counter, not time


def screen(
    url: str,
    *,
    selector: str = "",
    window: float = 3600.0,
    metric: str = "go_goroutines",
    pprof_url_template: str = "http://{instance}/debug/pprof",
    work_metric: str | None = None,
    timeout: float = 10.0,
) -> list[Screened]:
    """Screen every instance ``selector`` matches; suspects first.

    ``window`` is how far back to look, in seconds. With ``work_metric`` (a counter such as
    ``http_requests_total`` or ``go_sched_goroutines_created_goroutines_total``), an instance's
    floor is fitted against the work it did rather than time, where the counter exists for it.
    Raises InputError (Prometheus unreachable, bad PromQL) or UsageError (a template naming a
    label the series lack).
    """
    selector = selector.strip()
    if selector and not (selector.startswith("{") and selector.endswith("}")):
        raise UsageError(
            f"--selector {selector!r}: expected a label selector like '{{job=\"api\"}}'"
        )
    end = time.time()
    start = end - window
    step = max(1.0, window / _POINTS)
    api = PrometheusAPI(url, timeout=timeout)
    counts = api.query_range(f"{metric}{selector}", start, end, step)
    starts = api.query_range(f"process_start_time_seconds{selector}", start, end, step)
    if not counts:
        raise InputError(
            f"Prometheus at {api.url} has no {metric}{selector} samples in the last "
            f"{window:g} s: check the selector, and that it scrapes the services' /metrics"
        )
    start_by_labels = {_identity(s["metric"]): _values(s) for s in starts}
    work_by_labels: dict[tuple[tuple[str, str], ...], dict[float, float]] = {}
    if work_metric:
        # Summed over the counter's own labels (method, code, …) per instance.
        by = ", ".join(sorted({k for s in counts for k in s["metric"] if k != "__name__"}))
        query = f"sum by ({by}) ({work_metric}{selector})" if by else f"sum({work_metric})"
        for w in api.query_range(query, start, end, step):
            work_by_labels[_identity(w["metric"])] = dict(_values(w))
    out: list[Screened] = []
    for series in counts:
        labels = {k: v for k, v in series["metric"].items() if k != "__name__"}
        points = _values(series)
        if not points:
            continue
        identity = _identity(series["metric"])
        segments = split_at_restarts(points, start_by_labels.get(identity, []))
        work = work_by_labels.get(identity)
        trend = _judge(segments, work)
        instance = labels.get("instance") or ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        out.append(
            Screened(
                instance=instance,
                labels=labels,
                time=end,
                last=points[-1][1],
                restarts=len(segments) - 1,
                trend=trend,
                suspect=trend.verdict in (LEAK, GROWING),
                pprof_url=pprof_url(pprof_url_template, labels),
                per_work=work is not None,
            )
        )
    out.sort(key=lambda s: (not s.suspect, -s.trend.slope, s.instance))
    return out


def split_at_restarts(
    points: Sequence[tuple[float, float]], start_times: Sequence[tuple[float, float]]
) -> list[list[tuple[float, float]]]:
    """Cut a goroutine series where its process restarted.

    A restart is a change of ``process_start_time_seconds`` (looked up at each point's time) or,
    when the series has none, a collapse below half the floor of the points before it.
    """
    segments: list[list[tuple[float, float]]] = [[]]
    starts = list(start_times)
    si = 0
    current_start: float | None = None
    for t, v in points:
        restarted = False
        while si < len(starts) and starts[si][0] <= t:
            if current_start is not None and abs(starts[si][1] - current_start) > 1e-3:
                restarted = True
            current_start = starts[si][1]
            si += 1
        segment = segments[-1]
        if not starts and segment:
            floor = min(x for _, x in segment[-5:])
            restarted = v < 0.5 * floor and floor - v >= 5
        if restarted and segment:
            segments.append([])
        segments[-1].append((t, v))
    return [s for s in segments if s]


def _judge(
    segments: list[list[tuple[float, float]]], work: Mapping[float, float] | None = None
) -> Trend:
    """The trend of the latest segment, or of the one before when the latest is too short.

    ``work`` maps sample times to a work counter: when it covers a segment, the floor is fitted
    against the work done by the end of each window instead of the time.
    """
    trend: Trend | None = None
    for segment in reversed(segments[-2:]):
        size = max(1, len(segment) // _MINIMA)
        params = TrendParams(window=size, min_windows=6, max_windows=_MINIMA + 1)
        values = [v for _, v in segment]
        minima = window_minima(values, size)
        ends = [segment[i * size + size - 1][0] for i in range(len(minima))]
        xs = ends
        if work is not None and all(t in work for t in ends):
            xs = [work[t] for t in ends]
        t = assess(xs, minima, params)
        if trend is None or t.verdict in (LEAK, GROWING):
            trend = t
        if t.verdict != "unknown":
            break
    assert trend is not None
    return trend


def pprof_url(template: str, labels: Mapping[str, str]) -> str:
    """The pprof base URL of an instance: ``{instance}``, ``{host}``, ``{port}`` and labels."""
    fields = dict(labels)
    instance = labels.get("instance", "")
    host, sep, port = instance.rpartition(":")
    if not sep or "]" in port:
        host, port = instance, ""
    fields.setdefault("host", host)
    fields.setdefault("port", port)
    names = [n for _, n, _, _ in string.Formatter().parse(template) if n]
    missing = [n for n in names if n not in fields]
    if missing:
        raise UsageError(
            f"--pprof-url-template names {{{missing[0]}}}, which the series do not carry "
            f"(they have: {', '.join(sorted(fields))})"
        )
    return template.format_map(fields)


class PrometheusAPI:
    """The few calls of the Prometheus HTTP API screening needs."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"--prometheus {url}: expected an http(s) URL")
        self.url = url.rstrip("/")
        self.timeout = timeout

    def query_range(self, query: str, start: float, end: float, step: float) -> list[Any]:
        """A range query's matrix: ``[{"metric": {...}, "values": [[t, "v"], ...]}, ...]``."""
        data = self._get(
            "/api/v1/query_range",
            {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"},
            query,
        )
        if data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
            raise InputError(f"Prometheus answered {query!r} with no range of samples")
        return list(data["result"])

    def _get(self, path: str, params: dict[str, str], query: str) -> dict[str, Any]:
        where = self.url + path
        try:
            with httpx.Client(
                timeout=self.timeout, headers={"User-Agent": f"goleash/{__version__}"}
            ) as client:
                response = client.get(where, params=params)
                body = response.content[:_MAX_BYTES]
        except httpx.ConnectError:
            raise InputError(f"cannot reach Prometheus at {self.url}: connection refused") from None
        except httpx.TimeoutException:
            raise InputError(
                f"Prometheus at {self.url} did not answer within {self.timeout:g} s"
            ) from None
        except httpx.HTTPError as e:
            raise InputError(f"cannot reach Prometheus at {self.url}: {e}") from None
        import json

        try:
            doc = json.loads(body)
        except ValueError:
            raise InputError(
                f"{self.url} is not a Prometheus server ({path} answered HTTP "
                f"{response.status_code}, not JSON)"
            ) from None
        if not isinstance(doc, dict):
            raise InputError(f"{self.url} is not a Prometheus server")
        if doc.get("status") != "success":
            error = str(doc.get("error", "unknown error")).splitlines()[0]
            if doc.get("errorType") == "bad_data":
                raise InputError(f"Prometheus rejected the query {query!r}: {error}")
            raise InputError(f"Prometheus failed on {query!r}: {error}")
        data = doc.get("data")
        if not isinstance(data, dict):
            raise InputError(f"{self.url} is not a Prometheus server")
        return data


def _identity(metric: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in metric.items() if k != "__name__"))


def _values(series: Mapping[str, Any]) -> list[tuple[float, float]]:
    out = []
    for t, v in series.get("values", []):
        try:
            out.append((float(t), float(v)))
        except (TypeError, ValueError):
            continue
    return out
