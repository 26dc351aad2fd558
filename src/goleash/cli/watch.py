"""`goleash watch`: poll services over time and alert on goroutines that leak."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from goleash.cli.common import (
    output_option,
    report_format_option,
    source_option,
    user_errors,
    write_report,
)
from goleash.errors import InputError, UsageError

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"([0-9]*\.?[0-9]+)(ms|s|m|h|d)?")


def parse_duration(text: str, option: str) -> float:
    """``90``, ``90s``, ``1.5m``, ``2h``, ``500ms`` -> seconds. Raises UsageError otherwise."""
    m = _DURATION.fullmatch(text.strip())
    if m is None or float(m.group(1)) <= 0:
        raise UsageError(f"{option}: {text!r} is not a duration (examples: 30s, 5m, 2h)")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


@click.command("watch")
@click.argument("targets", nargs=-1)
@click.option("--interval", default="5s", show_default=True, help="Time between polls.")
@click.option("--duration", default=None, help="Stop after this long (default: until Ctrl-C).")
@report_format_option(
    help="html: a page with each target's timeline and events, from --store (at the end of "
    "the watch, or at once when no target is given)."
)
@output_option()
@source_option(help="Where the Go source lives: --format html explains each leak alert.")
@click.option(
    "--store",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep samples, events and evidence in this SQLite file; resume from it.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus metrics of what goleash sees on this port.",
)
@click.option(
    "--metrics-address", default="127.0.0.1", show_default=True, help="Address for --metrics-port."
)
@click.option(
    "--window",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Polls per window: each window keeps only its lowest count, so bursts do not count.",
)
@click.option(
    "--min-windows",
    type=click.IntRange(min=3),
    default=6,
    show_default=True,
    help="Windows a verdict needs at least.",
)
@click.option(
    "--min-growth",
    type=click.FloatRange(min=0),
    default=5,
    show_default=True,
    help="Goroutines a stack's floor must grow by before it is called a leak.",
)
@click.option("--timeout", default="5s", show_default=True, help="Time limit of one poll.")
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1024),
    default=64 * 2**20,
    show_default=True,
    help="Size cap of one poll's body.",
)
@click.option(
    "--cheap-format",
    type=click.Choice(["debug1", "proto"]),
    default="debug1",
    show_default=True,
    help="Profile format of routine polls (debug=2 is fetched only as evidence).",
)
@click.option("--no-evidence", is_flag=True, help="Do not fetch debug=2/goroutineleak evidence.")
@click.option(
    "--work-metric",
    default=None,
    metavar="NAME",
    help="Counter on the target's /metrics to normalise by (e.g. http_requests_total, "
    "go_sched_goroutines_created_goroutines_total).",
)
@click.option(
    "--metrics-path",
    default="/metrics",
    show_default=True,
    help="Where targets serve Prometheus text (start time, work counter); '' to never ask.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Requests in flight at most (a slow answer holds one for its whole time).",
)
@click.option(
    "--prometheus",
    "prometheus_url",
    default=None,
    metavar="URL",
    help="Screen a fleet through this Prometheus server first.",
)
@click.option(
    "--selector", default="", help="PromQL label selector of the fleet, e.g. '{job=\"api\"}'."
)
@click.option(
    "--screen-window", default="1h", show_default=True, help="How far back fleet screening looks."
)
@click.option(
    "--rescreen",
    default=None,
    metavar="DURATION",
    help="Screen the fleet again this often and poll new suspects too (default: once).",
)
@click.option(
    "--pprof-url-template",
    default="http://{instance}/debug/pprof",
    show_default=True,
    help="pprof URL of a screened instance: {instance}, {host}, {port} and any label.",
)
@user_errors
def watch(targets: tuple[str, ...], **kw: Any) -> None:
    """Poll services over time and alert on goroutines that leak.

    TARGETS are base URLs (http://HOST:PORT) or local pids (pid:1234). Each is polled every
    --interval with the cheap debug=1 profile; per stack, the floor of each window of polls is
    tested for a steady rise (Mann-Kendall, Theil-Sen), so a leak is told from load that comes
    and goes. When a stack leaks, goleash fetches debug=2 (and goroutineleak) once as evidence
    and names where the goroutines block and where they were started.

    With --prometheus, the fleet is screened first through the Prometheus HTTP API and only the
    instances whose goroutines grow are polled. Exit status: 1 when a leak was found, 0 when
    none, 2 bad usage or input.
    """
    sys.exit(_run(targets, **kw))


def _run(
    targets: tuple[str, ...],
    *,
    interval: str,
    duration: str | None,
    fmt: str,
    store: Path | None,
    metrics_port: int | None,
    metrics_address: str,
    window: int,
    min_windows: int,
    min_growth: float,
    timeout: str,
    max_bytes: int,
    cheap_format: str,
    no_evidence: bool,
    work_metric: str | None,
    metrics_path: str,
    concurrency: int,
    prometheus_url: str | None,
    selector: str,
    screen_window: str,
    rescreen: str | None,
    pprof_url_template: str,
    output: Path | None = None,
    source_dirs: tuple[Path, ...] = (),
) -> int:
    """Build the watch from the options, run it, and return the exit status."""
    import asyncio
    import signal

    from goleash.analysis.trend import TrendParams
    from goleash.sources.poller import target_from_spec
    from goleash.store import Store
    from goleash.watch import Watch, WatchOptions

    if fmt == "html":
        if store is None:
            raise UsageError("--format html draws the watch's history: give --store FILE")
        if not targets and not prometheus_url:
            return _html_report(store, output, source_dirs)
        if output is None:
            raise UsageError("--format html while watching: give -o FILE for the page")
    if not targets and not prometheus_url:
        raise UsageError("give at least one target (http://HOST:PORT or pid:1234), or --prometheus")
    options = WatchOptions(
        interval=parse_duration(interval, "--interval"),
        duration=parse_duration(duration, "--duration") if duration else None,
        params=TrendParams(window=window, min_windows=min_windows, min_growth=min_growth),
        timeout=parse_duration(timeout, "--timeout"),
        max_bytes=max_bytes,
        debug=0 if cheap_format == "proto" else 1,
        evidence=not no_evidence,
        work_metric=work_metric,
        metrics_path=metrics_path or None,
        concurrency=concurrency,
    )
    specs = list(targets)
    screened: list[Any] = []
    every = parse_duration(rescreen, "--rescreen") if rescreen else None
    if every is not None and not prometheus_url:
        raise UsageError("--rescreen screens a fleet again: it needs --prometheus URL")
    if prometheus_url:
        from functools import partial

        from goleash.sources.prometheus import screen

        screen_fleet = partial(
            screen,
            prometheus_url,
            selector=selector,
            window=parse_duration(screen_window, "--screen-window"),
            pprof_url_template=pprof_url_template,
            work_metric=work_metric,
        )
        screened = screen_fleet()
        specs += [s.pprof_url for s in screened if s.suspect and s.pprof_url not in specs]
    watch_targets = [target_from_spec(s, metrics_path=options.metrics_path) for s in specs]
    db = Store(store) if store is not None else None
    w = Watch(watch_targets, options, store=db)
    sink = _sink(fmt, w, per_work=work_metric is not None)
    w.sinks.append(sink)
    for s in screened:
        sink.screen(s)
    if metrics_port is not None:
        from goleash.report.prometheus import serve_metrics

        serve_metrics(w, metrics_port, metrics_address)

    async def rescreening(w: Watch) -> None:
        """Screen the fleet again every --rescreen; poll the new suspects too."""
        assert every is not None
        while True:
            left = w.remaining()
            if await w.sleep(every if left is None else min(every, left)) or w.remaining() == 0:
                return
            try:
                found = await asyncio.to_thread(screen_fleet)
            except (InputError, UsageError) as e:  # Prometheus may be back next time
                click.echo(f"goleash: screening again: {e}", err=True)
                continue
            for s in found:
                sink.screen(s)
                if s.suspect:
                    w.add(target_from_spec(s.pprof_url, metrics_path=options.metrics_path))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, w.stop)
        await w.run([rescreening] if every is not None else [])

    try:
        asyncio.run(main())
    finally:
        if db is not None:
            db.close()
    if fmt == "html" and store is not None:
        _html_report(store, output, source_dirs)
    return 1 if w.leaks_found else 0


def _html_report(store: Path, output: Path | None, source_dirs: tuple[Path, ...] = ()) -> int:
    """Write the HTML report of a watch's store; 1 when it holds a leak alert."""
    from goleash.report.html import render_watch_html
    from goleash.store import Store

    write_report(render_watch_html(store, source_roots=source_dirs), output)
    db = Store(store)
    try:
        return 1 if any(e.get("event") == "leak" for e in db.events()) else 0
    finally:
        db.close()


def _sink(fmt: str, w: Any, per_work: bool) -> Any:
    if fmt == "json":
        from goleash.report.watch_json import JsonSink

        return JsonSink(per_work=per_work)
    from goleash.report.watch_text import LineSink, LiveSink

    if sys.stdout.isatty():
        return LiveSink(w)
    return LineSink()


command = watch
