"""`goleash scan`: static analysis of Go source for leak patterns."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from goleash.cli.common import user_errors
from goleash.errors import InputError, UsageError


def _scan_rule_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    """Rule ids from repeated or comma-separated options; unknown ids are a usage error."""
    from goleash.lint.rules import all_rules

    known = {r.id for r in all_rules()}
    ids = tuple(i.strip() for v in values for i in v.split(",") if i.strip())
    for rule_id in ids:
        if rule_id not in known:
            raise UsageError(f"unknown rule {rule_id!r} (see `goleash rules`)")
    return ids


@click.command("scan")
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
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Cache folder (default: $GOLEASH_CACHE_DIR, $XDG_CACHE_HOME/goleash or ~/.cache/goleash).",
)
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--profile", is_flag=True, help="Print time spent in each rule on stderr.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report here.")
@click.option(
    "--dump",
    "dump_source",
    metavar="FILE",
    help="A goroutine dump of the program (file, URL or pid): mark the findings it confirms.",
)
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
    cache_dir: Path | None,
    jobs: int | None,
    profile: bool,
    output: Path | None,
    dump_source: str | None = None,
) -> None:
    """Find goroutine-leak patterns in Go source (files or folders, recursively)."""
    from goleash.lint.config import ScanConfig, find_config_file, load_config, with_overrides
    from goleash.lint.engine import scan as run_scan
    from goleash.lint.rules import all_rules
    from goleash.model import SEVERITIES
    from goleash.report.findings_json import render_json
    from goleash.report.findings_text import (
        profile_lines,
        render_findings,
        summary_line,
        unparsed_lines,
    )
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
        **({"cache_dir": cache_dir} if cache_dir is not None else {}),
    )
    result = run_scan(list(paths), config=config)
    if dump_source is not None:
        _confirm(result, dump_source, paths)

    for warning in result.warnings:
        click.echo(f"goleash: warning: {warning}", err=True)
    for line in unparsed_lines(result):
        click.echo(f"goleash: note: {line}", err=True)
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


def _confirm(result: Any, dump_source: str, paths: tuple[Path, ...]) -> None:
    """Mark the findings a dump of the program confirms at runtime (see --dump)."""
    from goleash.analysis.explain import confirm_findings
    from goleash.analysis.view import pick_snapshot
    from goleash.sources import load

    snapshot, _ = pick_snapshot(load(dump_source))
    roots = [Path(str(p).removesuffix("...").rstrip("/") or ".") for p in paths]
    roots = [r if r.is_dir() else r.parent for r in roots]
    result.findings, confirmed = confirm_findings(result.findings, snapshot, source_roots=roots)
    click.echo(
        f"goleash: {confirmed} of {len(result.findings)} findings confirmed by the dump", err=True
    )


command = scan
