"""The terminal report of one analysed snapshot: a summary line, then groups, most suspect first.

Colour and emphasis only on a terminal (rich decides); piped output is plain text.

Everything a dump or a source file supplies (labels, function names, paths, states, code lines,
warnings) is untrusted: it goes through ``literal()``, which escapes rich markup and writes control
characters as escapes (``\\n``, ``\\x1b``), so a label cannot style, link, move the cursor or
forge a line of the report. Emoji codes (``:x:``) are never replaced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from goleash.analysis.suspects import Assessment, runtime_entry
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
    # Most text needs neither step, and a report calls this a hundred thousand times: every
    # unsafe character is unprintable, and escape only changes a "[" or a final backslash.
    if not text.isprintable():
        text = text.translate(_VISIBLE)
    if "[" in text or text.endswith("\\"):
        text = escape(text)
    return text


@dataclass(frozen=True, slots=True)
class TextOptions:
    """How much to show."""

    verbose: bool = False  # every frame, runtime plumbing included
    source_roots: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()
    hidden_ignored: int = 0  # ignored groups left out (no --all)
    filtered_out: int = 0  # groups left out by --match/--state/--min-count/--top
    suspects: int = 0  # suspect groups among those the filters kept
    notes: tuple[str, ...] = ()  # what the format cannot tell, what to capture instead
    proven: int = 0  # goroutines the runtime proved stuck (marks, deadlock)
    hidden_runtime: int = 0  # runtime groups left out (no --all)
    # Warnings are printed here only when True; the CLI prints them on stderr instead.
    warnings_inline: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    explanations: Mapping[str, Explanation] = field(default_factory=dict)  # by signature
    tree: bool = False  # each frame with its source line


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


def site(frame: Frame | None, unknown: str = "unknown") -> str:
    """Where a goroutine blocks or was started: function (file:line), or ``unknown``."""
    if frame is None:
        return unknown
    return f"{literal(frame.function)} [dim]({literal(frame.file_name)}:{frame.line})[/]"


def plural(n: int, word: str) -> str:
    """``1 stack``, ``2 stacks``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def frame_line(label: str, f: Frame, pad: str = "    ") -> str:
    """One frame of a group's stack, under a label column (rich markup)."""
    return f"{pad}{label:<11} {literal(f.function)} [dim]{literal(f.file)}:{f.line}[/]"


def _unknown_state(a: Assessment) -> str:
    frames = a.group.frames
    if a.kind == "other" and frames and not frames[0].is_plumbing:
        # debug=1 hides the runtime frames that would say which channel operation it is.
        return "channel operation or select"
    return "unknown state"


# Characters of the report's own layout, and what to print instead where stdout cannot encode
# them (PYTHONIOENCODING=ascii, a latin-1 terminal). Untrusted text is escaped by the stream.
_ASCII_LAYOUT = str.maketrans({"·": "-", "…": "...", "–": "-", "│": "|"})


# Markup lines printed by one console.print: rich's cost is per call (~0.4 ms here, most of it
# asking the console its size and whether it is a terminal), not per line. A report of ten
# thousand groups took 20 s printed line by line.
_BATCH = 500


def print_markup(console: Console, lines: Sequence[str], *, ascii_layout: bool = True) -> None:
    """Print markup lines (each closes the tags it opens) as separate lines, several per
    console.print call; with ``ascii_layout``, in ASCII where the console cannot encode the
    report's layout characters. A console that prints no styles at all (not a terminal: a
    pipe, a file) gets the text without its tags, written at once: rich would take seconds to
    make the same text of a report of ten thousand groups."""
    ascii_only = ascii_layout and not _encodable(console, "·…–│")
    styled = console.color_system is not None or console.record
    for start in range(0, len(lines), _BATCH):
        text = "\n".join(lines[start : start + _BATCH])
        if ascii_only:
            text = text.translate(_ASCII_LAYOUT)
        if styled:
            console.print(text, highlight=False, emoji=False, soft_wrap=True)
        else:
            console.file.write(plain(text) + "\n")


# rich's markup tags (rich.markup.RE_TAGS: a tag-like "[...]" with the backslashes before it),
# and the control codes rich leaves out of any text it prints (rich.control).
_TAG = re.compile(r"((\\*)\[([a-z#/@][^[]*?)])")
_STRIPPED = dict.fromkeys((7, 8, 11, 12, 13))


def plain(markup: str) -> str:
    """What rich prints for ``markup`` where it prints no style: its text without the tags,
    read as rich.markup.render reads them (an odd number of backslashes before a tag makes it
    text, each pair of them one backslash; ``\\[`` elsewhere is ``[``)."""
    if "\\" not in markup:  # no escapes anywhere: every tag goes, nothing else changes
        return _TAG.sub("", markup).translate(_STRIPPED)
    parts = []
    position = 0
    for match in _TAG.finditer(markup):
        whole, escapes, _ = match.groups()
        start, end = match.span()
        if start > position:
            parts.append(markup[position:start].replace("\\[", "["))
        backslashes, escaped = divmod(len(escapes), 2)
        parts.append("\\" * backslashes)
        if escaped:
            parts.append(whole[len(escapes) :])
        position = end
    parts.append(markup[position:].replace("\\[", "["))
    return "".join(parts).translate(_STRIPPED)


def _encodable(console: Console, text: str) -> bool:
    encoding = getattr(console.file, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def summary(snapshot: Snapshot, groups: Sequence[Assessment], opts: TextOptions) -> str:
    """The one-line summary (rich markup)."""
    suspects = opts.suspects
    colour = "bold red" if suspects else "bold green"
    counted = plural(snapshot.total, "goroutine")
    if snapshot.runtime_total:
        counted += f" (+{snapshot.runtime_total} runtime)"
    parts = [
        f"{counted} in {plural(len(snapshot.groups), 'group')}",
        f"[{colour}]{plural(suspects, 'suspect')}[/]",
    ]
    if snapshot.deadlock:
        parts.append("[bold red]deadlock[/]")
    elif opts.proven:
        parts.append(f"[red]{opts.proven} marked leaked[/]")
    hidden = opts.hidden_ignored + opts.hidden_runtime
    if hidden:
        parts.append(f"{hidden} ignored (--all shows them)")
    if opts.filtered_out:
        parts.append(f"{opts.filtered_out} filtered out")
    if opts.notes:
        # The format's limits belong in the verdict's line: a clean result from it is weaker.
        parts.append("[yellow]no states, wait times or parents in this format (see note)[/]")
    parts.append(f"{snapshot.unparsed} unparsed")
    warnings = len(snapshot.warnings) + len(opts.warnings)
    if warnings:
        where = "" if opts.warnings_inline else " on stderr"
        parts.append(f"[yellow]{plural(warnings, 'warning')}{where}[/]")
    return " · ".join(parts)


def _group_lines(
    index: int, a: Assessment, opts: TextOptions, located: dict[str, Path | None]
) -> list[str]:
    g = a.group
    if a.runtime:
        verdict, colour = "runtime", "dim"
    elif a.ignored is not None:
        verdict, colour = f"ignored: {literal(a.ignored)}", "dim"
    elif a.suspect:
        verdict, colour = "SUSPECT", "bold red"
    else:
        verdict, colour = "not suspect", "green"
    state = a.state or _unknown_state(a)
    head = (
        f"[bold]{index:>2}. {plural(g.count, 'goroutine')}[/] · {literal(state)} ({a.kind}) · "
        f"suspicion {a.suspicion:.2f} · [{colour}]{verdict}[/]"
    )
    lines = [head]
    pad = "    "

    def with_code(label: str, frame: Frame | None, note: str = "") -> None:
        lines.append(f"{pad}{label:<11} {site(frame)}{note}")
        if frame is not None:
            code = source_line(frame.file, frame.line, opts.source_roots, located)
            if code:
                if len(code) > _MAX_CODE:
                    code = code[: _MAX_CODE - 1] + "…"
                lines.append(f"{pad}{'':<11}   [cyan]{frame.line} │ {literal(code)}[/]")

    if a.runtime:
        with_code("runs", runtime_entry(g.frames))
    else:
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
        span = plural(low, "minute") if low == high else f"{low}–{high} minutes"
        lines.append(f"{pad}{'waiting':<11} {span}")
    if g.leaked:
        lines.append(f"{pad}{'leaked':<11} [red]{g.leaked} of {g.count}[/] (goroutineleak)")
    if a.overruled is not None:
        why = (
            "the runtime's proof wins" if a.proven else "not alone: started with suspect goroutines"
        )
        lines.append(f"{pad}{'ignore pack':<11} {literal(a.overruled)} would have hidden it; {why}")
    if g.labels:
        text = ", ".join(f"{k}={v}" for k, v in sorted(g.labels.items()))
        lines.append(f"{pad}{'labels':<11} {literal(text)}")
    for i, reason in enumerate(a.reasons):
        lines.append(f"{pad}{'why' if i == 0 else '':<11} {literal(reason)}")
    explanation = opts.explanations.get(g.signature)
    if explanation is not None:
        lines.extend(explanation_lines(explanation, pad))
    frames = list(g.frames) if opts.verbose else frames_that_matter(g.frames)
    more = 0
    if not opts.verbose and len(frames) > _MAX_FRAMES:
        more = len(frames) - _MAX_FRAMES
        frames = frames[:_MAX_FRAMES]
    for i, f in enumerate(frames):
        label = "frames" if i == 0 else ""
        lines.append(frame_line(label, f, pad))
        if opts.tree:
            code = source_line(f.file, f.line, opts.source_roots, located)
            if code:
                code = code if len(code) <= _MAX_CODE else code[: _MAX_CODE - 1] + "…"
                lines.append(f"{pad}{'':<11}   [cyan]│ {literal(code)}[/]")
    hidden = len(g.frames) - len(frames) - more
    if more or (hidden and not opts.verbose):
        word = plural(more + hidden, "more frame")
        lines.append(f"{pad}{'':<11} [dim]… {word} (-v shows all)[/]")
    return lines


def explanation_lines(e: Explanation, pad: str = "    ") -> list[str]:
    """Why the group's goroutines will never be released: the explanation, the rule that
    names the pattern, the places in the source that cause it, the evidence and the fix."""
    lines = [f"{pad}{'explains':<11} [bold]{literal(e.text)}[/]"]
    if e.rule:
        where = f"{Path(e.file).name}:{e.line}" if e.file else ""
        lines.append(
            f"{pad}{'pattern':<11} [magenta]{e.rule}[/]: {literal(e.title or e.message)} "
            f"[dim]({literal(where)})[/]"
        )
    for i, c in enumerate(e.causes[:6]):
        where = f"{Path(c.file).name}:{c.line}"
        code = c.code if len(c.code) <= _MAX_CODE else c.code[: _MAX_CODE - 1] + "…"
        lines.append(
            f"{pad}{'cause' if i == 0 else '':<11} {literal(where)} [cyan]│ {literal(code)}[/] "
            f"[dim]· {literal(c.note)}[/]"
        )
    for i, ev in enumerate(e.evidence):
        lines.append(f"{pad}{'evidence' if i == 0 else '':<11} {literal(ev)}")
    lines.append(f"{pad}{'fix':<11} [green]{literal(e.fix)}[/]")
    return lines


def render(
    console: Console, snapshot: Snapshot, groups: Sequence[Assessment], opts: TextOptions
) -> None:
    """Print the report: summary, source line, warnings, then each group shown."""

    lines: list[str] = []
    out = lines.append

    out(summary(snapshot, groups, opts))
    origin = [literal(snapshot.source)] if snapshot.source else []
    profile = f" ({literal(snapshot.profile)} profile)" if snapshot.profile != "goroutine" else ""
    origin.append(f"{snapshot.format}{profile}")
    if snapshot.go_version:
        origin.append(literal(snapshot.go_version))
    out(f"[dim]{' · '.join(origin)}[/]")
    if snapshot.deadlock:
        out(
            "[bold red]the runtime found a deadlock[/] (all goroutines are asleep): every "
            "blocked goroutine below is stuck for good, whatever the ignore packs say"
        )
    if opts.warnings_inline:
        for w in (*snapshot.warnings, *opts.warnings):
            out(f"[yellow]warning:[/] {literal(w)}")
    for note in opts.notes:
        out(f"[yellow]note:[/] {literal(note)}")
    located: dict[str, Path | None] = {}  # the source files found, by their name in the dump
    for i, a in enumerate(groups, 1):
        out("")
        lines += _group_lines(i, a, opts, located)
    if not groups:
        out("")
        out("no groups to show")
    print_markup(console, lines)
