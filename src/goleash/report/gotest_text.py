"""The terminal report of a `goleash test` run: each package, each leaking test, each group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Console

from goleash.analysis.attribution import Leak, PackageVerdict, TestRunVerdict
from goleash.report.text import (
    explanation_lines,
    frames_that_matter,
    literal,
    plural,
    site,
)

if TYPE_CHECKING:
    from goleash.analysis.explain import Explanation

_HOW = {
    "label": "its pprof label",
    "ancestry": "goroutine ancestry",
    "timing": "the only test that ran",
    "rerun": "running the tests one at a time",
}
_SETTLED = {
    "clean": "nothing left",
    "stable": "left goroutines unchanged",
    "leak-profile": "goroutineleak profile",
    "deadline": "--settle deadline reached",
}


def _test_title(test: str | None) -> str:
    if test is None:
        return "[bold yellow](no single test)[/]"
    return f"[bold]{literal(test)}[/]"


def _leak_lines(leak: Leak, verbose: bool, explanation: Explanation | None = None) -> list[str]:
    a = leak.assessment
    g = a.group
    pad = "      "
    head = f"    {plural(g.count, 'goroutine')} · {literal(a.state or 'unknown state')}"
    if g.leaked:
        head += f" · [red]marked leaked by the runtime ({g.leaked} of {g.count})[/]"
    if a.ignored is not None:
        head += f" · [dim]ignored: {literal(a.ignored)}[/]"
    lines = [head, f"{pad}blocked at  {site(g.blocking_site)}"]
    if g.creation_site is not None:
        lines.append(f"{pad}created at  {site(g.creation_site)}")
    if verbose:
        for f in frames_that_matter(g.frames):
            where = f"{literal(f.file)}:{f.line}"
            lines.append(f"{pad}            [dim]{literal(f.function)} {where}[/]")
    if leak.note:
        lines.append(f"{pad}[yellow]note[/]        {literal(leak.note)}")
    if explanation is not None:
        lines.extend(explanation_lines(explanation, pad))
    return lines


def _by(tests: Sequence[str | None]) -> str:
    """Who left them: "by 2 tests", "by no single test", "by 1 test and no single test"."""
    named = sum(t is not None for t in tests)
    parts = [f"by {plural(named, 'test')}"] if named else []
    if None in tests:
        parts.append("no single test" if named else "by no single test")
    return " and ".join(parts)


def _package_head(p: PackageVerdict) -> str:
    status = {
        "ok": "[green]ok[/]",
        "fail": "[bold red]FAIL[/]",
        "build-failed": "[bold red]build failed[/]",
        "no-tests": "[dim]no test files[/]",
        "not-checked": "[yellow]not checked[/]",
    }.get(p.status, literal(p.status))
    if p.status == "ok" and p.leaks.leaks:
        status = "[bold red]LEAK[/]"
    parts = [f"{status}  [bold]{literal(p.package)}[/]"]
    if p.failed_tests:
        parts.append(f"[red]{plural(len(p.failed_tests), 'failing test')}[/]")
    if p.leaks.leaks:
        parts.append(
            f"[bold red]{plural(p.leaks.leaked, 'goroutine')} left {_by(p.leaking_tests)}[/]"
        )
    elif p.check is not None:
        parts.append("[green]no goroutine left[/]")
    if p.check is not None and p.check.settled in _SETTLED and p.leaks.leaks:
        parts.append(
            f"[dim]settled in {p.check.settle_seconds:.2f} s ({_SETTLED[p.check.settled]})[/]"
        )
    if p.leaks.ignored:
        parts.append(f"[dim]{sum(x.group.count for x in p.leaks.ignored)} ignored[/]")
    return " · ".join(parts)


def render(
    console: Console,
    run: TestRunVerdict,
    *,
    verbose: bool = False,
    explanations: Mapping[str, Explanation] | None = None,
) -> None:
    """Print the report: one line per package, then its leaking tests and their groups."""
    for w in run.warnings:
        console.print(f"[yellow]warning:[/] {literal(w)}")
    for p in run.packages:
        if p.status == "no-tests" and not verbose:
            continue
        console.print(_package_head(p), highlight=False)
        if p.error:
            console.print(f"  [red]{literal(p.error)}[/]", highlight=False)
        for w in p.warnings:
            console.print(f"  [yellow]warning:[/] {literal(w)}", highlight=False)
        shown = [*p.leaks.leaks, *(p.leaks.ignored if verbose else ())]
        current: object = object()
        for leak in shown:
            if leak.test != current:
                current = leak.test
                how = f" [dim](named by {_HOW[leak.how]})[/]" if leak.how in _HOW else ""
                console.print(f"  {_test_title(leak.test)}{how}", highlight=False)
            explanation = (explanations or {}).get(leak.group.signature)
            for line in _leak_lines(leak, verbose, explanation):
                console.print(line, highlight=False)
    leaking = [t for p in run.packages for t in p.leaking_tests]
    failed = sum(len(p.failed_tests) for p in run.packages)
    checked = sum(p.check is not None for p in run.packages)
    parts = []
    if run.leaked:
        parts.append(f"[bold red]{plural(run.leaked, 'goroutine')} left {_by(leaking)}[/]")
    elif checked:
        parts.append("[bold green]no goroutine outlived its test[/]")
    if failed:
        parts.append(f"[red]{plural(failed, 'test')} failed[/]")
    if run.build_failed:
        parts.append(f"[red]{plural(len(run.build_failed), 'package')} did not build[/]")
    parts.append(f"{plural(checked, 'package')} checked")
    console.print(" · ".join(parts), highlight=False)
