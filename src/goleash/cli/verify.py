"""`goleash verify`: the CI and staging gate. Load in cycles, settle, fail on what stays."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from goleash.cli.common import (
    config_option,
    explain_from_source,
    no_explain_option,
    output_option,
    report_console,
    report_format_option,
    show_all_option,
    source_option,
    timeout_option,
    user_errors,
    write_report,
)

_SECONDS = click.FloatRange(min=0, min_open=True)


@click.command("verify")
@click.option("--url", required=True, help="The service's base URL (it serves /debug/pprof/).")
@click.option(
    "--load",
    "load_cmd",
    required=True,
    metavar="CMD",
    help="Load command run once per cycle (split into words, run without a shell).",
)
@click.option(
    "--start",
    "start_cmd",
    default=None,
    metavar="CMD",
    help="Start the service with CMD, wait for its pprof endpoint, stop it at the end.",
)
@click.option(
    "--cycles", type=click.IntRange(min=1), default=3, show_default=True, help="Load cycles."
)
@click.option(
    "--settle-quiet",
    type=_SECONDS,
    default=1.0,
    show_default=True,
    help="Seconds the counts must hold still to call them settled.",
)
@click.option(
    "--settle-timeout",
    type=_SECONDS,
    default=30.0,
    show_default=True,
    help="Seconds to wait for the counts to settle after each cycle.",
)
@click.option(
    "--startup-timeout",
    type=_SECONDS,
    default=30.0,
    show_default=True,
    help="Seconds to wait for a --start service's pprof endpoint.",
)
@click.option(
    "--load-timeout",
    type=_SECONDS,
    default=600.0,
    show_default=True,
    help="Seconds one run of the load command may take.",
)
@timeout_option(help="Seconds to wait for one pprof fetch.")
@report_format_option()
@output_option()
@show_all_option(help="Judge and show the ignored and unmoved stacks too.")
@config_option()
@source_option()
@no_explain_option()
@user_errors
def verify(
    url: str,
    load_cmd: str,
    start_cmd: str | None,
    cycles: int,
    settle_quiet: float,
    settle_timeout: float,
    startup_timeout: float,
    load_timeout: float,
    timeout: float,
    fmt: str,
    show_all: bool,
    config: Path | None,
    source_dirs: tuple[Path, ...] = (),
    no_explain: bool = False,
    output: Path | None = None,
) -> None:
    """Run the load in cycles against a service and fail if goroutines stay behind.

    A warm-up cycle fills pools and caches, then each of --cycles runs the load and polls the
    goroutine counts per stack until they hold still. A stack that grows with the cycles and
    does not drain is a leak; one that filled during the warm-up and holds is a pool or cache.
    Exit status: 0 clean, 1 leak (each named by where it blocks and where it was started, and
    by its pattern and fix when the source is at hand), 2 bad input (service not reachable,
    load command failed).
    """
    from rich.console import Console

    from goleash.analysis.ignore import load_ignore_packs
    from goleash.verify import VerifyOptions
    from goleash.verify import verify as run_verify

    options = VerifyOptions(
        url=url,
        load=load_cmd,
        start=start_cmd,
        cycles=cycles,
        settle_quiet=settle_quiet,
        settle_timeout=settle_timeout,
        startup_timeout=startup_timeout,
        load_timeout=load_timeout,
        fetch_timeout=timeout,
        include_ignored=show_all,
    )
    ignore = load_ignore_packs(config)
    err = Console(stderr=True)
    if err.is_terminal:
        with err.status("verify: starting") as status:

            def progress(text: str) -> None:
                status.update(f"verify: {text}")

            result = run_verify(options, ignore, progress=progress)
    else:
        result = run_verify(options, ignore)

    shown = tuple(s for s in result.series if show_all or s.verdict != "steady")
    hidden = len(result.series) - len(shown)
    leaks = [result.evidence[s.stack_key] for s in result.leaks if s.stack_key in result.evidence]
    explanations = {}
    if not no_explain:
        groups = result.final.groups if result.final is not None else None
        explanations = explain_from_source(leaks, source_dirs, groups=groups)
    if fmt == "html":
        from goleash.report.html import render_verify_html

        page = render_verify_html(
            result, shown, hidden=hidden, source_roots=source_dirs, explain=not no_explain
        )
        write_report(page, output)
    elif fmt == "json":
        from goleash.report import verify_json

        write_report(verify_json.render(result, shown, explanations), output)
    else:
        from goleash.report import verify_text

        with report_console(output) as console:
            verify_text.render(console, result, shown, hidden=hidden, explanations=explanations)
    sys.exit(1 if result.leaks else 0)


command = verify
