"""The static rules of ``goleash scan`` applied to a group of a dump: which finding describes
*this* group's wait.

For a group whose blocking and creation sites were found in the local source, a finding is
attached when:

1. it is on the blocking line (an abandoned send or receive, a range that never ends, the very
   ``Lock()`` a missing unlock leaves held);
2. else it is on the creation line (the ``go`` statement), of a rule about the goroutine it
   starts;
3. else it is in the same function above the blocking line that the blocking line belongs
   to: the loop with no way out that the goroutine waits in, the ``Lock()`` of the same mutex
   left held, the goroutine a ``WaitGroup`` waiter waits for that can skip ``Done``;
4. else it is a cancel function never called for the context the ``go`` statement hands on,
   when the goroutine waits in a select or on ``Done()``.

Each rule is only attached to groups whose kind of wait it can cause (an abandoned send to a
goroutine blocked sending), and only when the source still has the dump's function at that
line (the caller checks): a wrong explanation is worse than none.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from goleash.analysis.explain_source import GoSource
from goleash.analysis.suspects import Assessment
from goleash.model import Finding, Frame

__all__ = ["RULE_KINDS", "Site", "in_goroot", "match_rule", "rule_titles", "scan_files"]


@dataclass(frozen=True, slots=True)
class Site:
    """A frame of a group found in the local source: ``kind`` is "blocking" or "creation"."""

    frame: Frame
    path: Path
    kind: str
    source: GoSource | None  # None when the file no longer has the frame's function there


# The kinds of wait (goleash.analysis.waits.KINDS) each rule's pattern leaves goroutines in.
# Rules not listed here describe no blocked goroutine of their own (an unclosed body leaves
# net/http's goroutines behind, a client without timeout is declared far from any stack) and
# are never attached.
_KINDS: dict[str, frozenset[str]] = {
    "abandoned-send": frozenset({"chan-send"}),
    "abandoned-receive": frozenset({"chan-receive"}),
    "range-never-closed": frozenset({"chan-receive"}),
    "blocking-loop-no-exit": frozenset({"chan-send", "chan-receive", "select", "nil-chan"}),
    "ticker-loop-no-exit": frozenset({"chan-receive", "select"}),
    "missing-unlock": frozenset({"mutex", "rwmutex"}),
    "waitgroup-missing-done": frozenset({"waitgroup"}),
    "lost-cancel": frozenset({"select", "chan-receive"}),
}
# Rules whose finding sits on the statement the goroutine blocks at.
_AT_BLOCKING = frozenset(
    {
        "abandoned-send",
        "abandoned-receive",
        "range-never-closed",
        "blocking-loop-no-exit",
        "ticker-loop-no-exit",
        "missing-unlock",
    }
)
# Rules whose finding sits on the `go` statement and is about the goroutine it starts.
_AT_CREATION = frozenset({"waitgroup-missing-done", "lost-cancel"})
# Rules reported at a loop the goroutine waits inside.
_LOOPS = frozenset({"blocking-loop-no-exit", "ticker-loop-no-exit"})

_WAITGROUP = re.compile(r"(?:counted by|started with) ([\w.]+) but")
_LOCK_CALL = re.compile(r"([\w.\[\]()*]+?)\.(?:R?Lock)\(\)")
_CANCEL_TARGET = re.compile(r"^\s*(?:var\s+)?(\w+)\s*,\s*\w+\s*:?=")


RULE_KINDS: frozenset[str] = frozenset().union(*_KINDS.values())
RULE_WAITS: dict[str, frozenset[str]] = dict(_KINDS)  # rule id -> the kinds of wait it causes


def match_rule(
    a: Assessment,
    blocking: Site | None,
    creation: Site | None,
    findings: dict[Path, list[Finding]],
) -> tuple[Finding, Site] | None:
    """The finding that names the group's leak pattern, and the site it matched at."""

    def fits(f: Finding) -> bool:
        kinds = _KINDS.get(f.rule)
        if kinds is None:
            return False
        # debug=1 dumps print no wait reason: the line alone has to tell.
        return a.kind in kinds or (a.kind == "other" and not a.state)

    b_src = blocking.source if blocking is not None else None
    c_src = creation.source if creation is not None else None
    b_found = [f for f in findings.get(blocking.path, []) if fits(f)] if blocking else []
    c_found = [f for f in findings.get(creation.path, []) if fits(f)] if creation else []

    # 1. On the blocking line.
    if blocking is not None and b_src is not None:
        line = blocking.frame.line
        hits = [f for f in b_found if f.line == line and f.rule in _AT_BLOCKING]
        if hits:
            return hits[0], blocking
    # 2. On the `go` statement.
    if creation is not None and c_src is not None:
        line = creation.frame.line
        hits = [f for f in c_found if f.line == line and f.rule in _AT_CREATION]
        if hits and c_src.is_go_statement(line):
            return hits[0], creation
    # 3. Above the blocking line, in the function it belongs to.
    if blocking is not None and b_src is not None:
        hit = _above_blocking(b_src, blocking.frame.line, b_found)
        if hit is not None:
            return hit, blocking
    # 4. A context never cancelled, handed to the goroutine by its `go` statement: only
    # for goroutines that wait in a select or on Done(), as a context's users do.
    if creation is not None and c_src is not None:
        on_done = a.kind != "chan-receive" or (
            blocking is not None
            and b_src is not None
            and ".Done()" in b_src.line_text(blocking.frame.line)
        )
        hit = _cancel_above(c_src, creation.frame.line, c_found) if on_done else None
        if hit is not None:
            return hit, creation
    return None


def _above_blocking(src: GoSource, line: int, found: Iterable[Finding]) -> Finding | None:
    """The closest finding above ``line`` in the same function that explains a wait there."""
    func = src.function_at(line)
    if func is None:
        return None
    text = src.line_text(line)
    best: Finding | None = None
    for f in found:
        if f.line >= line or src.function_at(f.line, f.column) != func:
            continue
        if f.rule in _LOOPS:
            ok = src.loop_spans(f.line, f.column, line)
        elif f.rule == "missing-unlock":
            ok = _same_lock(src.line_text(f.line), f.column, text)
        elif f.rule == "waitgroup-missing-done":
            m = _WAITGROUP.search(f.message)
            ok = m is not None and f"{m.group(1)}.Wait()" in text
        else:
            ok = False
        if ok and (best is None or f.line > best.line):
            best = f
    if best is not None:
        return best
    # A WaitGroup waiter is often a closure of its own (`go func() { wg.Wait(); close(done) }()`)
    # in the function that starts the workers: look in the declared function around it.
    outer = src.outermost_at(line)
    for f in found:
        if f.rule != "waitgroup-missing-done" or src.outermost_at(f.line, f.column) != outer:
            continue
        m = _WAITGROUP.search(f.message)
        if outer is not None and m is not None and f"{m.group(1)}.Wait()" in text:
            if not src.declares(outer, m.group(1), line):
                continue
            return f
    return None


def _same_lock(finding_text: str, column: int, blocking_text: str) -> bool:
    """The blocking line locks the same mutex expression the finding's Lock() call names."""
    m = _LOCK_CALL.match(finding_text[max(column - 1, 0) :])
    if m is None:
        return False
    receiver = m.group(1)
    return f"{receiver}.Lock()" in blocking_text or f"{receiver}.RLock()" in blocking_text


def _cancel_above(src: GoSource, line: int, found: Iterable[Finding]) -> Finding | None:
    """A lost-cancel finding above the ``go`` statement at ``line``, in its function, whose
    context the statement hands to the goroutine."""
    if not src.is_go_statement(line):
        return None
    func = src.function_at(line)
    go_text = src.line_text(line)
    best: Finding | None = None
    for f in found:
        if f.rule != "lost-cancel" or f.line >= line:
            continue
        if src.function_at(f.line, f.column) != func:
            continue
        m = _CANCEL_TARGET.match(src.line_text(f.line))
        if m is None or re.search(rf"\b{re.escape(m.group(1))}\b", go_text) is None:
            continue
        if best is None or f.line > best.line:
            best = f
    return best


def scan_files(files: Sequence[Path], *, rules: Sequence[str] = ()) -> dict[Path, list[Finding]]:
    """Findings of every rule (or of ``rules``) in the given files and folders, by file."""
    from goleash.lint.config import ScanConfig
    from goleash.lint.engine import scan

    result = scan(files, config=ScanConfig(enable=tuple(rules), tests="exclude"))
    by_file: dict[Path, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_file[Path(f.file).resolve()].append(f)
    for found in by_file.values():
        found.sort(key=lambda f: (f.line, f.column, f.rule))
    return dict(by_file)


def rule_titles() -> dict[str, str]:
    """Rule id → title."""
    from goleash.lint.rules import all_rules

    return {r.id: r.title for r in all_rules()}


def in_goroot(path: Path) -> bool:
    """Whether a file is part of a Go installation's standard library (GOROOT/src/...)."""
    for parent in path.parents:
        if parent.name == "src" and (parent / "runtime" / "proc.go").is_file():
            return True
    return False
