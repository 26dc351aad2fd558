"""`goleash demo`: a bundled leaky Go service, built, loaded and diagnosed."""

from __future__ import annotations

import sys

import click

from goleash.cli.common import user_errors


@click.command("demo")
@click.option(
    "--requests",
    "requests",
    type=click.IntRange(min=1, max=1000),
    default=20,
    show_default=True,
    help="Requests to send to the leaky service.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("-v", "--verbose", is_flag=True, help="Show every frame, runtime ones included.")
@user_errors
def demo(requests: int, fmt: str, verbose: bool) -> None:
    """Build and run a small leaky Go service, send it traffic, and diagnose its dump.

    Needs a Go toolchain (`pip install 'goleash[demo]'` brings one). Exit status: 0 when the
    diagnosis found the planted leak (the demo worked), 1 when it did not, 2 when the service
    could not be built or run.
    """
    from goleash.analysis.ignore import load_ignore_packs
    from goleash.analysis.view import DumpFilters, build_view
    from goleash.cli.dump_run import print_dump_view
    from goleash.demo.runner import run_demo

    result = run_demo(requests=requests, progress=lambda msg: click.echo(msg, err=True))
    view = build_view(result.snapshots, load_ignore_packs(None), DumpFilters())
    print_dump_view(view, fmt=fmt, verbose=verbose, source_dirs=(result.source_dir,))
    where = f"{result.leak_file}:{result.leak_line}"
    found = any(
        a.suspect
        and a.group.blocking_site is not None
        and a.group.blocking_site.line == result.leak_line
        and a.group.blocking_site.file_name == result.leak_file.name
        for a in view.shown
    )
    if found:
        click.echo(f"goleash demo: found the planted leak at {where}", err=True)
        sys.exit(0)
    click.echo(f"goleash demo: the planted leak at {where} was not reported as suspect", err=True)
    sys.exit(1)


command = demo
