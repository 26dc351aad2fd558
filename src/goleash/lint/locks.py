"""Which mutexes a function holds where: lock events in source order, and per-method summaries.

The lock rules (blocking under a lock, double lock through a method, lock order) ask what a
function holds at a statement. The answer follows source order, as a reader does: a ``Lock``
adds the mutex, an ``Unlock`` removes it, a deferred unlock keeps it held to the end. An unlock
inside a block that then leaves (``if err != nil { mu.Unlock(); return err }``) releases only
that block's path, so code after the block still holds the lock. Mutexes are keyed by their
text, with the method's receiver written as ``@`` (``@.mu``), so two methods of one type name
the same mutex alike. Only values the package declares as sync.Mutex/RWMutex count, or, when
the declaration is not in the package, mutex-shaped calls on a field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from goleash.lint.rules.base import FileContext
from goleash.lint.syntax import FUNCTION_TYPES, Node, contains, nodes, statements, word_leaves
from goleash.lint.types import MUTEX, RWMUTEX, PackageTypes, receiver

LOCKS = {"Lock": "lock", "RLock": "rlock", "Unlock": "unlock", "RUnlock": "runlock"}
_LEAVING = ("return_statement", "break_statement", "continue_statement", "goto_statement")


def package_types(ctx: FileContext) -> PackageTypes:
    """The type facts of the file's package (of the file alone without a package index)."""
    if ctx.package is not None:
        return ctx.package.types()
    return ctx.memo("types", lambda: PackageTypes([(ctx.source, ctx.tree)]))


@dataclass(frozen=True)
class LockEvent:
    """One Lock/RLock/Unlock/RUnlock call of a function (not of closures inside it)."""

    op: str  # lock, rlock, unlock, runlock
    key: str  # the mutex, receiver written as "@": "@.mu", "mu", "c.mu"
    node: Node  # the call
    deferred: bool

    @property
    def acquires(self) -> bool:
        return self.op in ("lock", "rlock")


def owner(func: Node) -> Node:
    """The method or function declaration a function literal belongs to (itself otherwise)."""
    outer = func
    parent = func.parent
    while parent is not None:
        if parent.type in FUNCTION_TYPES:
            outer = parent
        parent = parent.parent
    return outer


def mutex_key(ctx: FileContext, operand: Node, func: Node, types: PackageTypes) -> str:
    """The key of a mutex expression if it is one ('' otherwise): ``@.mu`` for the receiver's
    field, the text for anything else."""
    spelled = ctx.text(operand)
    var, type_name = receiver(owner(func))
    if operand.type == "selector_expression":
        base = operand.child_by_field_name("operand")
        name = operand.child_by_field_name("field")
        if base is None or name is None:
            return ""
        field_name = ctx.text(name)
        on_receiver = bool(var) and ctx.text(base) == var
        kind = types.field_kind(type_name if on_receiver else "", field_name)
        if kind not in (MUTEX, RWMUTEX, ""):
            return ""
        if on_receiver:
            return f"@.{field_name}"
        return spelled
    if operand.type == "identifier":
        return spelled
    return ""


def lock_events(
    ctx: FileContext, func: Node, types: PackageTypes, *, same_file: bool = True
) -> list[LockEvent]:
    """The function's own lock calls, in source order (closures inside it are left out).
    ``same_file=False`` for a function of another file of the package (``ctx`` then carries
    that file's source)."""
    if same_file:
        return file_lock_events(ctx, types).get(func.id, [])
    return _events_of(ctx, _lock_calls(ctx, func), types).get(func.id, [])


def file_lock_events(ctx: FileContext, types: PackageTypes) -> dict[int, list[LockEvent]]:
    """Every function of the file that locks or unlocks: function node id -> its events.
    Computed once per file from the words Lock/Unlock in the source (no walk of the tree)."""
    return ctx.memo("lock-events", lambda: _events_of(ctx, _lock_calls(ctx, None), types))


# A name with "unlock" in it that is not the Unlock/RUnlock method itself: `unlock()`,
# `s.unlockAndWake()`, `mustUnlock()`.
_HELPER_WORD = re.compile(rb"\bunlock|\w[uU]nlock|[uU]nlock\w")


def _unlock_helpers(ctx: FileContext, within: Node) -> list[Node]:
    """Calls that may release any lock: ``unlock()``, ``s.unlockAll()``, a deferred-once unlock
    held in a variable. What they release is unknown, so they count as releasing all."""
    found = []
    for call in nodes(within, "call_expression"):
        function = call.child_by_field_name("function")
        if function is None:
            continue
        if function.type == "selector_expression":
            function = function.child_by_field_name("field")
        if function is None or function.type not in ("identifier", "field_identifier"):
            continue
        name = ctx.text(function)
        if name not in LOCKS and "unlock" in name.lower():
            found.append(call)
    return found


def _lock_calls(ctx: FileContext, within: Node | None) -> list[Node]:
    """Calls ``x.Lock()``, ``x.RUnlock()``… in the file (or under ``within``), source order."""
    if within is not None:
        return [
            call
            for call in nodes(within, "call_expression")
            if (name := _method_name(call)) is not None and ctx.text(name) in LOCKS
        ]
    if b"Lock()" not in ctx.source:
        return []
    root = ctx.tree.root_node
    calls = []
    for word in LOCKS:
        for leaf in word_leaves(root, ctx.source, word.encode(), "field_identifier"):
            selector = leaf.parent
            call = selector.parent if selector is not None else None
            if (
                selector is not None
                and selector.type == "selector_expression"
                and call is not None
                and call.type == "call_expression"
                and call.child_by_field_name("function") == selector
            ):
                calls.append(call)
    calls.sort(key=lambda c: c.start_byte)
    return calls


def _method_name(call: Node) -> Node | None:
    function = call.child_by_field_name("function")
    if function is None or function.type != "selector_expression":
        return None
    return function.child_by_field_name("field")


def _events_of(
    ctx: FileContext, calls: list[Node], types: PackageTypes
) -> dict[int, list[LockEvent]]:
    events: dict[int, list[LockEvent]] = {}
    for call in calls:
        if call.child_by_field_name("function").type != "selector_expression":
            continue
        function = call.child_by_field_name("function")
        method = function.child_by_field_name("field")
        operand = function.child_by_field_name("operand")
        if method is None or operand is None:
            continue
        args = call.child_by_field_name("arguments")
        if args is not None and args.named_child_count:
            continue
        func = _function_of(call)
        if func is None:
            continue
        key = mutex_key(ctx, operand, func, types)
        if not key:
            continue
        deferred = call.parent is not None and call.parent.type == "defer_statement"
        events.setdefault(func.id, []).append(
            LockEvent(LOCKS[ctx.text(method)], key, call, deferred)
        )
    for func_id, found in events.items():
        func = _function_of(found[0].node)
        body = func.child_by_field_name("body") if func is not None else None
        if body is None or not _HELPER_WORD.search(ctx.source[body.start_byte : body.end_byte]):
            continue
        helpers = [h for h in _unlock_helpers(ctx, body) if _function_of(h) == func]
        if helpers:
            merged = found + [
                LockEvent(
                    "unlock", "*", h, h.parent is not None and h.parent.type == "defer_statement"
                )
                for h in helpers
            ]
            events[func_id] = sorted(merged, key=lambda e: e.node.start_byte)
    return events


def functions_that_lock(ctx: FileContext, types: PackageTypes) -> list[Node]:
    """The file's functions (declarations and literals) that take a lock, in source order."""
    found: dict[int, Node] = {}
    for events in file_lock_events(ctx, types).values():
        if any(e.acquires for e in events):
            func = _function_of(events[0].node)
            if func is not None:
                found[func.id] = func
    return sorted(found.values(), key=lambda f: f.start_byte)


def _function_of(node: Node) -> Node | None:
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        parent = parent.parent
    return parent


def _releases_here(unlock: Node, at: Node) -> bool:
    """Whether an unlock before ``at`` is on ``at``'s path: not inside a block that leaves
    (return/break/continue) without containing ``at``."""
    block = unlock.parent
    while block is not None and block.type not in FUNCTION_TYPES:
        if block.type == "block" and not contains(block, at):
            body = statements(block)
            if body and body[-1].type in _LEAVING:
                return False
        if contains(block, at):
            return True
        block = block.parent
    return True


def held_at(events: list[LockEvent], at: Node) -> dict[str, LockEvent]:
    """The mutexes held just before ``at``: key -> the lock call that took it."""
    held: dict[str, LockEvent] = {}
    for event in events:
        if event.node.start_byte >= at.start_byte:
            break
        if event.acquires:
            held[event.key] = event
        elif event.key == "*" and not event.deferred and _releases_here(event.node, at):
            held.clear()  # an unlock helper: it may release any of them
        elif not event.deferred and event.key in held and _releases_here(event.node, at):
            del held[event.key]
    return held


def first_event(events: list[LockEvent], key: str) -> LockEvent | None:
    """The first lock or unlock of a mutex in a function (deferred unlocks skipped)."""
    return next((e for e in events if e.key == key and not e.deferred), None)
