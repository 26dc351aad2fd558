"""What `goleash dump` does once its arguments are known: read, analyse, report.

Both ways into `goleash dump` call ``run``: the click command (``goleash.cli.dump``) and the
hand parser of the common argument forms (``goleash.cli.dump_argv``). Nothing here imports
click, so the second way starts without it.
"""

from __future__ import annotations

import sys

from goleash import collector
from goleash.cli.common import explain_from_source, open_output, user_errors, write_report
from goleash.cli.echo import echo

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    from pathlib import Path  # imported where needed: it costs start-up time
    from typing import Any


@user_errors
def run(
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
    """`goleash dump` with its options parsed (see the command's help for what they mean)."""
    # One pass from input to report: what it makes (modules, the snapshot, the report) lives
    # until it ends, so the cyclic collector would walk it again and again to free nothing.
    with collector.paused():
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
            # not contextlib.suppress: importing contextlib costs start-up time
            try:  # noqa: SIM105
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or odd stream
                pass


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
    for line in input_warnings(view):
        echo(f"goleash: warning: {line}", err=True)
    explanations = {}
    if explain:
        explanations = explain_from_source(view.shown, source_dirs, groups=view.snapshot.groups)
    if fmt == "html":
        from goleash.report.html import render_dump_html

        roots = source_roots(source_dirs)
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
        source_roots=source_roots(source_dirs),
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


def source_roots(source_dirs: tuple[Path, ...]) -> tuple[Path, ...]:
    """Where the reports look for source: --source, or the current folder."""
    from pathlib import Path

    return tuple(source_dirs) or (Path.cwd(),)
