"""cond-wait-no-loop: ``cond.Wait()`` that is not inside a loop re-checking its condition."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.flow import enclosing_loop
from goleash.lint.locks import owner, package_types
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, call_name, enclosing_function, nodes
from goleash.lint.types import COND, local_kind, receiver
from goleash.model import Finding


def _is_cond(ctx: FileContext, operand: Node, func: Node) -> bool:
    types = package_types(ctx)
    if operand.type == "selector_expression":
        base = operand.child_by_field_name("operand")
        name = operand.child_by_field_name("field")
        if name is None or base is None:
            return False
        var, type_name = receiver(owner(func))
        on_receiver = bool(var) and ctx.text(base) == var
        return types.field_kind(type_name if on_receiver else "", ctx.text(name)) == COND
    if operand.type == "identifier":
        return local_kind(ctx.source, ctx.text(operand), operand) == COND
    return False


def _guarded_or_handshake(ctx: FileContext, call: Node, operand: Node) -> bool:
    """Shapes that do not sleep forever: a Wait under an ``if`` that tested the condition (it
    may wake too early, but it does not miss the signal), a Wait right after this function
    signalled the same Cond (a handshake: the lock is held from the Signal to the Wait, so the
    answer cannot come first), and a Wait in a goroutine started in a loop (a wait converted
    into a channel, started again each round)."""
    func = enclosing_function(call)
    parent = call.parent
    while parent is not None and parent != func:
        if parent.type == "if_statement":
            return True
        parent = parent.parent
    cond = ctx.text(operand)
    body = func.child_by_field_name("body") if func is not None else None
    if body is not None:
        for other in nodes(body, "call_expression"):
            if other.start_byte >= call.start_byte:
                break
            if call_name(other) in (f"{cond}.Signal", f"{cond}.Broadcast"):
                return True
    return func is not None and func.type == "func_literal" and enclosing_loop(func) is not None


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report Wait calls on a sync.Cond with no enclosing loop in their function."""
    if b".Wait()" not in ctx.source or b"Cond" not in ctx.source:
        return
    for node in ctx.tree.root_node.named_children:
        if node.type not in ("function_declaration", "method_declaration"):
            continue
        body = node.child_by_field_name("body")
        if body is None or b".Wait()" not in ctx.source[body.start_byte : body.end_byte]:
            continue
        for call in nodes(body, "call_expression"):
            function = call.child_by_field_name("function")
            if function is None or function.type != "selector_expression":
                continue
            method = function.child_by_field_name("field")
            operand = function.child_by_field_name("operand")
            if method is None or operand is None or ctx.text(method) != "Wait":
                continue
            if enclosing_loop(call) is not None or not _is_cond(ctx, operand, node):
                continue
            if _guarded_or_handshake(ctx, call, operand):
                continue
            yield RULE.finding(
                ctx,
                call,
                f"`{ctx.text(call)}` is not in a loop: if the condition was signalled before "
                "this goroutine waited, or another waiter took what it waited for, it sleeps "
                "forever (wait in `for !condition { cond.Wait() }`)",
            )


RULE = Rule(
    id="cond-wait-no-loop",
    title="sync.Cond.Wait outside a loop that re-checks the condition",
    severity="warning",
    doc=RuleDoc(
        what=(
            "Finds `c.Wait()` on a `sync.Cond` (a field or local declared as one, or made by "
            "`sync.NewCond`) that is not inside a `for` loop in its function."
        ),
        why=(
            "A Cond does not remember signals: a `Signal` or `Broadcast` sent before the "
            "goroutine calls `Wait` is lost, and `Wait` can return while the condition is false "
            "again (another waiter was woken first). The sync documentation says to call Wait "
            "in a loop that re-checks the condition. Without the loop the goroutine can sleep "
            "forever in `sync.(*Cond).Wait`."
        ),
        example="""\
func (g *Gate) Pass() {
	g.mu.Lock()
	g.cond.Wait() // the Broadcast may already have happened
	g.mu.Unlock()
}
""",
        fix="""\
Wait in a loop on the condition itself, under the lock:
	g.mu.Lock()
	for !g.open {
		g.cond.Wait()
	}
	g.mu.Unlock()
""",
        known_problems=(
            "A Cond reached through a variable whose type the package does not declare is not "
            "recognised. A Wait in a loop that does not test the condition is accepted, and so "
            "are a Wait under an `if` that tested the condition first (it can wake early, not "
            "miss the signal), a Wait right after the same function signalled (a handshake "
            "under the lock), and a Wait in a goroutine started in a loop."
        ),
    ),
    check=check,
)
