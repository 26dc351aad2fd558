"""ticker-loop-no-exit: ``for range ticker.C`` (or ``time.Tick``) with no way out of the loop."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.flow import ends_path
from goleash.lint.locks import package_types
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import (
    Node,
    call_of_go,
    captures,
    enclosing_function,
    function_name,
    in_program_lifetime,
    nodes,
)
from goleash.lint.types import TICKER, local_kind
from goleash.model import Finding

_RANGES = "(for_statement (range_clause right: (_)) body: (block)) @loop"

_EXITS = ("return_statement", "break_statement", "goto_statement")


def _ticker_channel(ctx: FileContext, over: Node, time_names: set[str]) -> str:
    """The ticker the loop ranges over, as written, or '' when it is not a ticker."""
    text = ctx.text(over)
    if over.type == "call_expression":
        func = over.child_by_field_name("function")
        if func is not None and ctx.text(func) in {f"{n}.Tick" for n in time_names}:
            return text
        return ""
    if over.type != "selector_expression" or not text.endswith(".C"):
        return ""
    base = over.child_by_field_name("operand")
    if base is None:
        return ""
    if "tick" in ctx.text(base).rsplit(".", 1)[-1].lower():
        return text
    if base.type == "identifier" and local_kind(ctx.source, ctx.text(base), over) == TICKER:
        return text  # `beat := time.NewTicker(d)`, `var t *time.Ticker`, a *time.Ticker param
    if base.type == "selector_expression":
        field = base.child_by_field_name("field")
        if field is not None and package_types(ctx).field_kind("", ctx.text(field)) == TICKER:
            return text  # a struct field declared *time.Ticker
    return ""


def _leaves(ctx: FileContext, loop: Node, body: Node) -> bool:
    """Any return, break, goto or never-returning call in the loop (closures excluded)."""
    func = enclosing_function(loop)
    for node in nodes(body, *_EXITS, "expression_statement"):
        if enclosing_function(node) != func:
            continue
        if node.type != "expression_statement" or ends_path(node, ctx.package):
            return True
    return False


def _goroutine_bodies(ctx: FileContext) -> tuple[list[Node], set[str]]:
    """Function literals started with `go`, and names of functions started with `go`."""
    literals: list[Node] = []
    names: set[str] = set()
    for go in captures("(go_statement) @go", ctx.tree.root_node).get("go", []):
        if in_program_lifetime(go):
            continue
        call = call_of_go(go)
        func = call.child_by_field_name("function") if call is not None else None
        if func is None:
            continue
        if func.type == "func_literal":
            literals.append(func)
        elif func.type == "identifier":
            names.add(ctx.text(func))
        elif func.type == "selector_expression":
            field = func.child_by_field_name("field")
            if field is not None:
                names.add(ctx.text(field))
    return literals, names


def _runs_in_goroutine(ctx: FileContext, loop: Node, literals: list[Node], names: set[str]) -> bool:
    func = enclosing_function(loop)
    while func is not None:
        if func.type != "func_literal":
            return function_name(func) in names
        if func in literals:
            return True
        func = enclosing_function(func)
    return False


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report loops over a ticker's channel that nothing can end."""
    if b"Tick" not in ctx.source:
        return
    time_names = ctx.imports("time")
    literals, names = _goroutine_bodies(ctx)
    if not literals and not names:
        return
    for loop in captures(_RANGES, ctx.tree.root_node).get("loop", []):
        clause = next((c for c in loop.named_children if c.type == "range_clause"), None)
        over = clause.child_by_field_name("right") if clause is not None else None
        body = loop.child_by_field_name("body")
        if over is None or body is None:
            continue
        channel = _ticker_channel(ctx, over, time_names)
        if not channel or _leaves(ctx, loop, body) or in_program_lifetime(loop):
            continue
        if not _runs_in_goroutine(ctx, loop, literals, names):
            continue
        yield RULE.finding(
            ctx,
            loop,
            f"this loop over `{channel}` never ends (a ticker's channel is never closed and the "
            "loop has no return or break): the goroutine running it can never stop",
        )


RULE = Rule(
    id="ticker-loop-no-exit",
    title="Loop over a ticker with no way out",
    severity="warning",
    tool_severity="info",
    doc=RuleDoc(
        what=(
            "Finds `for range t.C` / `for range time.Tick(d)` loops with no return, break, goto "
            "or never-returning call inside."
        ),
        why=(
            "A ticker's channel is never closed, not even by Stop, so ranging over it never "
            "ends. The goroutine running the loop lives forever with everything it references — "
            "in every Go version, including 1.23+ where the ticker itself would be collected."
        ),
        example="""\
func (c *Cache) startJanitor() {
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for range t.C { // runs after the cache is closed, forever
			c.evictExpired()
		}
	}()
}
""",
        fix="""\
Select on the ticker and a stop signal, and return on the stop:
	for {
		select {
		case <-t.C:
			c.evictExpired()
		case <-c.done:
			return
		}
	}
""",
        known_problems=(
            "Only loops in a goroutine started in the same file (a `go func(){…}()` literal or "
            "`go f()` / `go x.f()` of a function declared there) are checked; loops in main(), "
            "init() and goroutines they start are skipped (they live with the program). "
            "`for { <-t.C }` and `for { select { case <-t.C: … } }` loops without an "
            "exit are reported by blocking-loop-no-exit, not here. A ticker is recognised by "
            "`time.NewTicker` in the same function or a name containing 'tick'."
        ),
    ),
    check=check,
)
