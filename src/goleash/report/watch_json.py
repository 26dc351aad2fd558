"""`goleash watch --format json`: one ``goleash.watch/1`` JSON object per line per event.

Events: ``sample`` (a target's summary, once per window of polls), ``leak``, ``recovered``,
``restart``, ``target_down``, ``target_up``, ``screen`` (fleet screening through Prometheus,
one per instance) and a final ``summary``. See docs/json-watch.md.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TextIO

from goleash.analysis.trend import Trend
from goleash.model import Frame

if TYPE_CHECKING:
    from goleash.sources.prometheus import Screened
    from goleash.watch import StackReport, TargetState, Watch

SCHEMA = "goleash.watch/1"
TOP = 3  # stacks listed in a sample summary


def iso(t: float) -> str:
    """Epoch seconds as an ISO 8601 UTC time with milliseconds."""
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds")


def frame_dict(frame: Frame | None) -> dict[str, Any] | None:
    if frame is None:
        return None
    return {"function": frame.function, "file": frame.file, "line": frame.line}


def trend_dict(trend: Trend | None, per_work: bool) -> dict[str, Any] | None:
    """A trend with its slope per minute (or per unit of work when normalised)."""
    if trend is None:
        return None
    scale = 1.0 if per_work else 60.0
    return {
        "verdict": trend.verdict,
        "windows": trend.windows,
        "slope": round(trend.slope * scale, 6),
        "slope_low": round(trend.slope_low * scale, 6),
        "slope_unit": "goroutines per unit of work" if per_work else "goroutines per minute",
        "p_value": round(trend.p_value, 6),
        "floor_first": trend.first,
        "floor_last": trend.last,
    }


def event_dict(report: StackReport, per_work: bool = False) -> dict[str, Any]:
    """The JSON object of one event."""
    e = report.event
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "event": e.kind,
        "time": iso(e.time),
        "target": e.target,
    }
    if e.stack_key is not None:
        out.update(
            stack_key=e.stack_key,
            count=e.count,
            state=report.state,
            blocking_site=frame_dict(report.blocking_site),
            creation_site=frame_dict(report.creation_site),
            wait_minutes=list(report.wait_minutes) if report.wait_minutes else None,
            runtime_leaked=report.runtime_leaked,
            evidence=list(report.evidence),
            trend=trend_dict(e.trend, per_work),
            frames=[frame_dict(f) for f in report.frames],
        )
    else:
        if e.count is not None:
            out["count"] = e.count
        if e.reason:
            out["reason"] = e.reason
        if e.kind == "restart":
            out["leaking"] = list(e.leaking)
    out["message"] = message(report)
    return out


def event_line(report: StackReport, per_work: bool = False) -> str:
    return json.dumps(event_dict(report, per_work), ensure_ascii=False)


def site(frame: Frame | None) -> str:
    """``function (file.go:12)``, the way alerts name a place."""
    if frame is None:
        return "an unknown site"
    return f"{frame.function} ({frame.file_name}:{frame.line})"


def message(report: StackReport) -> str:
    """One sentence a person reads in an alert."""
    e = report.event
    if e.kind == "leak":
        created = f", created at {site(report.creation_site)}" if report.creation_site else ""
        proof = (
            f"; the runtime marks {report.runtime_leaked} as leaked"
            if report.runtime_leaked
            else ""
        )
        return (
            f"{e.count} goroutines leaking, blocked at {site(report.blocking_site)}{created}{proof}"
        )
    if e.kind == "recovered":
        return f"goroutines at {site(report.blocking_site)} drained to {e.count}"
    if e.kind == "restart":
        lost = f"; it was leaking on {len(e.leaking)} stacks" if e.leaking else ""
        return f"the process restarted ({e.reason}){lost}"
    if e.kind == "target_down":
        return f"cannot poll: {e.reason}"
    if e.kind == "target_up":
        return "polled again"
    return e.kind


def sample_dict(state: TargetState) -> dict[str, Any]:
    """A target's summary: total, stacks and the top growing stacks."""
    tr = state.tracker
    ranked = sorted(
        tr.stacks.items(),
        key=lambda kv: (kv[1].state != "leak", -(kv[1].trend.slope if kv[1].trend else 0.0)),
    )
    top = []
    for key, series in ranked[:TOP]:
        frames = state.frames.get(key, ())
        blocking = next((f for f in frames if not f.is_plumbing), frames[-1] if frames else None)
        top.append(
            {
                "stack_key": key,
                "blocking_site": frame_dict(blocking),
                "count": series.last,
                "state": series.state,
                "trend": trend_dict(series.trend, tr.normalise),
            }
        )
    sample = tr.last_sample
    return {
        "schema": SCHEMA,
        "event": "sample",
        "time": iso(sample.time if sample else 0.0),
        "target": state.name,
        "total": state.last_total,
        "samples": state.polls - state.failures,
        "stacks": len(tr.stacks),
        "leaking": tr.leaking,
        "top": top,
    }


def screen_dict(s: Screened) -> dict[str, Any]:
    """One instance as fleet screening judged it."""
    return {
        "schema": SCHEMA,
        "event": "screen",
        "time": iso(s.time),
        "instance": s.instance,
        "labels": dict(s.labels),
        "suspect": s.suspect,
        "goroutines": s.last,
        "restarts": s.restarts,
        "trend": trend_dict(s.trend, s.per_work),
        "pprof_url": s.pprof_url,
    }


def summary_dict(watch: Watch) -> dict[str, Any]:
    """The final line: per target, what was polled and what leaked."""
    targets = []
    for state in watch.states.values():
        leaks = [event_dict(r) for r in state.leaks.values()]
        for key in state.tracker.leaking:
            if key not in state.leaks:
                leaks.append({"stack_key": key, "resumed": True})
        targets.append(
            {
                "target": state.name,
                "polls": state.polls,
                "failed_polls": state.failures,
                "restarts": state.restarts,
                "resumed_samples": state.resumed_samples,
                "total": state.last_total,
                "down": state.tracker.down,
                "last_error": state.last_error or None,
                "leaking": state.tracker.leaking,
                "leaks": leaks,
            }
        )
    finished = watch.finished or watch.started
    return {
        "schema": SCHEMA,
        "event": "summary",
        "time": iso(finished),
        "started": iso(watch.started),
        "duration_seconds": round(finished - watch.started, 3),
        "leaks": watch.leaks_found,
        "verdict": "leak" if watch.leaks_found else "clean",
        "targets": targets,
    }


class JsonSink:
    """Writes events as JSON lines, flushed at once (a pipe reader sees each as it happens)."""

    def __init__(self, out: TextIO | None = None, per_work: bool = False) -> None:
        self.out = out or sys.stdout
        self.per_work = per_work

    def _write(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.out.flush()

    def event(self, report: StackReport, state: TargetState) -> None:
        self._write(event_dict(report, self.per_work))

    def sample(self, state: TargetState, window_closed: bool) -> None:
        if window_closed:
            self._write(sample_dict(state))

    def screen(self, s: Screened) -> None:
        self._write(screen_dict(s))

    def finish(self, watch: Watch) -> None:
        self._write(summary_dict(watch))
