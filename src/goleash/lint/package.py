"""One level of same-package summaries: does this helper close its argument, call it, never return?

Rules ask questions such as "is ``resp`` closed by ``drain(resp)``?" The index answers from the
bodies of the package's own functions, found by name (methods by their method name: without
types, same-named methods of different types are merged, leniently: a close in any of them
counts, "never returns" must hold for all). Summaries are computed on first request, so a scan
whose rules never ask pays nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from goleash.lint.flow import ends_path, inside_func_literal, never_ends
from goleash.lint.syntax import Node, captures, declarations, descendants, statements, text
from goleash.lint.types import PackageTypes

_PARAM_USES = """
(call_expression
  function: (selector_expression operand: (identifier) @recv field: (field_identifier) @method)
  (#any-of? @method "Close" "Done"))
(call_expression
  function: (selector_expression
    operand: (selector_expression operand: (identifier) @resp field: (field_identifier) @body)
    field: (field_identifier) @close)
  (#eq? @body "Body") (#eq? @close "Close"))
(call_expression function: (identifier) @called)
"""


@dataclass(frozen=True)
class FunctionSummary:
    """What one function does with its parameters (by position, receiver not counted)."""

    closes_param: frozenset[int] = frozenset()  # p.Close() or p.Body.Close(), anywhere
    calls_param: frozenset[int] = frozenset()  # p(...), e.g. a cancel func
    done_param: frozenset[int] = frozenset()  # p.Done(), e.g. a *sync.WaitGroup
    never_returns: bool = False


@dataclass
class _Function:
    node: Node
    source: bytes


@dataclass
class PackageIndex:
    """Summaries of the functions of one package (one folder's files), built lazily."""

    files: Sequence[tuple[bytes, Any]]  # (source, tree) of each file in the package
    _functions: dict[str, list[_Function]] | None = None
    _summaries: dict[str, FunctionSummary] = field(default_factory=dict)
    _in_progress: set[str] = field(default_factory=set)
    _types: PackageTypes | None = None

    def types(self) -> PackageTypes:
        """The package's declared types of fields and its methods by type (built once)."""
        if self._types is None:
            self._types = PackageTypes(self.files)
        return self._types

    def summary(self, name: str) -> FunctionSummary | None:
        """The merged summary of the package's functions and methods called ``name``."""
        if name in self._summaries:
            return self._summaries[name]
        functions = self._by_name().get(name)
        if not functions:
            return None
        if name in self._in_progress:  # recursion: assume nothing
            return FunctionSummary()
        self._in_progress.add(name)
        try:
            parts = [self._summarise(f) for f in functions]
        finally:
            self._in_progress.discard(name)
        merged = FunctionSummary(
            closes_param=frozenset().union(*(p.closes_param for p in parts)),
            calls_param=frozenset().union(*(p.calls_param for p in parts)),
            done_param=frozenset().union(*(p.done_param for p in parts)),
            never_returns=all(p.never_returns for p in parts),
        )
        self._summaries[name] = merged
        return merged

    def closes_argument(self, name: str, index: int) -> bool:
        """Whether ``name(…)`` closes its argument number ``index`` (0-based), or its ``.Body``."""
        s = self.summary(name)
        return s is not None and index in s.closes_param

    def calls_argument(self, name: str, index: int) -> bool:
        """Whether ``name(…)`` calls its argument number ``index`` as a function."""
        s = self.summary(name)
        return s is not None and index in s.calls_param

    def done_argument(self, name: str, index: int) -> bool:
        """Whether ``name(…)`` calls ``.Done()`` on its argument number ``index``."""
        s = self.summary(name)
        return s is not None and index in s.done_param

    def never_returns(self, name: str) -> bool:
        """Whether a call to ``name`` never comes back (exits, panics, loops forever)."""
        s = self.summary(name)
        return s is not None and s.never_returns

    def starts_goroutine(self, name: str) -> bool:
        """Whether a package function or method called ``name`` has a ``go`` statement."""
        return any(
            next(descendants(f.node, "go_statement"), None) is not None
            for f in self._by_name().get(name, ())
        )

    def _by_name(self) -> dict[str, list[_Function]]:
        if self._functions is None:
            self._functions = {}
            for source, tree in self.files:
                for fn in declarations(tree.root_node):
                    name_node = fn.child_by_field_name("name")
                    if name_node is None:
                        continue
                    name = text(source, name_node)
                    self._functions.setdefault(name, []).append(_Function(fn, source))
        return self._functions

    def _summarise(self, fn: _Function) -> FunctionSummary:
        body = fn.node.child_by_field_name("body")
        if body is None:
            return FunctionSummary()
        params = _parameter_positions(fn.node, fn.source)

        def position(node: Node) -> int | None:
            return params.get(text(fn.source, node))

        found = captures(_PARAM_USES, body)
        closes: set[int] = set()
        done: set[int] = set()
        calls: set[int] = set()
        for recv, method in zip(found.get("recv", []), found.get("method", []), strict=False):
            i = position(recv)
            if i is not None:
                (closes if method.text == b"Close" else done).add(i)
        for resp in found.get("resp", []):
            i = position(resp)
            if i is not None:
                closes.add(i)
        for called in found.get("called", []):
            i = position(called)
            if i is not None:
                calls.add(i)
        return FunctionSummary(
            closes_param=frozenset(closes),
            calls_param=frozenset(calls),
            done_param=frozenset(done),
            never_returns=self._never_returns(body),
        )

    def _never_returns(self, body: Node) -> bool:
        """Whether control reaches a statement that never lets it continue before any return."""
        for stmt in statements(body):
            if stmt.type == "return_statement":
                return False
            if _stops_here(stmt, self):
                return True
            if _may_return(stmt):
                return False
        return False


def _parameter_positions(fn: Node, source: bytes) -> dict[str, int]:
    """Parameter name -> position (the receiver is not counted)."""
    params = fn.child_by_field_name("parameters")
    positions: dict[str, int] = {}
    index = 0
    if params is None:
        return positions
    for decl in params.named_children:
        if decl.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        names = decl.children_by_field_name("name")
        if not names:
            index += 1
            continue
        for n in names:
            name = text(source, n)
            if name != "_":
                positions[name] = index
            index += 1
    return positions


def _stops_here(stmt: Node, index: PackageIndex) -> bool:
    """A statement after which control never continues."""
    if stmt.type == "select_statement":
        return bool(stmt.named_child_count == 0)  # select {}
    if stmt.type == "for_statement":
        return never_ends(stmt)
    return ends_path(stmt, index)


def _may_return(stmt: Node) -> bool:
    """Whether a statement contains a return (outside nested function literals)."""
    return any(not inside_func_literal(r, stmt) for r in descendants(stmt, "return_statement"))
