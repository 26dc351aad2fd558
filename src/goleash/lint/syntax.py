"""Go syntax through tree-sitter-go: parsing and small helpers over nodes shared by the rules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


def matches(pattern: str, node: Node) -> list[dict[str, list[Node]]]:
    """Run a query under ``node``: one capture dict per match, captures kept together."""
    return [found for _, found in tree_sitter.QueryCursor(query(pattern)).matches(node)]


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


# --- where a node sits -------------------------------------------------------------------------

FUNCTION_TYPES = frozenset({"function_declaration", "method_declaration", "func_literal"})


def text(source: bytes, node: Node) -> str:
    """The source text of a node (bytes decoded leniently)."""
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def line_of(node: Node) -> int:
    """1-based line of a node's start, as shown to users."""
    return int(node.start_point[0]) + 1


def contains(outer: Node, inner: Node) -> bool:
    """Whether ``inner`` lies within ``outer`` (by byte range; nodes of one tree)."""
    return bool(outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte)


def enclosing_function(node: Node) -> Node | None:
    """The innermost function declaration, method or func literal around ``node``."""
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        parent = parent.parent
    return parent


def outermost_function(node: Node) -> Node | None:
    """The declared function or method around ``node``, through any func literals; None at
    package level (a func literal in a package-level ``var`` is its own outermost function)."""
    func = enclosing_function(node)
    while func is not None and func.type == "func_literal":
        outer = enclosing_function(func)
        if outer is None:
            break
        func = outer
    return func


def function_name(func: Node) -> str:
    """The declared name of a function or method; empty for a func literal."""
    name = func.child_by_field_name("name")
    return "" if name is None else str(name.text.decode("utf-8", "replace"))


# Goroutines started from these live as long as the program, and main returning ends them all:
# nothing they block on is a leak.
PROGRAM_LIFETIME = frozenset({"main", "init"})


def program_lifetime(func: Node) -> bool:
    """Is ``func`` the top-level ``main`` or ``init`` function?"""
    return func.type == "function_declaration" and function_name(func) in PROGRAM_LIFETIME


def in_program_lifetime(node: Node) -> bool:
    """Whether ``node`` runs in ``main`` or ``init`` (or a func literal inside them)."""
    outer = outermost_function(node)
    return outer is not None and function_name(outer) in PROGRAM_LIFETIME


def enclosing_statement(node: Node) -> Node | None:
    """The statement (a direct child of a statement list) that contains a node, in the same
    function."""
    current = node
    while current.parent is not None and current.parent.type != "statement_list":
        if current.parent.type in FUNCTION_TYPES:
            return None
        current = current.parent
    return current if current.parent is not None else None


def named_results(func: Node) -> set[str]:
    """Names of a function's named results (a naked ``return`` hands them to the caller)."""
    result = func.child_by_field_name("result")
    if result is None or result.type != "parameter_list":
        return set()
    return {
        str(child.text.decode("utf-8", "replace"))
        for decl in result.named_children
        for child in decl.children_by_field_name("name")
    }


# --- what is under a node ----------------------------------------------------------------------


def walk(node: Node, into_closures: bool = False) -> Iterator[Node]:
    """Pre-order walk under ``node``; skips func literal bodies unless ``into_closures``."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and current.type == "func_literal" and not into_closures:
            continue
        stack.extend(reversed(current.children))


def nodes(node: Node, *types: str) -> list[Node]:
    """Nodes of the given types under ``node`` (itself included), in source order.

    A query runs in C: several times faster than walking the tree from Python, which matters
    because rules ask this of whole function bodies.
    """
    pattern = "[" + " ".join(f"({t})" for t in types) + "] @n"
    found = captures(pattern, node).get("n", [])
    return sorted(found, key=lambda n: (n.start_byte, -n.end_byte))


def identifiers(node: Node, name: str) -> Iterator[Node]:
    """Identifier nodes spelled ``name`` under a node (a query in C, a compare here)."""
    wanted = name.encode()
    for ident in captures("(identifier) @id", node).get("id", []):
        if ident.text == wanted:
            yield ident


def identifier_names(node: Node | None) -> set[str]:
    """The spellings of the identifiers under a node (func literal bodies not looked into)."""
    if node is None:
        return set()
    return {str(n.text.decode("utf-8", "replace")) for n in walk(node) if n.type == "identifier"}


def statements(node: Node | None) -> list[Node]:
    """The statements of a block, case clause or statement list, in order (comments left out)."""
    if node is None:
        return []
    if node.type == "statement_list":
        return [c for c in node.named_children if c.type != "comment"]
    if node.type == "block" or node.type in CASE_TYPES:
        for child in node.named_children:
            if child.type == "statement_list":
                return statements(child)
        return []
    return [node]


# --- small shapes ------------------------------------------------------------------------------

CASE_TYPES = frozenset({"expression_case", "type_case", "default_case", "communication_case"})


def unwrap_parens(node: Node) -> Node:
    """``(x)`` → ``x``."""
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def called(call: Node) -> Node | None:
    """The function part of a call expression (``f``, ``x.M``, a func literal)."""
    return call.child_by_field_name("function")


def call_name(call: Node) -> str:
    """The text of a call's function part: ``cancel``, ``mu.Unlock``, ``resp.Body.Close``."""
    function = call.child_by_field_name("function")
    return "" if function is None else str(function.text.decode("utf-8", "replace"))


def call_of_go(go_stmt: Node) -> Node | None:
    """The call a ``go`` (or ``defer``) statement makes."""
    return next((c for c in go_stmt.named_children if c.type == "call_expression"), None)


def go_call_literal(go_stmt: Node) -> Node | None:
    """The func literal a ``go func(){…}()`` starts, if it is one."""
    call = call_of_go(go_stmt)
    function = called(call) if call is not None else None
    if function is not None and function.type == "func_literal":
        return function
    return None


def endless_for(loop: Node) -> bool:
    """`for { … }`: a for statement with no clause and no condition."""
    return all(c.type in ("block", "comment") for c in loop.named_children)


def parameter_names(func: Node) -> list[str]:
    """Parameter names of a function, method or func literal, in order (receiver not counted)."""
    params = func.child_by_field_name("parameters")
    if params is None:
        return []
    return [
        str(n.text.decode("utf-8", "replace"))
        for decl in params.named_children
        for n in decl.children_by_field_name("name")
    ]


def label_of_jump(jump: Node) -> str | None:
    """The label a ``break``/``continue``/``goto`` names, or None."""
    for child in jump.named_children:
        if child.type == "label_name":
            return str(child.text.decode()) if child.text else None
    return None


def declarations_by_name(declarations: Iterable[Node]) -> dict[str, list[Node]]:
    """Function and method declarations grouped by their name."""
    found: dict[str, list[Node]] = {}
    for decl in declarations:
        found.setdefault(function_name(decl), []).append(decl)
    return found


def called_declarations(function: Node, declarations: dict[str, list[Node]]) -> list[Node]:
    """The same-file declarations a call's function part may name: functions for ``f``,
    methods for ``x.f`` (by method name: without types, any receiver). ``declarations`` is
    ``declarations_by_name`` of the file's function and method declarations."""
    if function.type == "identifier":
        name, kind = function.text, "function_declaration"
    elif function.type == "selector_expression":
        field = function.child_by_field_name("field")
        if field is None:
            return []
        name, kind = field.text, "method_declaration"
    else:
        return []
    wanted = name.decode("utf-8", "replace")
    return [d for d in declarations.get(wanted, ()) if d.type == kind]


_DECLARATIONS = """
(function_declaration name: (identifier)) @fn
(method_declaration name: (field_identifier)) @fn
"""
_NAME_TYPES = {"function_declaration": "identifier", "method_declaration": "field_identifier"}


def declarations(root: Node) -> list[Node]:
    """The file's function and method declarations that have a name, in source order.

    Go declares them only at the top level, so a tree without syntax errors needs no query (a
    query walks every node of the file); where error recovery may have put one deeper, the query
    finds it wherever it is.
    """
    if root.has_error:
        return list(captures(_DECLARATIONS, root).get("fn", []))
    found = []
    for child in root.named_children:
        wanted = _NAME_TYPES.get(child.type)
        if wanted is None:
            continue
        name = child.child_by_field_name("name")
        if name is not None and name.type == wanted:
            found.append(child)
    return found


def word_leaves(root: Node, source: bytes, word: bytes, kind: str) -> Iterator[Node]:
    """The leaves of type ``kind`` spelled exactly ``word``, in source order.

    ``word`` is found in the bytes (a substring search, far cheaper than a query, which walks
    every node of the file) and the tree is asked for the leaf there: the word inside a comment,
    a string or a longer name has no such leaf.
    """
    size = len(word)
    start = source.find(word)
    while start >= 0:
        node = root.descendant_for_byte_range(start, start + size)
        if (
            node is not None
            and node.type == kind
            and node.start_byte == start
            and node.end_byte == start + size
        ):
            yield node
        start = source.find(word, start + size)


def go_statements(root: Node, source: bytes) -> list[Node]:
    """Every ``go`` statement of a file, in source order (found from its ``go`` keyword)."""
    if root.has_error:  # error recovery may put one anywhere: the query finds it wherever
        return sorted(captures("(go_statement) @go", root).get("go", []), key=_in_order)
    return [
        keyword.parent
        for keyword in word_leaves(root, source, b"go", "go")
        if keyword.parent is not None and keyword.parent.type == "go_statement"
    ]


def _in_order(node: Node) -> tuple[int, int]:
    """Sort key: source order, an enclosing node before the nodes it contains."""
    return node.start_byte, -node.end_byte


# --- imports -----------------------------------------------------------------------------------


def imported_names(root: Node, source: bytes, import_path: str) -> set[str]:
    """The local names under which a file imports a package (usually its last path element)."""
    names: set[str] = set()
    if f'"{import_path}"'.encode() not in source:
        return names
    # Imports come first in a file: query only the import declarations, not the whole tree.
    specs: list[Node] = []
    for decl in root.named_children:
        if decl.type == "import_declaration":
            specs += captures("(import_spec) @spec", decl).get("spec", [])
        elif decl.type not in ("package_clause", "comment"):
            break
    for spec in specs:
        path_node = spec.child_by_field_name("path")
        if path_node is None or text(source, path_node).strip('"`') != import_path:
            continue
        alias = spec.child_by_field_name("name")
        if alias is None:
            names.add(import_path.rsplit("/", 1)[-1])
        elif alias.type == "package_identifier":
            names.add(text(source, alias))
    return names
