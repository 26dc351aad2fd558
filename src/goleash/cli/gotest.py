"""`goleash test`: run go test and report the goroutines each test leaves behind."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from goleash.cli.common import (
    config_option,
    explain_from_source,
    fail,
    output_option,
    report_console,
    report_format_option,
    user_errors,
    write_report,
)


@click.command(
    "test",
    # go test's own flags (unknown to goleash) are kept in ARGS, in order.
    context_settings={"ignore_unknown_options": True},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[PACKAGES]... [-- GOFLAGS]...")
@click.option(
    "--settle",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Longest wait for goroutines to finish after the tests (it stops as soon as they "
    "stop changing).",
)
@click.option(
    "--ignore",
    "ignores",
    multiple=True,
    metavar="FUNCTION",
    help="Ignore goroutines with a frame whose function starts with FUNCTION (repeatable).",
)
@config_option()
@report_format_option()
@output_option()
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Also write a JUnit XML report: a leak fails the test that leaked.",
)
@click.option(
    "--no-rerun",
    is_flag=True,
    help="Never re-run tests one at a time to name a leak.",
)
@click.option(
    "--go",
    "go_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The go command to use (default: the one goleash finds, as `goleash demo` does).",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Pass go test's output through whole; show ignored."
)
@user_errors
def gotest(
    args: tuple[str, ...],
    settle: float,
    ignores: tuple[str, ...],
    config: Path | None,
    fmt: str,
    junit: Path | None,
    no_rerun: bool,
    go_path: Path | None,
    verbose: bool,
    output: Path | None = None,
) -> None:
    """Run `go test` on PACKAGES and report the goroutines each test leaves running.

    Nothing in the module changes: goleash adds its check through `go test -overlay`. A
    goroutine started during the tests and still there once they have settled is a leak; it is
    named after the test (or subtest) that started it. Flags after `--` go to `go test`
    (`goleash test ./... -- -race -run TestAPI`). Exit status: 0 clean, 1 a test leaked or
    failed, 2 the tests could not be built or bad input.
    """
    # What runs after the tests is imported meanwhile, while go builds and runs them.
    preload = threading.Thread(target=_preload, args=(fmt,), daemon=True)
    preload.start()
    from goleash.sources.gotest.runner import GoFlags, GoTest, build_error, cache_dir, run_pattern
    from goleash.toolchain import find_go

    patterns, go_flags = _split_args(args)
    from goleash.analysis.ignore import IgnorePacks, load_ignore_packs, parse_rules

    packs = load_ignore_packs(config)
    if ignores:
        entries = [{"name": "--ignore", "prefix": p, "where": "any"} for p in ignores]
        packs = IgnorePacks(packs.rules + parse_rules(entries, "--ignore"))
    go = go_path if go_path is not None else find_go()
    progress = _Progress(enabled=sys.stderr.isatty() and not verbose)

    def on_event(event: dict[str, Any]) -> None:
        out = event.get("Output")
        if verbose and isinstance(out, str):
            sys.stderr.write(out)
        elif event.get("Action") in ("pass", "fail", "skip") and not event.get("Test"):
            progress.say(f"{event.get('Action')} {event.get('Package', '')}")

    def on_stderr(line: str) -> None:
        if verbose:
            sys.stderr.write(line)

    workers = os.cpu_count() or 1
    with GoTest(
        go, Path.cwd(), GoFlags.parse(go_flags), settle=settle, cache_dir=cache_dir()
    ) as runner:
        runner.prepare(patterns or ["."])
        progress.say("running go test")
        run = runner.run(on_event=on_event, on_stderr=on_stderr)
        progress.clear()
        if not verbose:
            _print_failures(run)
        from goleash.analysis.attribution import TestRunVerdict, judge_package

        verdicts = []
        for pkg in run.packages:
            events = run.events.packages.get(pkg.import_path)

            def rerun(test: str, pkg: Any = pkg) -> Any:
                return runner.rerun(pkg, run_pattern(test))

            verdict = judge_package(
                pkg.import_path,
                events,
                run.results.get(pkg.import_path, []),
                packs,
                rerun=None if no_rerun else rerun,
                workers=workers,
                progress=_say_rerun(progress, pkg.import_path),
            )
            if verdict.status == "build-failed":
                from dataclasses import replace

                verdict = replace(verdict, error=build_error(run, pkg.import_path))
            verdicts.append(verdict)
        progress.clear()
    result = TestRunVerdict(run.go_version, tuple(verdicts), tuple(run.warnings))
    if junit is not None:
        from goleash.report import junit as junit_report

        try:
            junit.write_text(junit_report.render(result), "utf-8")
        except OSError as e:
            fail(f"cannot write {junit}: {e.strerror or e}")
    if fmt == "html":
        from goleash.report.html import render_test_html

        write_report(render_test_html(result), output)
    elif fmt == "json":
        from goleash.report import gotest_json

        write_report(gotest_json.render(result, _explain(result)), output)
    else:
        from goleash.report import gotest_text

        explained = _explain(result)
        with report_console(output, soft_wrap=True) as console:
            gotest_text.render(console, result, verbose=verbose, explanations=explained)
    if result.build_failed:
        for p in result.build_failed:
            click.echo(f"goleash: {p.package}: {p.error}", err=True)
    sys.exit(result.exit_code)


def _preload(fmt: str) -> None:
    import goleash.analysis.attribution
    import goleash.sources.gotest.result

    if fmt == "json":
        import goleash.report.gotest_json
    else:
        import goleash.report.gotest_text  # noqa: F401


def _explain(result: Any) -> dict[str, Any]:
    """Why each leak's goroutines are never released, read from the module under test."""
    return explain_from_source([leak.assessment for p in result.packages for leak in p.leaks.leaks])


def _split_args(args: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Packages, then go test flags: everything from the first flag on (click has already
    taken goleash's own options, and dropped the `--` that protects a flag such as -v)."""
    i = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
    return list(args[:i]), list(args[i:])


def _print_failures(run: Any) -> None:
    """What go test prints without -v: the output of failed tests, and lines it printed
    outside any test (panics, build errors of older toolchains)."""
    for pkg in run.events.packages.values():
        for test in pkg.tests.values():
            if test.action == "fail":
                sys.stderr.write("".join(test.output))
        if pkg.action == "fail" and not pkg.build_failed:
            lines = [ln for ln in pkg.output if not ln.startswith(("FAIL", "ok ", "PASS"))]
            sys.stderr.write("".join(lines))


def _say_rerun(progress: _Progress, package: str) -> Callable[[str], None]:
    return lambda test: progress.say(f"re-running {package} {test} alone")


class _Progress:
    """One line of progress on a terminal's stderr, overwritten in place."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    def say(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[2K" + text[:200])
            sys.stderr.flush()
            self.shown = True

    def clear(self) -> None:
        if self.enabled and self.shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
            self.shown = False


command = gotest
