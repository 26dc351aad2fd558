"""The terminal report of ``goleash verify``: the verdict, the settled totals, then each stack
that moved, leaks first, with where it blocks and where it was started.

Untrusted text (functions, paths, states) goes through ``report.text.literal``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Console

from goleash.analysis.cycles import LEAK, PLATEAU, StackSeries
from goleash.model import Frame
from goleash.report.text import (
    explanation_lines,
    frame_line,
    frames_that_matter,
    literal,
    plural,
    print_markup,
    site,
)
from goleash.verify import VerifyResult

if TYPE_CHECKING:
    from goleash.analysis.explain import Explanation

_MAX_FRAMES = 6
_COLOUR = {LEAK: "bold red", PLATEAU: "yellow"}


def _site(frame: Frame | None) -> str:
    return site(frame, unknown="unknown (this format does not say)")


def summary(result: VerifyResult) -> str:
    """One line: the verdict and how many cycles it rests on (rich markup)."""
    n = result.options.cycles
    if result.leaks:
        head = f"[bold red]LEAK[/]: {plural(len(result.leaks), 'stack')} grew with the load"
    else:
        head = "[bold green]clean[/]: no stack grew with the load"
    return f"{head} · {plural(n, 'cycle')} after a warm-up"


def totals_line(result: VerifyResult) -> str:
    """The settled total after each phase."""
    parts = []
    for p in result.points:
        mark = "" if p.settled else "[yellow]*[/]"
        parts.append(f"{literal(p.phase.split('/')[0])} {p.total}{mark}")
    return "goroutines settled at: " + " · ".join(parts)


def series_lines(
    index: int, s: StackSeries, result: VerifyResult, explanation: Explanation | None = None
) -> list[str]:
    """The lines of one stack (rich markup)."""
    colour = _COLOUR.get(s.verdict, "green")
    counts = " ".join(str(c) for c in s.cycles)
    lines = [
        f"[bold]{index:>2}.[/] [{colour}]{s.verdict.upper()}[/] · start {s.start} · "
        f"after warm-up {s.baseline} · after each cycle {counts}"
    ]
    pad = "    "
    a = result.evidence.get(s.stack_key)
    if a is not None:
        g = a.group
        state = literal(a.state) if a.state else "state not in the dump"
        lines.append(f"{pad}{'state':<11} {state} ({a.kind})")
        lines.append(f"{pad}{'blocked at':<11} {_site(g.blocking_site)}")
        lines.append(f"{pad}{'created at':<11} {_site(g.creation_site)}")
    lines.append(f"{pad}{'why':<11} {literal(s.reason)}")
    if explanation is not None:
        lines.extend(explanation_lines(explanation, pad))
    if a is not None:
        for i, f in enumerate(frames_that_matter(a.group.frames)[:_MAX_FRAMES]):
            label = "frames" if i == 0 else ""
            lines.append(frame_line(label, f, pad))
    return lines


def render(
    console: Console,
    result: VerifyResult,
    shown: Sequence[StackSeries],
    *,
    hidden: int = 0,
    explanations: Mapping[str, Explanation] | None = None,
) -> None:
    """Print the verdict, the totals, warnings, then each stack shown."""

    lines: list[str] = []

    def out(markup: str = "") -> None:
        lines.append(markup)

    out(summary(result))
    out(totals_line(result))
    if result.final is not None:
        out(f"[dim]evidence: {literal(result.final.source)} · {result.final.format}[/]")
    for w in result.warnings:
        out(f"[yellow]warning:[/] {literal(w)}")
    for i, s in enumerate(shown, 1):
        out()
        a = result.evidence.get(s.stack_key)
        explanation = (explanations or {}).get(a.group.signature) if a is not None else None
        for line in series_lines(i, s, result, explanation):
            out(line)
    if hidden:
        out()
        out(f"[dim]{plural(hidden, 'stack')} that never moved not shown (--all shows them)[/]")
    # Several lines per console.print: thousands of stacks took tens of seconds line by line.
    print_markup(console, lines, ascii_layout=False)
