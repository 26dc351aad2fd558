"""Go syntax through tree-sitter-go: parsing and small helpers over nodes shared by the rules."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import tree_sitter
import tree_sitter_go

Node = Any  # tree_sitter.Node; the bindings ship no precise stubs


@cache
def language() -> tree_sitter.Language:
    return tree_sitter.Language(tree_sitter_go.language())


def parse(source: bytes) -> tree_sitter.Tree:
    """Parse Go source; never raises on bad syntax (ERROR nodes mark what was not understood)."""
    return tree_sitter.Parser(language()).parse(source)


@cache
def query(pattern: str) -> tree_sitter.Query:
    """A compiled query, cached by its text."""
    compiled: tree_sitter.Query = tree_sitter.Query(language(), pattern)
    return compiled


def captures(pattern: str, node: Node) -> dict[str, list[Node]]:
    """Run a query under ``node``: capture name -> nodes in source order."""
    return tree_sitter.QueryCursor(query(pattern)).captures(node)


def descendants(node: Node, *types: str) -> Iterator[Node]:
    """Nodes of the given types under ``node`` (pre-order), including ``node`` itself."""
    cursor = node.walk()
    wanted = set(types)
    while True:
        if cursor.node.type in wanted:
            yield cursor.node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return
            if cursor.node == node:
                return
