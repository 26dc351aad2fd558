"""The command line. Thin: parse options, call the library, pick a report.

Exit status everywhere: 0 clean, 1 leaks or findings, 2 usage or input error (one line on
stderr, never a traceback). Heavy modules are imported inside commands to keep start-up light.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from goleash import __version__
from goleash.errors import InputError, UsageError

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(f"goleash: {message}", err=True)
    sys.exit(2)


def user_errors(fn: F) -> F:
    """Turn errors a user can act on into one stderr line and exit status 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (InputError, UsageError) as e:
            _fail(str(e))
        except KeyboardInterrupt:
            _fail("interrupted")
        except BrokenPipeError:
            sys.exit(0)

    return wrapper  # type: ignore[return-value]


class _Group(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except MemoryError:
            _fail("out of memory")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="goleash")
def cli() -> None:
    """Find, explain and prevent goroutine leaks in Go services."""


# --- dump analysis: dump, demo -------------------------------------------------------------


@cli.command()
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
    _print_dump_view(
        view, fmt=fmt, verbose=verbose, source_dirs=source_dirs, explain=not no_explain
    )
    sys.exit(1 if view.suspects else 0)


def _print_dump_view(
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


@cli.command()
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
    from goleash.demo.runner import run_demo

    result = run_demo(requests=requests, progress=lambda msg: click.echo(msg, err=True))
    view = build_view(result.snapshots, load_ignore_packs(None), DumpFilters())
    _print_dump_view(view, fmt=fmt, verbose=verbose, source_dirs=(result.source_dir,))
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


# --- static analysis: scan, rules --------------------------------------------------------


def _scan_rule_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    """Rule ids from repeated or comma-separated options; unknown ids are a usage error."""
    from goleash.lint.rules import all_rules

    known = {r.id for r in all_rules()}
    ids = tuple(i.strip() for v in values for i in v.split(",") if i.strip())
    for rule_id in ids:
        if rule_id not in known:
            raise UsageError(f"unknown rule {rule_id!r} (see `goleash rules`)")
    return ids


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default="warning",
    show_default=True,
    help="Exit 1 when a finding at or above this severity exists.",
)
@click.option("--no-tests", is_flag=True, help="Leave out _test.go files.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: nearest .goleash.toml or pyproject.toml [tool.goleash]).",
)
@click.option("--enable", multiple=True, metavar="RULE", help="Run only these rules.")
@click.option("--disable", multiple=True, metavar="RULE", help="Do not run these rules.")
@click.option("--no-cache", is_flag=True, help="Analyse every file again.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--profile", is_flag=True, help="Print time spent in each rule on stderr.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here.")
@user_errors
def scan(
    paths: tuple[Path, ...],
    output_format: str,
    fail_on: str,
    no_tests: bool,
    config_path: Path | None,
    enable: tuple[str, ...],
    disable: tuple[str, ...],
    no_cache: bool,
    jobs: int | None,
    profile: bool,
    output: Path | None,
) -> None:
    """Find goroutine-leak patterns in Go source (files or folders, recursively)."""
    from goleash.lint.config import ScanConfig, find_config_file, load_config, with_overrides
    from goleash.lint.engine import scan as run_scan
    from goleash.lint.rules import all_rules
    from goleash.model import SEVERITIES
    from goleash.report.findings_json import render_json
    from goleash.report.findings_text import profile_lines, render_findings, summary_line
    from goleash.report.sarif import render_sarif

    known = [r.id for r in all_rules()]
    if config_path is not None and not config_path.is_file():
        raise InputError(f"{config_path}: no such config file")
    found = config_path or find_config_file(paths[0])
    config = load_config(found, known_rules=known) if found else ScanConfig()
    config = with_overrides(
        config,
        enable=_scan_rule_ids(enable),
        disable=_scan_rule_ids(disable),
        no_tests=no_tests,
        use_cache=not no_cache,
        jobs=jobs,
        profile=profile,
    )
    result = run_scan(list(paths), config=config)

    for warning in result.warnings:
        click.echo(f"goleash: warning: {warning}", err=True)
    to_terminal = output is None and sys.stdout.isatty()
    if output_format == "json":
        report = render_json(result)
    elif output_format == "sarif":
        report = render_sarif(result)
    else:
        report = render_findings(result, colour=to_terminal)
        report = report + "\n" if report else ""
    if output is not None:
        try:
            output.write_text(report, encoding="utf-8")
        except OSError as e:
            raise InputError(f"cannot write {output}: {e.strerror or e}") from None
    elif report:
        click.echo(report, nl=False, color=to_terminal or None)
    click.echo(summary_line(result), err=True)
    if profile:
        for line in profile_lines(result):
            click.echo(line, err=True)
    threshold = SEVERITIES.index(fail_on)
    if any(SEVERITIES.index(f.severity) >= threshold for f in result.findings):
        sys.exit(1)


@cli.command()
@click.argument("rule_id", required=False)
@click.option("--markdown", is_flag=True, help="Print every rule's documentation as Markdown.")
@user_errors
def rules(rule_id: str | None, markdown: bool) -> None:
    """List the scan rules, or print one rule's documentation."""
    from goleash.lint.rules import all_rules, rule_by_id
    from goleash.report.rule_docs import rule_table, rule_text, rules_markdown

    if markdown:
        click.echo(rules_markdown(all_rules()), nl=False)
    elif rule_id is None:
        click.echo(rule_table(all_rules()), nl=False)
    else:
        rule = rule_by_id(rule_id)
        if rule is None:
            raise UsageError(f"unknown rule {rule_id!r} (see `goleash rules`)")
        click.echo(rule_text(rule), nl=False)


def main() -> None:
    """Console-script entry point: usage errors become one line on stderr and exit status 2."""
    try:
        cli.main(standalone_mode=False)
    except click.UsageError as e:
        where = e.ctx.command_path if e.ctx is not None else "goleash"
        _fail(f"{e.format_message()} (see '{where} --help')")
    except click.ClickException as e:
        _fail(e.format_message())
    except click.exceptions.Abort:
        _fail("interrupted")
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)


if __name__ == "__main__":
    main()
