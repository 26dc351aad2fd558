"""double-lock: a method that holds a mutex calls a method of the same receiver that locks it
again (Go mutexes are not reentrant; a second RLock deadlocks once a writer waits)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from goleash.lint.locks import (
    first_event,
    functions_that_lock,
    held_at,
    lock_events,
    package_types,
)
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, enclosing_function, line_of, nodes
from goleash.lint.types import Method, PackageTypes, receiver
from goleash.model import Finding


def _callee(ctx: FileContext, call: Node, var: str, methods: dict[str, list[Method]]) -> str:
    """``r.helper(…)`` on the method's own receiver, naming a method of its type: 'helper'."""
    function = call.child_by_field_name("function")
    if function is None or function.type != "selector_expression":
        return ""
    base = function.child_by_field_name("operand")
    name = function.child_by_field_name("field")
    if base is None or name is None or ctx.text(base) != var:
        return ""
    spelled = ctx.text(name)
    return spelled if spelled in methods else ""


def _locks_first(ctx: FileContext, method: Method, key: str, types: PackageTypes) -> Node | None:
    """The lock call in ``method`` that takes ``key`` before any unlock of it, or None."""
    if method.source is not ctx.source:
        other = FileContext(ctx.path, method.source, None, ctx.go_version, ctx.is_test)
        events = lock_events(other, method.node, types, same_file=False)
    else:
        events = lock_events(ctx, method.node, types)
    first = first_event(events, key)
    return first.node if first is not None and first.acquires else None


def _calls_a_locking_method(
    ctx: FileContext, body: Node, var: str, methods: dict[str, list[Method]]
) -> bool:
    """A cheap test on the text before any tree work: ``var.name(`` for a method of the type
    whose body takes some lock."""
    text = ctx.source[body.start_byte : body.end_byte]
    for match in re.finditer(rb"\b" + re.escape(var.encode()) + rb"\.(\w+)\(", text):
        name = match.group(1).decode("utf-8", "replace")
        for method in methods.get(name, ()):
            node = method.node
            if b"Lock()" in method.source[node.start_byte : node.end_byte]:
                return True
    return False


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report the lock a same-receiver call takes again while the caller holds it."""
    if b"Lock()" not in ctx.source:
        return
    types = package_types(ctx)
    for decl in functions_that_lock(ctx, types):
        if decl.type != "method_declaration":
            continue
        var, type_name = receiver(decl)
        methods = types.methods_of(type_name)
        if not var or len(methods) < 2:
            continue
        events = [
            e for e in lock_events(ctx, decl, types) if e.key.startswith("@.") or e.key == "*"
        ]
        if not any(e.acquires for e in events):
            continue
        body = decl.child_by_field_name("body")
        if body is None or not _calls_a_locking_method(ctx, body, var, methods):
            continue
        for call in nodes(body, "call_expression"):
            name = _callee(ctx, call, var, methods)
            if not name or enclosing_function(call) != decl:
                continue  # a call in a goroutine or closure runs without the caller's locks
            if call.parent is not None and call.parent.type == "go_statement":
                continue  # `go s.helper()`: another goroutine, which waits its turn
            held = held_at(events, call)
            if not held:
                continue
            for key, taken in held.items():
                for method in methods[name]:
                    again = _locks_first(ctx, method, key, types)
                    if again is None:
                        continue
                    kind = "RLock" if ctx.text(taken.node).endswith("RLock()") else "Lock"
                    field = key[2:]
                    if method.source is ctx.source:
                        yield RULE.finding(
                            ctx,
                            again,
                            f"`{ctx.text(again)}` blocks forever when {name} is called from "
                            f"line {line_of(call)}, which already holds {field} ({kind} at "
                            f"line {line_of(taken.node)}): Go mutexes are not reentrant",
                        )
                    else:  # the helper is in another file: point at the call here
                        yield RULE.finding(
                            ctx,
                            call,
                            f"{name} locks {field} again while this method holds it ({kind} "
                            f"at line {line_of(taken.node)}): Go mutexes are not reentrant",
                        )
                    break


RULE = Rule(
    id="double-lock",
    title="Mutex locked again through a method of the same receiver",
    severity="error",
    doc=RuleDoc(
        what=(
            "Finds a method that holds one of its receiver's mutexes and calls another method "
            "of the same receiver that locks that mutex again before unlocking it: Lock then "
            "Lock, Lock then RLock, RLock then Lock, or RLock then RLock."
        ),
        why=(
            "sync.Mutex and sync.RWMutex are not reentrant. The second Lock waits for the first "
            "to be released, which never happens: the goroutine blocks forever in "
            "`sync.(*Mutex).Lock`, and every other goroutine that needs the mutex piles up "
            "behind it. A recursive RLock works until a writer calls Lock between the two: "
            "RWMutex then makes new readers wait for the writer, and the writer waits for the "
            "first reader (Tu et al. count 16 double-lock bugs among 85 blocking bugs in "
            "Docker, Kubernetes, etcd, CockroachDB, gRPC and BoltDB)."
        ),
        example="""\
func (s *Store) Put(k string, v int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[k] = v
	return s.size()
}

func (s *Store) size() int {
	s.mu.Lock() // blocks forever when called from Put
	defer s.mu.Unlock()
	return len(s.items)
}
""",
        fix="""\
Split the helper into a locked wrapper and an unlocked body the locked callers use:
	func (s *Store) size() int { s.mu.Lock(); defer s.mu.Unlock(); return s.sizeLocked() }
	func (s *Store) sizeLocked() int { return len(s.items) }
""",
        known_problems=(
            "One level of calls on the method's own receiver variable is followed (a helper in "
            "another file of the package is reported at the call). Mutexes are matched by "
            "receiver field (`s.mu` in one method and `x.mu` in the other are the same when "
            "both are the receivers); a helper reached through another variable or an "
            "interface is not followed. What is held follows source order: an unlock in a "
            "branch that goes on releases for the code after it."
        ),
    ),
    check=check,
)
