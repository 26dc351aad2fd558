"""`goleash diff BEFORE AFTER`: which stacks grew between two dumps, and are they leaking."""

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
    top_option,
    user_errors,
    write_report,
)


@click.command("diff")
@click.argument("before")
@click.argument("after")
@report_format_option()
@output_option()
@show_all_option(help="Also show unchanged and ignored stacks.")
@top_option(help="Show at most N stacks.")
@click.option(
    "--min-delta",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Growth below N goroutines on a stack is not called a leak.",
)
@config_option()
@timeout_option()
@source_option()
@no_explain_option()
@click.option("-v", "--verbose", is_flag=True, help="Show every frame, runtime ones included.")
@user_errors
def diff(
    before: str,
    after: str,
    fmt: str,
    show_all: bool,
    top: int | None,
    min_delta: int,
    config: Path | None,
    timeout: float,
    verbose: bool,
    source_dirs: tuple[Path, ...] = (),
    no_explain: bool = False,
    output: Path | None = None,
) -> None:
    """Compare two goroutine dumps stack by stack: before, after, delta, new and vanished.

    BEFORE and AFTER are files, `-` (one of them), URLs or pids, as for `goleash dump`, in any
    format: debug=2, debug=1 and protobuf dumps compare with each other, across restarts and
    rebuilds (stacks are matched by their stack key: functions and lines, file names without
    directories). A stack leaks when it grew and its goroutines are still blocked. When the
    source is at hand (--source, or the paths in the dump), each leak's pattern and fix are
    named. Exit status: 0 no leak, 1 leak, 2 bad input.
    """
    from goleash.analysis.growth import compare, leaked_only
    from goleash.analysis.ignore import load_ignore_packs
    from goleash.analysis.view import pick_snapshot
    from goleash.errors import UsageError
    from goleash.sources import load

    if before == "-" and after == "-":
        raise UsageError("BEFORE and AFTER cannot both be standard input")
    ignore = load_ignore_packs(config)
    snap_before, notes_before = pick_snapshot(load(before, timeout=timeout))
    snap_after, notes_after = pick_snapshot(load(after, timeout=timeout))
    warnings = tuple(f"before: {w}" for w in notes_before) + tuple(
        f"after: {w}" for w in notes_after
    )
    for label, snap in (("before", snap_before), ("after", snap_after)):
        if leaked_only(snap):
            warnings += (
                f"{label}: a goroutineleak profile in {snap.format} lists only the goroutines "
                "the runtime marked leaked; other stacks look absent from it",
            )
    comparison = compare(snap_before, snap_after, ignore, min_delta=min_delta)
    shown = tuple(
        c
        for c in comparison.changes
        if show_all or c.leak or (c.delta != 0 and c.assessment.ignored is None)
    )
    hidden = len(comparison.changes) - len(shown)
    if top is not None and len(shown) > top:
        hidden += len(shown) - top
        shown = shown[:top]
    explanations = {}
    if not no_explain:
        leaks = [c.assessment for c in comparison.leaks]
        explanations = explain_from_source(leaks, source_dirs, groups=snap_after.groups)
    if fmt == "html":
        from goleash.report.html import render_diff_html

        page = render_diff_html(
            comparison,
            shown,
            hidden=hidden,
            warnings=warnings,
            source_roots=source_dirs,
            explain=not no_explain,
        )
        write_report(page, output)
    elif fmt == "json":
        from goleash.report import diff_json

        write_report(diff_json.render(comparison, shown, warnings, explanations), output)
    else:
        from goleash.report import diff_text

        with report_console(output) as console:
            diff_text.render(
                console,
                comparison,
                shown,
                hidden=hidden,
                warnings=warnings,
                verbose=verbose,
                explanations=explanations,
            )
    sys.exit(1 if comparison.leaks else 0)


command = diff
