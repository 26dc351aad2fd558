"""Helpers shared by the resource rules: which paths hold a resource, finding words, WaitGroups.

The resource rules (lost cancel, missing unlock, unclosed body, tickers, WaitGroups) all ask the
same question of one function: after a resource is acquired, which exits (``return``, the end of
the function, ``continue`` to the next loop iteration) can be reached without releasing it?
``HeldPaths`` answers it over the syntax tree's structured control flow, with no types. It is
conservative where Go's control flow is irregular (``goto``, labelled jumps it cannot place): such
paths end silently rather than produce a finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from goleash.lint.flow import ends_path
from goleash.lint.rules.base import FileContext
from goleash.lint.syntax import (
    CASE_TYPES,
    FUNCTION_TYPES,
    Node,
    endless_for,
    label_of_jump,
    statements,
)

SWITCH_TYPES = ("expression_switch_statement", "type_switch_statement", "select_statement")

# Statements judged whole by ``releases``; compound ones are looked into instead.
_SIMPLE = {
    "expression_statement",
    "defer_statement",
    "go_statement",
    "assignment_statement",
    "short_var_declaration",
    "var_declaration",
    "return_statement",
    "send_statement",
}


@dataclass
class Exit:
    """A way out of the function (or loop iteration) reached while the resource is still held."""

    kind: str  # "return", "end" (falls off the function's end), "continue", "loop" (next iteration)
    node: Node

    @property
    def line(self) -> int:
        """1-based line of the exit (the closing brace for "end" and "loop")."""
        if self.kind in ("end", "loop"):
            return int(self.node.end_point[0]) + 1
        return int(self.node.start_point[0]) + 1


@dataclass
class _Paths:
    falls: bool = True  # some path reaches the end still holding
    returns: list[Node] = field(default_factory=list)
    breaks: list[Node] = field(default_factory=list)
    continues: list[Node] = field(default_factory=list)

    def absorb(self, other: _Paths) -> None:
        self.returns += other.returns
        self.breaks += other.breaks
        self.continues += other.continues


class HeldPaths:
    """Which exits follow an acquiring statement without a releasing statement on the way.

    ``releases(stmt)`` says whether a statement releases the resource (a call, a defer, a hand-off);
    it is asked about simple statements and about the headers of ``if``/``switch``. A release ends
    the path's interest; so do calls that never return.
    """

    def __init__(self, ctx: FileContext, releases: Callable[[Node], bool]) -> None:
        self._ctx = ctx
        self._releases = releases

    def leaks_after(self, acquire: Node) -> list[Exit]:
        """Exits reachable from just after the statement ``acquire`` while still holding."""
        exits: list[Exit] = []
        current = acquire
        pending_breaks: list[Node] = []
        pending_continues: list[Node] = []
        while current.parent is not None and current.parent.type == "statement_list":
            siblings = statements(current.parent)
            following = siblings[siblings.index(current) + 1 :] if current in siblings else []
            paths = self._walk(following)
            exits += [Exit("return", r) for r in paths.returns]
            pending_breaks += paths.breaks
            pending_continues += paths.continues
            falls = paths.falls
            container = current.parent.parent
            if container is None:
                break
            if container.type in CASE_TYPES:
                switch = container.parent
                if switch is None:
                    break
                label = self._label_of(switch)
                falls = falls or any(label_of_jump(b) in (None, label) for b in pending_breaks)
                pending_breaks = [
                    b for b in pending_breaks if label_of_jump(b) not in (None, label)
                ]
                current = switch
            elif container.type == "block":
                owner = container.parent
                if owner is None:
                    break
                if owner.type in FUNCTION_TYPES:
                    if falls:
                        exits.append(Exit("end", container))
                    break
                if owner.type == "for_statement":
                    label = self._label_of(owner)
                    for jump in pending_continues:
                        if label_of_jump(jump) in (None, label):
                            exits.append(Exit("continue", jump))
                    pending_continues = [
                        c for c in pending_continues if label_of_jump(c) not in (None, label)
                    ]
                    if falls:
                        exits.append(Exit("loop", container))
                    falls = any(label_of_jump(b) in (None, label) for b in pending_breaks)
                    pending_breaks = [
                        b for b in pending_breaks if label_of_jump(b) not in (None, label)
                    ]
                    current = owner
                elif owner.type == "if_statement":
                    while owner.parent is not None and owner.parent.type == "if_statement":
                        owner = owner.parent
                    current = owner
                elif owner.type == "statement_list":
                    current = container
                else:
                    break  # an unusual place (e.g. a block as an expression): stay quiet
            else:
                break
            if current.parent is not None and current.parent.type == "labeled_statement":
                current = current.parent
            if not falls:
                break
        return exits

    def leaks_in(self, body: Node) -> list[Exit]:
        """Exits of a function body reached without a release, holding from its first line."""
        paths = self._walk(statements(body))
        exits = [Exit("return", r) for r in paths.returns]
        if paths.falls:
            exits.append(Exit("end", body))
        return exits

    @staticmethod
    def _label_of(stmt: Node) -> str | None:
        parent = stmt.parent
        if parent is not None and parent.type == "labeled_statement":
            label = parent.child_by_field_name("label")
            if label is not None and label.text:
                return str(label.text.decode())
        return None

    def _walk(self, stmts: list[Node]) -> _Paths:
        out = _Paths()
        for stmt in stmts:
            step = self._statement(stmt)
            out.absorb(step)
            if not step.falls:
                out.falls = False
                return out
        return out

    def _statement(self, stmt: Node) -> _Paths:
        kind = stmt.type
        if kind in ("if_statement", "expression_switch_statement", "type_switch_statement"):
            header = [
                c
                for name in ("initializer", "condition", "value")
                if (c := stmt.child_by_field_name(name)) is not None
            ]
            if any(self._releases(h) for h in header):
                return _Paths(falls=False)
        elif kind in _SIMPLE and self._releases(stmt):
            return _Paths(falls=False)
        if kind == "return_statement":
            return _Paths(falls=False, returns=[stmt])
        if kind == "expression_statement":
            return _Paths(falls=not ends_path(stmt, self._ctx.package))
        if kind == "if_statement":
            then = self._walk(statements(stmt.child_by_field_name("consequence")))
            alternative = stmt.child_by_field_name("alternative")
            other = self._statement(alternative) if alternative is not None else _Paths()
            then.absorb(other)
            then.falls = then.falls or other.falls
            return then
        if kind == "block":
            return self._walk(statements(stmt))
        if kind == "for_statement":
            return self._loop(stmt)
        if kind in SWITCH_TYPES:
            return self._switch(stmt)
        if kind == "labeled_statement":
            inner = [c for c in stmt.named_children if c.type != "label_name"]
            if not inner:
                return _Paths()
            label = self._label_of(inner[0])
            out = self._statement(inner[0])
            mine = [b for b in out.breaks if label_of_jump(b) == label]
            out.breaks = [b for b in out.breaks if label_of_jump(b) != label]
            out.falls = out.falls or bool(mine)
            return out
        if kind == "break_statement":
            return _Paths(falls=False, breaks=[stmt])
        if kind == "continue_statement":
            return _Paths(falls=False, continues=[stmt])
        if kind == "goto_statement":
            return _Paths(falls=False)  # irregular flow: stay quiet rather than guess
        return _Paths()

    def _loop(self, stmt: Node) -> _Paths:
        body = self._walk(statements(stmt.child_by_field_name("body")))
        label = self._label_of(stmt)
        endless = endless_for(stmt)
        out = _Paths(returns=body.returns)
        out.breaks = [b for b in body.breaks if label_of_jump(b) not in (None, label)]
        out.continues = [c for c in body.continues if label_of_jump(c) not in (None, label)]
        leaves = any(label_of_jump(b) in (None, label) for b in body.breaks)
        out.falls = (not endless) or leaves
        return out

    def _switch(self, stmt: Node) -> _Paths:
        label = self._label_of(stmt)
        cases = [c for c in stmt.named_children if c.type in CASE_TYPES]
        out = _Paths(falls=False)
        for case in cases:
            paths = self._walk(statements(case))
            out.returns += paths.returns
            out.continues += paths.continues
            out.breaks += [b for b in paths.breaks if label_of_jump(b) not in (None, label)]
            if paths.falls or any(label_of_jump(b) in (None, label) for b in paths.breaks):
                out.falls = True
        has_default = any(c.type == "default_case" for c in cases)
        if stmt.type != "select_statement" and not has_default:
            out.falls = True
        return out


def anchored(ctx: FileContext, needle: bytes, node_type: str, climb: int = 4) -> list[Node]:
    """Nodes of ``node_type`` that contain an occurrence of ``needle`` near their start.

    Finding the few places a word occurs with ``bytes.find`` and asking the tree for the node
    there costs far less than a query over the whole tree; comments and strings fall out because
    no ``node_type`` node encloses them within ``climb`` levels.
    """
    found: list[Node] = []
    root = ctx.tree.root_node
    start = ctx.source.find(needle)
    while start >= 0:
        node = root.descendant_for_byte_range(start, start + len(needle))
        for _ in range(climb):
            if node is None or node.type == node_type:
                break
            node = node.parent
        if node is not None and node.type == node_type and node not in found:
            found.append(node)
        start = ctx.source.find(needle, start + len(needle))
    return found


def waitgroup_names(ctx: FileContext) -> set[str]:
    """Names that hold a sync.WaitGroup in this file: declared with that type, or made from it.

    Without types this is the best evidence that ``x.Add``/``x.Done`` belong to a WaitGroup and
    not to a counter, a set or a metrics gauge: names declared as ``sync.WaitGroup`` (variables,
    parameters, fields), bound to ``&sync.WaitGroup{}`` / ``new(sync.WaitGroup)``, or spelled
    like ``wg``. Computed once per file (two rules ask); callers must not change the set.
    """
    return ctx.memo("waitgroup_names", lambda: _waitgroup_names(ctx))


_DECL_TYPES = frozenset({"var_spec", "parameter_declaration", "field_declaration"})


def _waitgroup_names(ctx: FileContext) -> set[str]:
    names = {"wg"}
    if b"WaitGroup" not in ctx.source:
        return names
    # Both kinds of declaration contain the word: start from each place it occurs and look up
    # the tree, instead of two queries that walk every node of the file.
    root = ctx.tree.root_node
    seen: set[int] = set()
    start = ctx.source.find(b"WaitGroup")
    while start >= 0:
        end = start + len(b"WaitGroup")
        word = root.descendant_for_byte_range(start, end)
        node = word
        # A variable, parameter or field declared with a type whose text ends with the word
        # here: the nodes from the word up to that type all end where the word ends.
        while node is not None and node.end_byte == end:
            parent = node.parent
            if (
                parent is not None
                and parent.type in _DECL_TYPES
                and parent.child_by_field_name("type") == node
            ):
                names.update(ctx.text(n) for n in parent.children_by_field_name("name"))
            node = parent
        # ``x := …WaitGroup…``: every short variable declaration around the word.
        node = word
        while node is not None:
            if node.type == "short_var_declaration" and node.id not in seen:
                seen.add(node.id)
                text = ctx.text(node)
                left = node.child_by_field_name("left")
                if ":=" in text and left is not None and len(left.named_children) == 1:
                    names.add(ctx.text(left.named_children[0]))
            node = node.parent
        start = ctx.source.find(b"WaitGroup", end)
    return names


def waitgroup_of(receiver: str, names: set[str]) -> bool:
    """Whether ``x.Add``'s receiver text names a WaitGroup (``wg``, ``s.wg``, ``&wg``…)."""
    last = receiver.lstrip("&*(").rstrip(")").rsplit(".", 1)[-1]
    return last in names or last.lower().endswith(("wg", "waitgroup"))
