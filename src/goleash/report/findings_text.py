"""Scan findings as a compiler prints diagnostics::

    svc/fetch.go:42:3: error abandoned-send: send on ch can block forever: …
        ch <- v
        ^~~~~~~
      fix: give ch a buffer of 1, or select on ctx.Done() around the send

Colour only when asked (on a terminal). The summary line goes to stderr, apart from findings.
"""

from __future__ import annotations

from functools import lru_cache

import click

from goleash.lint.engine import ScanResult
from goleash.model import Finding

_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}
_MAX_UNDERLINE = 60


@lru_cache(maxsize=64)
def _source_lines(path: str) -> tuple[bytes, ...]:
    try:
        with open(path, "rb") as f:
            return tuple(f.read().splitlines())
    except OSError:
        return ()


def code_excerpt(finding: Finding) -> tuple[str, str] | None:
    """The finding's source line and a caret line under its column, or None if unreadable."""
    lines = _source_lines(finding.file)
    if not 0 < finding.line <= len(lines):
        return None
    raw = lines[finding.line - 1]
    prefix = raw[: max(finding.column - 1, 0)].decode("utf-8", "replace")
    # Keep tabs as tabs so the caret lines up however the terminal expands them.
    pad = "".join("\t" if ch == "\t" else " " for ch in prefix)
    width = 1
    if finding.end_line == finding.line and finding.end_column:
        span = raw[finding.column - 1 : finding.end_column - 1].decode("utf-8", "replace")
        width = max(1, min(len(span), _MAX_UNDERLINE))
    return raw.decode("utf-8", "replace"), pad + "^" + "~" * (width - 1)


def render_finding(finding: Finding, *, colour: bool = False) -> str:
    """One finding: the location line, the code with a caret, the fix hint."""

    def style(text: str, **kw: object) -> str:
        return click.style(text, **kw) if colour else text  # type: ignore[arg-type]

    head = (
        style(f"{finding.file}:{finding.line}:{finding.column}:", bold=True)
        + " "
        + style(finding.severity, fg=_COLOURS.get(finding.severity), bold=True)
        + " "
        + style(finding.rule, bold=True)
        + ": "
        + finding.message
    )
    out = [head]
    excerpt = code_excerpt(finding)
    if excerpt is not None:
        code, caret = excerpt
        out.append(f"    {code}")
        out.append("    " + style(caret, fg="green", bold=True))
    if finding.fix:
        out.append("  " + style("fix:", fg="cyan") + f" {finding.fix}")
    return "\n".join(out)


def render_findings(result: ScanResult, *, colour: bool = False) -> str:
    """Every finding, in the scan's order, separated by blank lines ("" when there are none)."""
    return "\n\n".join(render_finding(f, colour=colour) for f in result.findings)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def summary_line(result: ScanResult) -> str:
    """One line for stderr: findings, files, lines, time; files that did not parse cleanly."""
    text = (
        f"{_plural(len(result.findings), 'finding')} in "
        f"{_plural(result.files_with_findings, 'file')} "
        f"({_plural(result.lines_scanned, 'line')} in "
        f"{_plural(result.files_scanned, 'file')} scanned in {result.seconds:.2f} s"
    )
    if result.cached_packages:
        text += f", {result.cached_packages}/{result.packages} packages from cache"
    text += ")"
    if result.parse_errors:
        text += (
            f"; {_plural(len(result.parse_errors), 'file')} with syntax goleash could not "
            "parse (findings there may be missing)"
        )
    return text


def unparsed_lines(result: ScanResult) -> list[str]:
    """One line per file the grammar could not fully read: where, and which functions were
    therefore not analysed (for stderr, next to the warnings)."""
    lines = []
    for path, errors in result.parse_errors:
        first, skipped = result.unparsed.get(path, (0, ()))
        where = f"{path}:{first}" if first else path
        text = f"{where}: syntax goleash could not read ({_plural(errors, 'place')})"
        functions = [s for s in skipped if s != "top level"]
        if functions:
            shown = ", ".join(functions[:5]) + (
                f" and {len(functions) - 5} more" if len(functions) > 5 else ""
            )
            text += f"; not analysed: {shown}"
        else:
            text += "; findings there may be missing"
        lines.append(text)
    return lines


def profile_lines(result: ScanResult) -> list[str]:
    """Time spent in each rule, slowest first (from a scan run with profiling on)."""
    total = sum(result.rule_seconds.values())
    lines = [f"rule time: {total:.2f} s over {_plural(result.files_scanned, 'file')}"]
    for rule_id, seconds in sorted(result.rule_seconds.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {seconds:8.3f} s  {rule_id}")
    return lines
