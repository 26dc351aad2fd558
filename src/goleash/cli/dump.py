"""`goleash dump`: read one goroutine dump and list the suspect groups."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click

from goleash.cli.common import (
    config_option,
    explain_from_source,
    no_explain_option,
    open_output,
    output_option,
    report_format_option,
    show_all_option,
    source_option,
    timeout_option,
    top_option,
    user_errors,
    write_report,
)


@click.command("dump", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("source")
@report_format_option(
    help="html: one self-contained page (summary, groups, flame graph) for a browser."
)
@top_option(help="Show at most N groups.")
@click.option(
    "--match",
    "match",
    default=None,
    metavar="REGEX",
    help="Only groups with a frame (function or file:line) matching REGEX.",
)
@click.option(
    "--state",
    default=None,
    help="Only groups in this state or kind (e.g. 'chan send', chan-send, mutex).",
)
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Only groups of at least N goroutines.",
)
@show_all_option(help="Include groups the ignore packs cover.")
@source_option(
    help="Where the Go source lives: shows the code at each site and names the leak pattern.",
    exists=True,
)
@config_option()
@timeout_option()
@no_explain_option(help="Do not run the scan rules on the source to name each leak's pattern.")
@click.option("-v", "--verbose", is_flag=True, help="Show every frame, runtime ones included.")
@click.option("--tree", is_flag=True, help="Show each group's frames with their source lines.")
@output_option(help="Write the report to FILE instead of standard output.")
@user_errors
def dump(
    source: str,
    fmt: str,
    top: int | None,
    match: str | None,
    state: str | None,
    min_count: int,
    show_all: bool,
    source_dirs: tuple[Path, ...],
    config: Path | None,
    timeout: float,
    no_explain: bool,
    verbose: bool,
    tree: bool,
    output: Path | None,
) -> None:
    """Read one goroutine dump and list the suspect groups, most suspect first.

    SOURCE is a file, `-` for standard input, a URL (a service's base URL fetches its
    goroutineleak profile when it has one, else its goroutine profile), or a local process's pid
    (`4242` when no file has that name, or `pid:4242`; Linux: goleash finds the TCP port that
    serves /debug/pprof/). A group is suspect when its suspicion is at least 0.5; groups the
    runtime proved stuck (a `(leaked)` mark, or a `fatal error: all goroutines are asleep`
    dump) are always suspect. Warnings about the input go to stderr.

    \b
    Exit status:
      0  no suspect group among those shown (filters apply, --top does not)
      1  at least one suspect group
      2  usage error or unreadable input (one line on stderr)
    """
    from goleash.analysis.ignore import load_ignore_packs
    from goleash.analysis.view import DumpFilters, build_view, check_state, compile_match
    from goleash.sources import load

    safe_streams()
    if match is not None:
        compile_match(match)  # a bad regex is a usage error before any fetching
    if state is not None:
        check_state(state)
    filters = DumpFilters(
        match=match, state=state, min_count=min_count, top=top, include_ignored=show_all
    )
    ignore = load_ignore_packs(config)
    view = build_view(load(source, timeout=timeout), ignore, filters)
    print_dump_view(
        view,
        fmt=fmt,
        verbose=verbose,
        source_dirs=source_dirs,
        explain=not no_explain,
        tree=tree,
        output=output,
    )
    sys.exit(1 if view.suspects else 0)


def safe_streams() -> None:
    """Never a traceback for an encoding: what stdout cannot encode is written as escapes."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a closed or odd stream
                reconfigure(errors="backslashreplace")


def input_warnings(view: Any) -> list[str]:
    """What to say on stderr about the input: the parser's warnings, then partial input."""
    snap = view.snapshot
    lines = [*snap.warnings, *view.warnings]
    if snap.unparsed:
        lines.append(
            f"partial input: {snap.unparsed} goroutine record"
            f"{'' if snap.unparsed == 1 else 's'} could not be read; the verdict covers only "
            f"the {snap.total} read"
        )
    return lines


def print_dump_view(
    view: Any,
    *,
    fmt: str,
    verbose: bool,
    source_dirs: tuple[Path, ...],
    explain: bool = True,
    tree: bool = False,
    output: Path | None = None,
) -> None:
    roots = source_dirs or (Path.cwd(),)
    for line in input_warnings(view):
        click.echo(f"goleash: warning: {line}", err=True)
    explanations = {}
    if explain:
        explanations = explain_from_source(view.shown, roots, groups=view.snapshot.groups)
    if fmt == "html":
        from goleash.report.html import render_dump_html

        write_report(
            render_dump_html(
                view.snapshot,
                view.shown,
                explanations=explanations,
                suspects=view.suspects,
                warnings=view.warnings,
                notes=view.notes,
                hidden_ignored=view.hidden_ignored,
                filtered_out=view.filtered_out,
                source_roots=roots,
            ),
            output,
        )
        return
    if fmt == "json":
        from goleash.report import json as json_report

        write_report(
            json_report.render(
                view.snapshot,
                view.shown,
                warnings=view.warnings,
                suspects=view.suspects,
                explanations=explanations,
                notes=view.notes,
            ),
            output,
        )
        return
    from rich.console import Console

    from goleash.report import text

    options = text.TextOptions(
        verbose=verbose,
        source_roots=tuple(roots),
        warnings=tuple(view.warnings),
        hidden_ignored=view.hidden_ignored,
        filtered_out=view.filtered_out,
        suspects=view.suspects,
        explanations=explanations,
        notes=view.notes,
        proven=view.proven,
        hidden_runtime=view.hidden_runtime,
        warnings_inline=False,
        tree=tree,
    )
    if output is None:
        text.render(Console(), view.snapshot, view.shown, options)
        return
    with open_output(output) as f:
        text.render(Console(file=f), view.snapshot, view.shown, options)


command = dump
