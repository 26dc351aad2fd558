"""Control flow without types, shared by every rule family and the package summaries.

Which calls never return, what a ``break`` leaves, which statements leave a loop, and which
loops never end. Everything is read from the syntax tree's structured statements; a call is
judged by its name and, for the package's own helpers, by the same-package summaries.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from goleash.lint.syntax import (
    FUNCTION_TYPES,
    Node,
    called,
    contains,
    descendants,
    endless_for,
    label_of_jump,
    walk,
)

if TYPE_CHECKING:
    from goleash.lint.package import PackageIndex

BREAKABLE_TYPES = frozenset(
    {"for_statement", "expression_switch_statement", "type_switch_statement", "select_statement"}
)

# Calls after which control never comes back: the process exits, the goroutine ends, a test
# stops or a logger panics. Methods by name whatever the receiver: *testing.T/B/F and the common
# loggers (log, klog, zap, logrus) alike.
_NO_RETURN_FUNCS = frozenset({"panic"})
_NO_RETURN_QUALIFIED = frozenset({"os.Exit", "runtime.Goexit", "syscall.Exit"})
_NO_RETURN_METHODS = frozenset(
    {"Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln", "FailNow", "SkipNow"}
)
# Stops a test on *testing.T/B/F; an ordinary method elsewhere (encoding/xml's Decoder.Skip).
_TEST_STOPS = frozenset({"Skip", "Skipf"})
_TEST_RECEIVERS = frozenset({"t", "b", "tb", "f"})


def never_returns_call(call: Node, package: PackageIndex | None) -> bool:
    """A call that never returns: panic, os.Exit, log.Fatal, t.FailNow, or a same-package
    function or method whose summary says it never returns."""
    function = called(call)
    if function is None:
        return False
    if function.type == "identifier":
        name = function.text.decode("utf-8", "replace")
        return name in _NO_RETURN_FUNCS or (package is not None and package.never_returns(name))
    if function.type != "selector_expression":
        return False
    operand = function.child_by_field_name("operand")
    member = function.child_by_field_name("field")
    if operand is None or member is None:
        return False
    method = member.text.decode("utf-8", "replace")
    receiver = operand.text.decode("utf-8", "replace")
    if method in _NO_RETURN_METHODS or f"{receiver}.{method}" in _NO_RETURN_QUALIFIED:
        return True
    if method in _TEST_STOPS and receiver in _TEST_RECEIVERS:
        return True
    return package is not None and package.never_returns(method)


def ends_path(stmt: Node, package: PackageIndex | None) -> bool:
    """Whether a statement is a call that never lets control continue."""
    if stmt.type != "expression_statement" or not stmt.named_child_count:
        return False
    call = stmt.named_children[0]
    return call.type == "call_expression" and never_returns_call(call, package)


def _label_target(jump: Node) -> Node | None:
    """The statement a labelled ``break``/``continue`` names (the labelled statement's body)."""
    name = label_of_jump(jump)
    parent = jump.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        if parent.type == "labeled_statement":
            own = parent.child_by_field_name("label")
            if own is not None and own.text.decode() == name:
                body = [c for c in parent.named_children if c.type != "label_name"]
                return body[0] if body else parent
        parent = parent.parent
    return None


def break_target(jump: Node) -> Node | None:
    """What a ``break`` leaves: the labelled statement or the nearest for/switch/select."""
    if label_of_jump(jump) is not None:
        return _label_target(jump)
    parent = jump.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        if parent.type in BREAKABLE_TYPES:
            return parent
        parent = parent.parent
    return None


def enclosing_loop(node: Node, stop: Node | None = None) -> Node | None:
    """Nearest ``for`` around ``node`` in the same function (never past ``stop``); a node in
    a loop's header (its clause) is not in that loop."""
    parent = node.parent
    while parent is not None and parent != stop and parent.type not in FUNCTION_TYPES:
        if parent.type == "for_statement" and not contains_header(parent, node):
            return parent
        parent = parent.parent
    return None


def contains_header(loop: Node, node: Node) -> bool:
    """Whether ``node`` sits in the loop's header (clause), not in its body."""
    body = loop.child_by_field_name("body")
    return body is None or not contains(body, node)


def inside_loop(node: Node, stop: Node | None) -> bool:
    """Whether a node sits inside a ``for`` statement below ``stop`` (usually its function)."""
    parent = node.parent
    while parent is not None and parent != stop:
        if parent.type == "for_statement":
            return True
        parent = parent.parent
    return False


def exits_loop(region: Node, loop: Node, package: PackageIndex | None) -> Node | None:
    """The first statement in ``region`` that leaves ``loop``, or None.

    Leaving is: return, goto, a break whose target is ``loop`` or encloses it, or a call that
    never returns. A plain ``break`` inside a select or switch only leaves that statement.
    """
    return next(loop_exits(region, loop, package), None)


def loop_exits(region: Node, loop: Node, package: PackageIndex | None) -> Iterator[Node]:
    """Every statement in ``region`` that leaves ``loop`` (see ``exits_loop``)."""
    for node in walk(region):
        kind = node.type
        if kind in ("return_statement", "goto_statement"):
            yield node
        elif kind == "break_statement":
            target = break_target(node)
            if target is not None and contains(target, loop):
                yield node
        elif kind == "call_expression" and never_returns_call(node, package):
            yield node


def never_ends(loop: Node) -> bool:
    """`for { … }` that nothing inside leaves: no return, goto or break out of it (a labelled
    break counts as leaving; closures are not looked into)."""
    if not endless_for(loop):
        return False
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for node in descendants(body, "return_statement", "break_statement", "goto_statement"):
        if node.type == "break_statement":
            if label_of_jump(node) is not None or break_target(node) == loop:
                return False
        elif not inside_func_literal(node, loop):
            return False
    return True


def inside_func_literal(node: Node, stop: Node) -> bool:
    """Whether a func literal lies between ``node`` and its ancestor ``stop``."""
    current = node.parent
    while current is not None and current != stop:
        if current.type == "func_literal":
            return True
        current = current.parent
    return False
