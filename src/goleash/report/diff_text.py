"""The terminal report of ``goleash diff``: a summary, then each stack that changed.

Untrusted text (functions, paths, states, labels) goes through ``report.text.literal``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Console

from goleash.analysis.growth import Comparison, StackChange
from goleash.report.text import (
    explanation_lines,
    frame_line,
    frames_that_matter,
    literal,
    plural,
    print_markup,
    site,
)

if TYPE_CHECKING:
    from goleash.analysis.explain import Explanation

_MAX_FRAMES = 6


def summary(c: Comparison) -> str:
    """One line: totals, the change, and the verdict (rich markup)."""
    b, a = c.before.total, c.after.total
    verdict = (
        f"[bold red]{plural(len(c.leaks), 'leaking stack')}[/]"
        if c.leaks
        else "[bold green]no leak[/]"
    )
    return f"goroutines {b} → {a} ({a - b:+d}) · {verdict}"


def change_lines(
    index: int, c: StackChange, *, verbose: bool = False, explanation: Explanation | None = None
) -> list[str]:
    """The lines of one stack (rich markup)."""
    a = c.assessment
    g = c.group
    if c.leak:
        verdict = "[bold red]LEAK[/]"
    elif a.ignored is not None:
        verdict = f"[dim]ignored: {literal(a.ignored)}[/]"
    else:
        verdict = f"[green]{c.status}[/]"
    state = literal(a.state) if a.state else "state not in the dump"
    lines = [
        f"[bold]{index:>2}. {c.before} → {c.after} ({c.delta:+d})[/] · {state} ({a.kind}) · "
        f"{verdict}"
    ]
    pad = "    "
    lines.append(f"{pad}{'blocked at':<11} {site(g.blocking_site)}")
    if g.creation_site is not None:
        lines.append(f"{pad}{'created at':<11} {site(g.creation_site)}")
    for i, reason in enumerate(c.reasons):
        lines.append(f"{pad}{'why' if i == 0 else '':<11} {literal(reason)}")
    if explanation is not None:
        lines.extend(explanation_lines(explanation, pad))
    frames = list(g.frames) if verbose else frames_that_matter(g.frames)[:_MAX_FRAMES]
    for i, f in enumerate(frames):
        label = "frames" if i == 0 else ""
        lines.append(frame_line(label, f, pad))
    return lines


def render(
    console: Console,
    comparison: Comparison,
    shown: Sequence[StackChange],
    *,
    hidden: int = 0,
    warnings: Sequence[str] = (),
    verbose: bool = False,
    explanations: Mapping[str, Explanation] | None = None,
) -> None:
    """Print the comparison: summary, where each snapshot came from, then the stacks shown."""

    lines: list[str] = []

    def out(markup: str = "") -> None:
        lines.append(markup)

    out(summary(comparison))
    for label, s in (("before", comparison.before), ("after", comparison.after)):
        origin = [literal(s.source)] if s.source else []
        origin.append(s.format)
        out(f"[dim]{label}: {' · '.join(origin)} · {plural(s.total, 'goroutine')}[/]")
    for w in (*comparison.before.warnings, *comparison.after.warnings, *warnings):
        out(f"[yellow]warning:[/] {literal(w)}")
    for i, c in enumerate(shown, 1):
        out()
        explanation = (explanations or {}).get(c.group.signature)
        for line in change_lines(i, c, verbose=verbose, explanation=explanation):
            out(line)
    if hidden:
        out()
        out(f"[dim]{plural(hidden, 'stack')} unchanged or ignored not shown (--all shows them)[/]")
    # Several lines per console.print: thousands of stacks took tens of seconds line by line.
    print_markup(console, lines, ascii_layout=False)
