"""The terminal report of one analysed snapshot: a summary line, then groups, most suspect first.

Colour and emphasis only on a terminal (rich decides); piped output is plain text.

Everything a dump or a source file supplies (labels, function names, paths, states, code lines,
warnings) is untrusted: it goes through ``literal()``, which escapes rich markup and writes control
characters as escapes (``\\n``, ``\\x1b``), so a label cannot style, link, move the cursor or
forge a line of the report. Emoji codes (``:x:``) are never replaced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from goleash.analysis.suspects import Assessment
from goleash.model import Frame, Snapshot

if TYPE_CHECKING:
    from goleash.analysis.explain import Explanation
from goleash.report.sourcelines import source_line

_MAX_FRAMES = 8
_MAX_CODE = 200  # characters of a source line shown

# C0 and C1 controls, DEL, and the Unicode characters that reorder or break lines on a terminal.
_UNSAFE = [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x200E, 0x200F, 0x2028, 0x2029]
_UNSAFE += [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_VISIBLE = {c: ascii(chr(c))[1:-1] for c in _UNSAFE}


def literal(text: str) -> str:
    """Untrusted text as rich markup that prints it literally, on one line."""
    return escape(text.translate(_VISIBLE))


@dataclass(frozen=True, slots=True)
class TextOptions:
    """How much to show."""

    verbose: bool = False  # every frame, runtime plumbing included
    source_roots: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()
    hidden_ignored: int = 0  # ignored groups left out (no --all)
    filtered_out: int = 0  # groups left out by --match/--state/--min-count/--top
    suspects: int = 0  # suspect groups among those the filters kept
    extra: dict[str, str] = field(default_factory=dict)
    explanations: Mapping[str, Explanation] = field(default_factory=dict)  # by signature


def is_stdlib(frame: Frame) -> bool:
    """True for frames of Go's standard library (a guess from the package path and the file)."""
    pkg = frame.package
    first = pkg.split("/", 1)[0]
    if pkg == "main" or "." in first:
        return False
    return f"/src/{pkg}/" in frame.file.replace("\\", "/") or frame.is_plumbing


def frames_that_matter(frames: Sequence[Frame]) -> list[Frame]:
    """The user's own frames; the non-plumbing ones when the stack has none of the user's."""
    mine = [f for f in frames if not f.is_plumbing and not is_stdlib(f)]
    return mine or [f for f in frames if not f.is_plumbing] or list(frames[:1])


def _site(frame: Frame | None) -> str:
    if frame is None:
        return "unknown"
    return f"{literal(frame.function)} [dim]({literal(frame.file_name)}:{frame.line})[/]"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(snapshot: Snapshot, groups: Sequence[Assessment], opts: TextOptions) -> str:
    """The one-line summary (rich markup)."""
    suspects = opts.suspects
    colour = "bold red" if suspects else "bold green"
    parts = [
        f"{_plural(snapshot.total, 'goroutine')} in {_plural(len(snapshot.groups), 'group')}",
        f"[{colour}]{_plural(suspects, 'suspect')}[/]",
    ]
    if opts.hidden_ignored:
        parts.append(f"{opts.hidden_ignored} ignored (--all shows them)")
    if opts.filtered_out:
        parts.append(f"{opts.filtered_out} filtered out")
    parts.append(f"{snapshot.unparsed} unparsed")
    warnings = len(snapshot.warnings) + len(opts.warnings)
    if warnings:
        parts.append(f"[yellow]{_plural(warnings, 'warning')}[/]")
    return " · ".join(parts)


def _group_lines(index: int, a: Assessment, opts: TextOptions) -> list[str]:
    g = a.group
    if a.ignored is not None:
        verdict, colour = f"ignored: {literal(a.ignored)}", "dim"
    elif a.suspect:
        verdict, colour = "SUSPECT", "bold red"
    else:
        verdict, colour = "not suspect", "green"
    state = a.state or "unknown state"
    head = (
        f"[bold]{index:>2}. {_plural(g.count, 'goroutine')}[/] · {literal(state)} ({a.kind}) · "
        f"suspicion {a.suspicion:.2f} · [{colour}]{verdict}[/]"
    )
    lines = [head]
    pad = "    "

    def with_code(label: str, frame: Frame | None, note: str = "") -> None:
        lines.append(f"{pad}{label:<11} {_site(frame)}{note}")
        if frame is not None:
            code = source_line(frame.file, frame.line, opts.source_roots)
            if code:
                if len(code) > _MAX_CODE:
                    code = code[: _MAX_CODE - 1] + "…"
                lines.append(f"{pad}{'':<11}   [cyan]{frame.line} │ {literal(code)}[/]")

    with_code("blocked at", g.blocking_site)
    if g.creation_site is not None:
        note = ""
        if g.orphans:
            note = f" [dim]· parent gone for {g.orphans} of {g.with_parent}[/]"
        elif g.with_parent:
            note = " [dim]· parent still running[/]"
        with_code("created at", g.creation_site, note)
    if g.wait_minutes is not None:
        low, high = g.wait_minutes
        span = f"{low}" if low == high else f"{low}–{high}"
        lines.append(f"{pad}{'waiting':<11} {span} minutes")
    if g.leaked:
        lines.append(f"{pad}{'leaked':<11} [red]{g.leaked} of {g.count}[/] (goroutineleak)")
    if g.labels:
        text = ", ".join(f"{k}={v}" for k, v in sorted(g.labels.items()))
        lines.append(f"{pad}{'labels':<11} {literal(text)}")
    for i, reason in enumerate(a.reasons):
        lines.append(f"{pad}{'why' if i == 0 else '':<11} {literal(reason)}")
    pattern = opts.explanations.get(g.signature)
    if pattern is not None:
        where = f"{Path(pattern.file).name}:{pattern.line}"
        lines.append(
            f"{pad}{'pattern':<11} [magenta]{pattern.rule}[/]: {literal(pattern.message)} "
            f"[dim]({literal(where)})[/]"
        )
        lines.append(f"{pad}{'fix':<11} {literal(pattern.fix)}")
    frames = list(g.frames) if opts.verbose else frames_that_matter(g.frames)
    more = 0
    if not opts.verbose and len(frames) > _MAX_FRAMES:
        more = len(frames) - _MAX_FRAMES
        frames = frames[:_MAX_FRAMES]
    for i, f in enumerate(frames):
        label = "frames" if i == 0 else ""
        lines.append(f"{pad}{label:<11} {literal(f.function)} [dim]{literal(f.file)}:{f.line}[/]")
    hidden = len(g.frames) - len(frames) - more
    if more or (hidden and not opts.verbose):
        lines.append(f"{pad}{'':<11} [dim]… {more + hidden} more frames (-v shows all)[/]")
    return lines


def render(
    console: Console, snapshot: Snapshot, groups: Sequence[Assessment], opts: TextOptions
) -> None:
    """Print the report: summary, source line, warnings, then each group shown."""

    def out(markup: str = "") -> None:
        console.print(markup, highlight=False, emoji=False, soft_wrap=True)

    out(summary(snapshot, groups, opts))
    origin = [literal(snapshot.source)] if snapshot.source else []
    profile = f" ({literal(snapshot.profile)} profile)" if snapshot.profile != "goroutine" else ""
    origin.append(f"{snapshot.format}{profile}")
    if snapshot.go_version:
        origin.append(literal(snapshot.go_version))
    out(f"[dim]{' · '.join(origin)}[/]")
    for w in (*snapshot.warnings, *opts.warnings):
        out(f"[yellow]warning:[/] {literal(w)}")
    for i, a in enumerate(groups, 1):
        out()
        for line in _group_lines(i, a, opts):
            out(line)
    if not groups:
        out()
        out("no groups to show")
