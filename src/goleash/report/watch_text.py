"""`goleash watch` on a terminal: a live table of targets and their top growing stacks.

Off a terminal (a pipe, a log file) the same events are printed one line each, with no colour
and no redrawing. Dump text is untrusted: function and file names are shown literally, never
interpreted as rich markup or terminal escapes.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from goleash.analysis.trend import Trend
from goleash.report.watch_json import message, site, trend_dict

if TYPE_CHECKING:
    from goleash.sources.prometheus import Screened
    from goleash.watch import StackReport, TargetState, Watch

TOP_STACKS = 3  # growing stacks shown per target
_FLAT = Trend("unknown", 0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
_STYLE = {
    "leak": "bold red",
    "recovered": "green",
    "restart": "yellow",
    "target_down": "red",
    "target_up": "green",
}


def _clean(text: str) -> str:
    """Control characters shown as escapes, so a hostile name cannot drive the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%H:%M:%S")


def event_text(report: StackReport) -> str:
    """One plain line for an event."""
    e = report.event
    return _clean(f"{_clock(e.time)} {e.kind:<11} {e.target}: {message(report)}")


class LineSink:
    """Events as plain lines (for pipes and logs), and a final summary line."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def event(self, report: StackReport, state: TargetState) -> None:
        self.out.write(event_text(report) + "\n")
        self.out.flush()

    def sample(self, state: TargetState, window_closed: bool) -> None:
        pass

    def screen(self, s: Screened) -> None:
        self.out.write(_clean(screen_text(s)) + "\n")

    def finish(self, watch: Watch) -> None:
        self.out.write(summary_text(watch) + "\n")


def screen_text(s: Screened) -> str:
    t = trend_dict(s.trend, s.per_work) or {}
    verdict = "suspect" if s.suspect else "steady"
    unit = "per unit of work" if s.per_work else "/min"
    return (
        f"screen      {s.instance}: {verdict}, {s.last:g} goroutines, floor "
        f"{t.get('slope', 0):+g}{unit}, {s.restarts} restarts"
    )


def summary_text(watch: Watch) -> str:
    polls = sum(s.polls for s in watch.states.values())
    failed = sum(s.failures for s in watch.states.values())
    n = watch.leaks_found
    verdict = f"{n} leaking stack{'s' if n != 1 else ''}" if n else "no leak"
    return (
        f"watched {len(watch.states)} target{'s' if len(watch.states) != 1 else ''}, "
        f"{polls} polls ({failed} failed): {verdict}"
    )


class LiveSink:
    """A table redrawn in place: one row per target, its top growing stacks, recent events."""

    def __init__(self, watch: Watch, console: Console | None = None, rows: int = 20) -> None:
        self.watch = watch
        self.console = console or Console(stderr=False)
        self.rows = rows
        self.recent: deque[StackReport] = deque(maxlen=8)
        self.live = Live(console=self.console, auto_refresh=False, transient=False)
        self._last_draw = 0.0
        self.live.start()

    def event(self, report: StackReport, state: TargetState) -> None:
        self.recent.append(report)
        self._draw(force=True)

    def sample(self, state: TargetState, window_closed: bool) -> None:
        self._draw()

    def screen(self, s: Screened) -> None:
        self.console.print(Text(screen_text(s)))

    def finish(self, watch: Watch) -> None:
        self._draw(force=True)
        self.live.stop()
        self.console.print(Text(summary_text(watch)))

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < 0.5:
            return
        self._last_draw = now
        self.live.update(self._render(), refresh=True)

    def _render(self) -> Group:
        table = Table(expand=False, header_style="bold")
        slope = "floor/work" if self.watch.options.work_metric else "floor/min"
        for col in ("target", "goroutines", "growing stacks", "count", slope, "state"):
            table.add_column(col, justify="right" if col in ("goroutines", "count") else "left")
        states = sorted(
            self.watch.states.values(),
            key=lambda s: (-len(s.tracker.leaking), s.tracker.down, s.name),
        )
        for state in states[: self.rows]:
            self._row(table, state)
        if len(states) > self.rows:
            table.add_row(Text(f"… {len(states) - self.rows} more"), "", "", "", "", "")
        lines = [Text(event_text(r), style=_STYLE.get(r.event.kind, "")) for r in self.recent]
        return Group(table, *lines)

    @staticmethod
    def _row(table: Table, state: TargetState) -> None:
        tr = state.tracker
        name = Text(_clean(state.name))
        if tr.down:
            table.add_row(
                name, "", Text(_clean(state.last_error)[:80], style="red"), "", "", "down"
            )
            return
        growing = [
            (key, series)
            for key, series in tr.stacks.items()
            if series.state == "leak" or (series.trend is not None and series.trend.slope > 0)
        ]
        growing.sort(key=lambda kv: (kv[1].state != "leak", -(kv[1].trend or _FLAT).slope))
        total = "" if state.last_total is None else str(state.last_total)
        if not growing:
            table.add_row(name, total, "", "", "", "steady")
            return
        for i, (key, series) in enumerate(growing[:TOP_STACKS]):
            frames = state.frames.get(key, ())
            blocking = next(
                (f for f in frames if not f.is_plumbing), frames[-1] if frames else None
            )
            trend = series.trend or _FLAT
            slope = trend.slope * (1 if tr.normalise else 60)
            label = "leak" if series.state == "leak" else trend.verdict
            table.add_row(
                name if i == 0 else "",
                total if i == 0 else "",
                Text(_clean(site(blocking))),
                str(series.last),
                f"{slope:+.1f}",
                Text(label, style=_STYLE.get(label, "")),
            )
