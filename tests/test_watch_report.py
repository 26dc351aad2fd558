"""How a watch reports: plain lines off a terminal, a live table on one, JSON lines, metrics.

The watch state here is fed by hand (no Go program): these tests are about rendering. What a
watch concludes from real services is tested in test_watch.py.
"""

from __future__ import annotations

import io
import json

from rich.console import Console

from goleash.analysis.tracker import LEAK_FOUND, Event, Sample
from goleash.analysis.trend import LEAK, Trend
from goleash.model import Frame
from goleash.report.prometheus import WatchCollector
from goleash.report.watch_json import JsonSink, event_dict
from goleash.report.watch_text import LineSink, LiveSink
from goleash.sources.poller import target_from_spec
from goleash.watch import StackReport, Watch, WatchOptions

BLOCKED = Frame("main.fetchQuote.func1", "/src/svc/main.go", 55)
CREATED = Frame("main.fetchQuote", "/src/svc/main.go", 54)
FRAMES = (Frame("runtime.gopark", "/go/src/runtime/proc.go", 460), BLOCKED)
TREND = Trend(LEAK, 8, 0.5, 0.4, 0.0001, 40.0, 10.0, 50.0)


def leaking_watch() -> tuple[Watch, StackReport]:
    watch = Watch([target_from_spec("http://10.0.0.7:6060")], WatchOptions())
    state = watch.states["http://10.0.0.7:6060"]
    for i in range(10):
        state.tracker.observe(Sample(float(i), 20 + i, {"k1": 10 + 5 * i, "k2": 8}))
    state.frames = {"k1": FRAMES, "k2": (Frame("main.worker", "/src/svc/pool.go", 12),)}
    state.polls = 10
    state.last_total = 29
    event = Event(LEAK_FOUND, state.name, 1_800_000_000.0, "k1", 55, TREND)
    report = StackReport(event, FRAMES, BLOCKED, CREATED, "chan send", (1, 3), 55, ("goroutine",))
    state.leaks["k1"] = report
    return watch, report


def test_a_leak_line_names_where_goroutines_block_and_where_they_started() -> None:
    watch, report = leaking_watch()
    out = io.StringIO()
    sink = LineSink(out)
    sink.event(report, watch.states["http://10.0.0.7:6060"])
    sink.finish(watch)
    first, last = out.getvalue().splitlines()
    assert "leak" in first and "http://10.0.0.7:6060" in first
    assert "blocked at main.fetchQuote.func1 (main.go:55)" in first
    assert "created at main.fetchQuote (main.go:54)" in first
    assert "the runtime marks 55 as leaked" in first
    assert last == "watched 1 target, 10 polls (0 failed): 1 leaking stack"


def test_hostile_names_cannot_drive_the_terminal() -> None:
    watch, report = leaking_watch()
    evil = Frame("main.\x1b[2Jevil[bold]", "/x.go", 1)
    out = io.StringIO()
    LineSink(out).event(
        StackReport(report.event, (evil,), evil), watch.states["http://10.0.0.7:6060"]
    )
    assert "\x1b" not in out.getvalue()
    assert "\\x1b[2Jevil[bold]" in out.getvalue()


def test_the_live_table_shows_each_target_and_its_top_growing_stack() -> None:
    watch, report = leaking_watch()
    console = Console(file=io.StringIO(), force_terminal=True, width=160, color_system=None)
    sink = LiveSink(watch, console=console)
    sink.event(report, watch.states["http://10.0.0.7:6060"])
    sink.finish(watch)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "http://10.0.0.7:6060" in text
    assert "main.fetchQuote.func1 (main.go:55)" in text
    assert "leak" in text
    assert "watched 1 target" in text


def test_json_lines_carry_the_schema_sites_and_trend() -> None:
    watch, report = leaking_watch()
    out = io.StringIO()
    sink = JsonSink(out)
    state = watch.states["http://10.0.0.7:6060"]
    sink.event(report, state)
    sink.sample(state, window_closed=True)
    sink.finish(watch)
    leak, sample, summary = (json.loads(line) for line in out.getvalue().splitlines())
    assert {d["schema"] for d in (leak, sample, summary)} == {"goleash.watch/1"}
    assert leak["event"] == "leak"
    assert leak["blocking_site"] == {"function": BLOCKED.function, "file": BLOCKED.file, "line": 55}
    assert leak["creation_site"]["function"] == "main.fetchQuote"
    assert leak["trend"]["slope"] == 30.0  # 0.5 a second is 30 a minute
    assert leak["time"] == "2027-01-15T08:00:00.000+00:00"
    assert sample["event"] == "sample" and sample["top"][0]["stack_key"] == "k1"
    assert summary["verdict"] == "leak" and summary["leaks"] == 1
    assert event_dict(report)["message"].startswith("55 goroutines leaking")


def test_metrics_name_each_stack_and_its_leak_state() -> None:
    watch, _ = leaking_watch()
    watch.states["http://10.0.0.7:6060"].tracker.stacks["k1"].state = LEAK
    families = {f.name: f for f in WatchCollector(watch).collect()}
    (up,) = families["goleash_target_up"].samples
    assert up.value == 1.0
    leaking = {s.labels["stack_key"]: s for s in families["goleash_stack_leaking"].samples}
    assert leaking["k1"].value == 1.0 and leaking["k2"].value == 0.0
    assert leaking["k1"].labels["function"] == "main.fetchQuote.func1"
    assert leaking["k1"].labels["file"] == "main.go" and leaking["k1"].labels["line"] == "55"
