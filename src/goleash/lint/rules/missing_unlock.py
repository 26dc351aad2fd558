"""missing-unlock: a Mutex/RWMutex locked, then a return path that leaves without unlocking."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.resources_flow import HeldPaths, anchored
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import (
    Node,
    call_name,
    enclosing_function,
    enclosing_statement,
    function_name,
    named_results,
    nodes,
    statements,
)
from goleash.model import Finding


def _releases_lock(node: Node, ctx: FileContext, unlock: str) -> bool:
    """A call of this very unlock, or of a helper whose name says it unlocks
    (``s.unlockAndWake()``). ``other.Unlock()`` releases another mutex, not this one."""
    for call in nodes(node, "call_expression"):
        name = call_name(call)
        last = name.rsplit(".", 1)[-1]
        if name == unlock or (last not in ("Unlock", "RUnlock") and "unlock" in last.lower()):
            return True
    return False


def _enters_holding(body: Node, unlock: str, lock: str, before: int) -> bool:
    """The function's first use of this mutex is an unlock: it is called with the lock held
    ("mu must be held"), lets go around slow work and takes it back for its caller."""
    for call in nodes(body, "call_expression"):
        if call.start_byte >= before:
            return False
        name = call_name(call)
        if name == unlock:
            return True
        if name == lock:
            return False
    return False


def _tracks_lock_state(body: Node, ctx: FileContext, unlock: str, after: int) -> bool:
    """An unlock guarded by a test that then goes on (``if locked { mu.Unlock() }``): the
    function records whether it holds the lock in a variable, which this rule cannot follow."""
    for stmt in nodes(body, "if_statement"):
        if stmt.start_byte < after or stmt.child_by_field_name("alternative") is not None:
            continue
        consequence = stmt.child_by_field_name("consequence")
        if consequence is None or not _releases_lock(consequence, ctx, unlock):
            continue
        if not nodes(consequence, "return_statement", "break_statement", "continue_statement"):
            return True
    return False


def _hands_over(ret: Node, ctx: FileContext, root: str, named: set[str]) -> bool:
    """Whether a return gives the locked object to the caller (who then owns the lock)."""
    values = [c for c in ret.named_children if c.type != "comment"]
    if not values:
        return root in named  # naked return of a named result
    for value in values:
        items = value.named_children if value.type == "expression_list" else [value]
        if any(item.type == "identifier" and ctx.text(item) == root for item in items):
            return True
    return False


def _last_statement(func: Node) -> Node | None:
    body = statements(func.child_by_field_name("body"))
    return body[-1] if body else None


def _check_lock(ctx: FileContext, call: Node) -> Finding | None:
    func = enclosing_function(call)
    if func is None or "lock" in function_name(func).lower():
        return None  # a lock wrapper locks on purpose; its partner unlocks
    locker = call_name(call)
    receiver, method = locker.rsplit(".", 1)
    unlock = f"{receiver}.{'RUnlock' if method == 'RLock' else 'Unlock'}"
    body = func.child_by_field_name("body")
    if body is None:
        return None
    # Intent: the function itself unlocks somewhere after locking. A function that only locks
    # hands the lock to its caller deliberately.
    if not any(
        call_name(c) == unlock and c.start_byte > call.end_byte
        for c in nodes(body, "call_expression")
    ):
        return None
    if _loop_or_defer_first(body, ctx, unlock, call.start_byte):
        return None
    stmt = enclosing_statement(call)
    if stmt is None:
        return None
    exits = HeldPaths(ctx, lambda node: _releases_lock(node, ctx, unlock)).leaks_after(stmt)
    last = _last_statement(func)
    if any(e.kind == "end" or (last is not None and e.node == last) for e in exits):
        return None  # the normal way out keeps the lock: held for the caller on purpose
    root = receiver.split(".", 1)[0]
    handed = named_results(func)
    leaks = [
        e
        for e in exits
        if e.kind == "continue"
        or (e.kind == "return" and not _hands_over(e.node, ctx, root, handed))
    ]
    if not leaks:
        return None
    # Checked last, only for the few locks with a leaking path (each walks the whole body).
    if _enters_holding(body, unlock, locker, call.start_byte):
        return None
    if _tracks_lock_state(body, ctx, unlock, call.end_byte):
        return None
    first = leaks[0]
    return RULE.finding(
        ctx,
        call,
        f"{locker}() is still held at the {first.kind} on line {first.line}: "
        f"every later {locker}() blocks forever (unlock on that path or `defer {unlock}()`)",
    )


def _loop_or_defer_first(func: Node, ctx: FileContext, unlock: str, before: int) -> bool:
    """An unlock that runs before this lock: deferred earlier, or earlier in the same loop."""
    for defer in nodes(func, "defer_statement"):
        if defer.start_byte >= before:
            break
        if _releases_lock(defer, ctx, unlock):
            return True
    for loop in nodes(func, "for_statement"):
        if loop.start_byte < before < loop.end_byte:
            for call in nodes(loop, "call_expression"):
                if call.start_byte >= before:
                    break
                if call_name(call) == unlock:
                    return True
    return False


def _is_lock_call(call: Node) -> bool:
    """``x.Lock()`` / ``x.RLock()`` itself: the word found in the source may sit in a string or
    broken syntax inside some other call (``log.Print("mu.Lock()")``, ``f(.Lock())``)."""
    function = call.child_by_field_name("function")
    if function is None or function.type != "selector_expression":
        return False
    field = function.child_by_field_name("field")
    return field is not None and field.text in (b"Lock", b"RLock")


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report Lock/RLock calls with a return path that does not release them."""
    if b"Lock()" not in ctx.source or b"Unlock()" not in ctx.source:
        return
    calls = anchored(ctx, b".Lock()", "call_expression") + anchored(
        ctx, b".RLock()", "call_expression"
    )
    for call in calls:
        stmt = call.parent
        if stmt is None or stmt.type != "expression_statement" or not _is_lock_call(call):
            continue
        finding = _check_lock(ctx, call)
        if finding is not None:
            yield finding


RULE = Rule(
    id="missing-unlock",
    title="Mutex locked and not unlocked on some return path",
    severity="error",
    doc=RuleDoc(
        what=(
            "Finds `mu.Lock()` / `mu.RLock()` (also on fields such as `s.mu`) with no deferred "
            "unlock and a `return` or `continue` that leaves while the lock is still held."
        ),
        why=(
            "A Go mutex is not released when the function returns. The next goroutine that "
            "locks it blocks forever, and every goroutine behind that one piles up: the "
            "classic forgotten-unlock deadlock that shows up as a growing number of goroutines "
            "in `sync.(*Mutex).Lock`."
        ),
        example="""\
func (c *Cache) Get(key string) (Item, error) {
	c.mu.Lock()
	item, ok := c.items[key]
	if !ok {
		return Item{}, ErrNotFound // c.mu is still locked
	}
	c.mu.Unlock()
	return item, nil
}
""",
        fix="""\
Unlock with `defer` right after locking (or unlock on every path):
	c.mu.Lock()
	defer c.mu.Unlock()
""",
        known_problems=(
            "Only functions that unlock the same mutex themselves are checked: a function that "
            "locks and returns holding the lock on its normal path (a lock helper whose partner "
            "unlocks), or whose name contains 'lock', is taken as deliberate. So is a function "
            "that unlocks the mutex before it first locks it (it is called with the lock held "
            "and hands it back), and one that unlocks under a test and goes on "
            "(`if locked { mu.Unlock() }`: the lock state lives in a variable). Calls to "
            "helpers whose name contains 'unlock' count as unlocking; `x.Unlock()` releases "
            "only `x`. Receivers are matched by their text, so `a.mu` and an alias of it are "
            "different mutexes to this rule."
        ),
    ),
    check=check,
)
