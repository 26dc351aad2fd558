"""Which leak pattern a group of a dump shows, and how to fix it: the dump joined with the source.

For each group that is not ignored, the blocking site and the creation site (paths as the dump
prints them, possibly from another machine) are mapped to local files, the static rules of
``goleash scan`` run once over those files, and a finding is attached to the group when it
describes *this* group:

1. a finding on the blocking line (an abandoned send or receive, a range that never ends, the
   very ``Lock()`` a missing unlock leaves held);
2. else a finding on the creation line (the ``go`` statement), of a rule about the goroutine it
   starts;
3. else a finding in the same function above the blocking line that the blocking line belongs
   to: the loop with no way out that the goroutine waits in, the ``Lock()`` of the same mutex
   left held, the goroutine a ``WaitGroup`` waiter waits for that can skip ``Done``;
4. else a cancel function never called for the context the ``go`` statement hands on, when the
   goroutine waits in a select or on ``Done()``.

Each rule is only attached to groups whose kind of wait it can cause (an abandoned send to a
goroutine blocked sending), and only when the source still has the dump's function at that
line: a wrong explanation is worse than none. Frames in the Go standard library are never
looked up. Source problems (unreadable files, no parser, syntax errors, a failing scan) leave
a group unexplained and never raise.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goleash.analysis.suspects import Assessment
from goleash.model import Finding, Frame
from goleash.sources.sourcefiles import locate, read_lines

__all__ = ["Explanation", "explain"]


@dataclass(frozen=True, slots=True)
class Explanation:
    """The static finding that names a group's leak pattern, and its fix."""

    rule: str  # e.g. "abandoned-send"
    title: str  # the rule's title
    message: str  # the finding's message
    fix: str  # one-sentence fix hint
    file: str  # where the finding is (local path)
    line: int
    site: str  # "blocking" or "creation": which site of the group it matches


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
_LOOP_TYPES = frozenset({"for_statement"})

_WAITGROUP = re.compile(r"(?:counted by|started with) ([\w.]+) but")
_LOCK_CALL = re.compile(r"([\w.\[\]()*]+?)\.(?:R?Lock)\(\)")
_CANCEL_TARGET = re.compile(r"^\s*(?:var\s+)?(\w+)\s*,\s*\w+\s*:?=")


def explain(
    assessments: Sequence[Assessment],
    *,
    source_roots: Sequence[Path] = (),
    resolve: Callable[[str], Path | None] | None = None,
) -> dict[str, Explanation]:
    """Signature → explanation for the groups whose leak pattern a static rule names.

    ``resolve`` maps a file as the dump prints it to a local file (default: the file itself,
    else under ``source_roots`` by ever shorter tails of its path, as ``--source`` does).
    Suspect groups come first in the result; ignored groups are never explained.
    """
    roots = tuple(source_roots)

    def find(file: str) -> Path | None:
        return resolve(file) if resolve is not None else locate(file, roots)

    chosen = [a for a in assessments if a.ignored is None and a.kind in _ALL_KINDS | {"other"}]
    chosen.sort(key=lambda a: not a.suspect)  # stable: suspects first, in the given order
    if not chosen:
        return {}
    try:
        return _Explainer(find).run(chosen)
    except Exception:  # source problems never fail the dump
        return {}


_ALL_KINDS: frozenset[str] = frozenset().union(*_KINDS.values())


@dataclass(frozen=True, slots=True)
class _Site:
    frame: Frame
    path: Path
    kind: str  # "blocking" | "creation"


class _Explainer:
    def __init__(self, find: Callable[[str], Path | None]) -> None:
        self._find = find
        self._paths: dict[str, Path | None] = {}
        self._sources: dict[Path, _Source | None] = {}

    def run(self, chosen: Sequence[Assessment]) -> dict[str, Explanation]:
        sites: dict[str, tuple[_Site | None, _Site | None]] = {}
        for a in chosen:
            group = a.group
            blocking = self._site(group.blocking_site, "blocking")
            creation = self._site(group.creation_site, "creation")
            if blocking is not None or creation is not None:
                sites[group.signature] = (blocking, creation)
        files = sorted({s.path for pair in sites.values() for s in pair if s is not None})
        if not files:
            return {}
        findings = _scan(files)
        if not findings:
            return {}
        titles = _titles()
        result: dict[str, Explanation] = {}
        for a in chosen:
            pair = sites.get(a.group.signature)
            if pair is None:
                continue
            try:
                match = self._match(a, *pair, findings)
            except Exception:  # a surprise in one file must not cost the others
                match = None
            if match is not None:
                finding, site = match
                result[a.group.signature] = Explanation(
                    rule=finding.rule,
                    title=titles.get(finding.rule, finding.rule),
                    message=finding.message,
                    fix=finding.fix,
                    file=finding.file,
                    line=finding.line,
                    site=site.kind,
                )
        return result

    def _site(self, frame: Frame | None, kind: str) -> _Site | None:
        if frame is None or frame.line < 1 or frame.is_plumbing:
            return None
        if frame.file not in self._paths:
            path = self._find(frame.file)
            if path is not None:
                try:
                    path = path.resolve()
                    if not path.is_file() or path.suffix != ".go" or _in_goroot(path):
                        path = None
                except OSError:
                    path = None
            self._paths[frame.file] = path
        path = self._paths[frame.file]
        return None if path is None else _Site(frame, path, kind)

    def _source(self, path: Path) -> _Source | None:
        if path not in self._sources:
            self._sources[path] = _Source.read(path)
        return self._sources[path]

    def _match(
        self,
        a: Assessment,
        blocking: _Site | None,
        creation: _Site | None,
        findings: dict[Path, list[Finding]],
    ) -> tuple[Finding, _Site] | None:
        def fits(f: Finding) -> bool:
            kinds = _KINDS.get(f.rule)
            if kinds is None:
                return False
            # debug=1 dumps print no wait reason: the line alone has to tell.
            return a.kind in kinds or (a.kind == "other" and not a.state)

        b_src = self._checked(blocking)
        c_src = self._checked(creation)
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

    def _checked(self, site: _Site | None) -> _Source | None:
        """The site's source, when it still has the dump's function at the dump's line."""
        if site is None:
            return None
        src = self._source(site.path)
        if src is None or not src.agrees(site.frame):
            return None
        return src


def _above_blocking(src: _Source, line: int, found: Iterable[Finding]) -> Finding | None:
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


def _cancel_above(src: _Source, line: int, found: Iterable[Finding]) -> Finding | None:
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


def _scan(files: Sequence[Path]) -> dict[Path, list[Finding]]:
    """Findings of every rule in the given files (their packages read for context), by file."""
    from goleash.lint.config import ScanConfig
    from goleash.lint.engine import scan

    result = scan(files, config=ScanConfig())
    by_file: dict[Path, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_file[Path(f.file).resolve()].append(f)
    for found in by_file.values():
        found.sort(key=lambda f: (f.line, f.column, f.rule))
    return dict(by_file)


def _titles() -> dict[str, str]:
    from goleash.lint.rules import all_rules

    return {r.id: r.title for r in all_rules()}


def _in_goroot(path: Path) -> bool:
    """Whether a file is part of a Go installation's standard library (GOROOT/src/...)."""
    for parent in path.parents:
        if parent.name == "src" and (parent / "runtime" / "proc.go").is_file():
            return True
    return False


_FUNCTION_TYPES = frozenset({"function_declaration", "method_declaration", "func_literal"})


class _Source:
    """One parsed Go file: which function each line belongs to."""

    def __init__(self, lines: tuple[str, ...], tree: Any) -> None:
        self._lines = lines
        self._root = tree.root_node

    @classmethod
    def read(cls, path: Path) -> _Source | None:
        lines = read_lines(str(path))
        if lines is None:
            return None
        try:
            from goleash.lint import syntax

            tree = syntax.parse(path.read_bytes())
        except Exception:  # no parser, unreadable: nothing to say about this file
            return None
        return cls(lines, tree)

    def line_text(self, line: int) -> str:
        return self._lines[line - 1] if 0 < line <= len(self._lines) else ""

    def _node(self, line: int, column: int | None = None) -> Any:
        text = self.line_text(line)
        if not text.strip():
            return None
        if column is None:
            column = len(text) - len(text.lstrip()) + 1
        # tree-sitter points count bytes; lines here are text.
        col = len(text[: column - 1].encode("utf-8"))
        return self._root.descendant_for_point_range((line - 1, col), (line - 1, col))

    def function_at(self, line: int, column: int | None = None) -> tuple[int, int] | None:
        """The innermost function (declaration, method or literal) around a position, as its
        byte range, or None at package level."""
        node = self._node(line, column)
        while node is not None and node.type not in _FUNCTION_TYPES:
            node = node.parent
        return None if node is None else (node.start_byte, node.end_byte)

    def _outermost(self, line: int, column: int | None = None) -> Any:
        node = self._node(line, column)
        outer = None
        while node is not None:
            if node.type in ("function_declaration", "method_declaration"):
                return node
            if node.type == "func_literal":
                outer = node
            node = node.parent
        return outer

    def outermost_at(self, line: int, column: int | None = None) -> tuple[int, int] | None:
        """The declared function or method around a position (through func literals)."""
        node = self._outermost(line, column)
        return None if node is None else (node.start_byte, node.end_byte)

    def declares(self, func: tuple[int, int], name: str, before_line: int) -> bool:
        """Whether the function at ``func`` mentions ``name`` before ``before_line``: the
        WaitGroup is one of its own, not a namesake in another function."""
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        node = self._root.descendant_for_byte_range(func[0], func[1])
        if node is None:
            return False
        first = int(node.start_point[0]) + 1
        return any(pattern.search(self.line_text(n)) for n in range(first, before_line))

    def agrees(self, frame: Frame) -> bool:
        """The file still has the frame's function at the frame's line (not a different
        version of the file than the binary was built from)."""
        node = self._outermost(frame.line)
        if node is None:
            return False
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return True  # a func literal at package level: no name to compare
        name = name_node.text.decode("utf-8", "replace")
        return name in _name_parts(frame.function)

    def is_go_statement(self, line: int) -> bool:
        node = self._node(line)
        while node is not None and node.type not in _FUNCTION_TYPES:
            if node.type == "go_statement":
                return int(node.start_point[0]) + 1 == line
            if node.type in ("block", "statement_list", "source_file"):
                break
            node = node.parent
        return False

    def loop_spans(self, line: int, column: int, inner: int) -> bool:
        """The loop that starts at ``line:column`` encloses line ``inner``."""
        node = self._node(line, column)
        while node is not None and node.type not in _LOOP_TYPES:
            if int(node.start_point[0]) + 1 != line or node.type in _FUNCTION_TYPES:
                return False
            node = node.parent
        if node is None:
            return False
        return int(node.start_point[0]) + 1 <= inner <= int(node.end_point[0]) + 1


def _name_parts(function: str) -> set[str]:
    """The name components of a function as tracebacks print it:
    ``example.com/x.(*T[...]).run.func1`` → {"T", "run", "func1", …}."""
    tail = function[function.rfind("/") + 1 :]
    tail = re.sub(r"\[[^\]]*\]", "", tail)
    return {p.strip("()*") for p in tail.split(".")}
