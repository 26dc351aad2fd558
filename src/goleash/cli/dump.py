"""`goleash dump`: read one goroutine dump and list the suspect groups."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from goleash.cli.common import user_errors


@click.command("dump")
@click.argument("source")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--top", type=click.IntRange(min=1), default=None, help="Show at most N groups.")
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
@click.option("--all", "show_all", is_flag=True, help="Include groups the ignore packs cover.")
@click.option(
    "--source",
    "source_dirs",
    multiple=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the Go source lives: shows the code at each site and names the leak pattern.",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file with [[dump.ignore]] entries (default: ./.goleash.toml).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds to wait for a URL.",
)
@click.option(
    "--no-explain",
    is_flag=True,
    help="Do not run the scan rules on the source to name each leak's pattern.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show every frame, runtime ones included.")
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
) -> None:
    """Read one goroutine dump and list the suspect groups, most suspect first.

    SOURCE is a file, `-` for standard input, a URL (a service's base URL fetches its
    goroutineleak profile when it has one, else its goroutine profile), or a local process's pid
    (`4242` when no file has that name, or `pid:4242`; Linux: goleash finds the TCP port that
    serves /debug/pprof/). A group is suspect when its suspicion is at least 0.5. Exit status:
    0 no suspect group, 1 some, 2 bad input.
    """
    from goleash.analysis.ignore import load_ignore_packs
    from goleash.analysis.view import DumpFilters, build_view, compile_match
    from goleash.sources import load

    if match is not None:
        compile_match(match)  # a bad regex is a usage error before any fetching
    filters = DumpFilters(
        match=match, state=state, min_count=min_count, top=top, include_ignored=show_all
    )
    ignore = load_ignore_packs(config)
    view = build_view(load(source, timeout=timeout), ignore, filters)
    print_dump_view(view, fmt=fmt, verbose=verbose, source_dirs=source_dirs, explain=not no_explain)
    sys.exit(1 if view.suspects else 0)


def print_dump_view(
    view: Any, *, fmt: str, verbose: bool, source_dirs: tuple[Path, ...], explain: bool = True
) -> None:
    from goleash.analysis.explain import explain as explain_groups

    roots = source_dirs or (Path.cwd(),)
    explanations = explain_groups(view.shown, source_roots=roots) if explain else {}
    if fmt == "json":
        from goleash.report import json as json_report

        click.echo(
            json_report.render(
                view.snapshot,
                view.shown,
                warnings=view.warnings,
                suspects=view.suspects,
                explanations=explanations,
            ),
            nl=False,
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
    )
    text.render(Console(), view.snapshot, view.shown, options)


command = dump
