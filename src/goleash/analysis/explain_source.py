"""One parsed Go file, asked the questions an explanation needs: which function, loop, lock or
channel a line of a stack belongs to.

Lines are as Go counts them (``goleash.sources.sourcefiles.read_lines``); tree-sitter positions
count bytes, so columns are converted. Nothing here raises on odd source: a question it cannot
answer gets None or an empty answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goleash.model import Frame
from goleash.sources.sourcefiles import read_lines

__all__ = ["GoSource", "Loop", "name_parts"]

Node = Any  # tree_sitter.Node

FUNCTION_TYPES = frozenset({"function_declaration", "method_declaration", "func_literal"})
_BREAKABLE = frozenset(
    {"for_statement", "select_statement", "expression_switch_statement", "type_switch_statement"}
)


@dataclass(frozen=True, slots=True)
class Loop:
    """A ``for`` statement around a line."""

    line: int  # the line of ``for``
    end_line: int
    header: str  # the ``for …`` line, stripped
    endless: bool  # ``for {`` or ``for range`` over a ticker: no condition ends it
    exits: tuple[int, ...]  # lines of the returns, breaks and gotos that leave it


class GoSource:
    """One parsed Go file: which function, loop and statement each line belongs to."""

    def __init__(self, path: Path, lines: tuple[str, ...], tree: Any) -> None:
        self.path = path
        self._lines = lines
        self._root = tree.root_node

    @classmethod
    def read(cls, path: Path) -> GoSource | None:
        """The parsed file, or None when it cannot be read or parsed."""
        lines = read_lines(str(path))
        if lines is None:
            return None
        try:
            from goleash.lint import syntax

            tree = syntax.parse("\n".join(lines).encode("utf-8", "replace"))
        except Exception:  # no parser, unreadable: nothing to say about this file
            return None
        return cls(path, lines, tree)

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def line_text(self, line: int) -> str:
        """The text of a line (1-based), or "" past the end."""
        return self._lines[line - 1] if 0 < line <= len(self._lines) else ""

    def node_at(self, line: int, column: int | None = None) -> Node:
        """The smallest node at a position (the first non-blank column by default)."""
        text = self.line_text(line)
        if not text.strip():
            return None
        if column is None:
            column = len(text) - len(text.lstrip()) + 1
        col = len(text[: column - 1].encode("utf-8"))
        return self._root.descendant_for_point_range((line - 1, col), (line - 1, col))

    def _function_node(self, line: int, column: int | None = None) -> Node:
        node = self.node_at(line, column)
        while node is not None and node.type not in FUNCTION_TYPES:
            node = node.parent
        return node

    def function_at(self, line: int, column: int | None = None) -> tuple[int, int] | None:
        """The innermost function (declaration, method or literal) around a position, as its
        byte range, or None at package level."""
        node = self._function_node(line, column)
        return None if node is None else (node.start_byte, node.end_byte)

    def function_lines(self, line: int) -> tuple[int, int] | None:
        """First and last line of the innermost function around a line."""
        node = self._function_node(line)
        if node is None:
            return None
        return int(node.start_point[0]) + 1, int(node.end_point[0]) + 1

    def _outermost(self, line: int, column: int | None = None) -> Node:
        node = self.node_at(line, column)
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

    def declared_name(self, line: int) -> str:
        """The name of the declared function or method around a line ("" if none)."""
        node = self._outermost(line)
        name = node.child_by_field_name("name") if node is not None else None
        return "" if name is None else str(name.text.decode("utf-8", "replace"))

    def receiver(self, line: int) -> tuple[str, str] | None:
        """(variable, type) of the method receiver around a line: ``(inv, inventory)``."""
        node = self._outermost(line)
        if node is None or node.type != "method_declaration":
            return None
        params = node.child_by_field_name("receiver")
        if params is None:
            return None
        for decl in params.named_children:
            if decl.type != "parameter_declaration":
                continue
            name = decl.child_by_field_name("name")
            typ = decl.child_by_field_name("type")
            type_text = "" if typ is None else typ.text.decode("utf-8", "replace")
            type_name = re.sub(r"\[.*", "", type_text).lstrip("*").strip()
            var = "" if name is None else name.text.decode("utf-8", "replace")
            return var, type_name
        return None

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
        return name in name_parts(frame.function)

    def is_go_statement(self, line: int) -> bool:
        """Whether a ``go`` statement starts on the line."""
        node = self.node_at(line)
        while node is not None and node.type not in FUNCTION_TYPES:
            if node.type == "go_statement":
                return int(node.start_point[0]) + 1 == line
            if node.type in ("block", "statement_list", "source_file"):
                break
            node = node.parent
        return False

    def loop_spans(self, line: int, column: int, inner: int) -> bool:
        """The loop that starts at ``line:column`` encloses line ``inner``."""
        node = self.node_at(line, column)
        while node is not None and node.type != "for_statement":
            if int(node.start_point[0]) + 1 != line or node.type in FUNCTION_TYPES:
                return False
            node = node.parent
        if node is None:
            return False
        return int(node.start_point[0]) + 1 <= inner <= int(node.end_point[0]) + 1

    def loop_around(self, line: int) -> Loop | None:
        """The innermost ``for`` around a line, in the same function, with the ways out of it."""
        node = self.node_at(line)
        while node is not None and node.type not in FUNCTION_TYPES:
            if node.type == "for_statement" and int(node.start_point[0]) + 1 <= line:
                return self._loop(node)
            node = node.parent
        return None

    def _loop(self, loop: Node) -> Loop:
        first = int(loop.start_point[0]) + 1
        clauses = [c for c in loop.named_children if c.type not in ("block", "comment")]
        header = self.line_text(first).strip()
        over_ticker = bool(
            clauses
            and clauses[0].type == "range_clause"
            and re.search(r"range\s+[\w.]*\.C\b|range\s+time\.Tick\(", header)
        )
        exits: list[int] = []
        stack = [c for c in loop.children if c.type == "block"]
        while stack:
            node = stack.pop()
            if node.type == "func_literal":
                continue
            if node.type in ("return_statement", "goto_statement") or (
                node.type == "break_statement" and self._breaks_out(node, loop)
            ):
                exits.append(int(node.start_point[0]) + 1)
            elif node.type == "call_expression":
                func = node.child_by_field_name("function")
                name = "" if func is None else func.text.decode("utf-8", "replace")
                if name in ("panic", "os.Exit", "log.Fatal", "log.Fatalf", "runtime.Goexit"):
                    exits.append(int(node.start_point[0]) + 1)
            stack.extend(node.children)
        return Loop(
            line=first,
            end_line=int(loop.end_point[0]) + 1,
            header=header,
            endless=not clauses or over_ticker,
            exits=tuple(sorted(exits)),
        )

    @staticmethod
    def _breaks_out(brk: Node, loop: Node) -> bool:
        if any(c.type == "label_name" for c in brk.named_children):
            return True  # a labelled break leaves this loop or one around it
        node = brk.parent
        while node is not None and node != loop:
            if node.type in _BREAKABLE:
                return False  # breaks the inner select, switch or for
            node = node.parent
        return bool(node == loop)

    def select_cases(self, line: int) -> list[str]:
        """The channel operations of the ``select`` at a line, as written (``<-ctx.Done()``)."""
        node = self.node_at(line)
        while node is not None and node.type != "select_statement":
            if node.type in FUNCTION_TYPES or int(node.start_point[0]) + 1 != line:
                return []
            node = node.parent
        if node is None:
            return []
        cases: list[str] = []
        for case in node.named_children:
            if case.type == "communication_case":
                comm = case.child_by_field_name("communication")
                if comm is not None:
                    cases.append(comm.text.decode("utf-8", "replace"))
        return cases

    def lines_between(self, first: int, last: int) -> list[tuple[int, str]]:
        """(number, text) of the lines from ``first`` to ``last`` inclusive, within the file."""
        first = max(first, 1)
        last = min(last, len(self._lines))
        return [(n, self._lines[n - 1]) for n in range(first, last + 1)]


def name_parts(function: str) -> set[str]:
    """The name components of a function as tracebacks print it:
    ``example.com/x.(*T[...]).run.func1`` → {"T", "run", "func1", …}."""
    tail = function[function.rfind("/") + 1 :]
    tail = re.sub(r"\[[^\]]*\]", "", tail)
    return {p.strip("()*") for p in tail.split(".")}
